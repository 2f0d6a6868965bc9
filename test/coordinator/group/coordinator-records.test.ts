import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import {
  decodeCoordinatorKey,
  decodeGroupMetadataValue,
  decodeOffsetCommitValue,
  encodeGroupMetadataKey,
  encodeGroupMetadataValue,
  encodeOffsetCommitKey,
  encodeOffsetCommitValue
} from '../../../src/coordinator/group/coordinator-records.js'
import { Writer } from '../../../src/protocol/writer.js'

describe('coordinator records', () => {
  it('encodes OffsetCommitKey as Kafka does: int16 1, group, topic, int32 partition', () => {
    const key = encodeOffsetCommitKey('g', 't', 2)
    assert.deepEqual([...key], [0, 1, 0, 1, 0x67, 0, 1, 0x74, 0, 0, 0, 2])
    assert.deepEqual(decodeCoordinatorKey(key), { type: 'offset', group: 'g', topic: 't', partition: 2 })
    assert.deepEqual(decodeCoordinatorKey(encodeGroupMetadataKey('grp')), { type: 'group', group: 'grp' })
    assert.equal(decodeCoordinatorKey(Buffer.from([0, 3, 0, 0])), null, 'KIP-848 records are not ours')
  })

  it('round-trips OffsetCommitValue as v3, or v1 when an expiry is set', () => {
    const v3 = { offset: 42n, leaderEpoch: 5, metadata: 'm', commitTimestamp: 1000n, expireTimestamp: -1n }
    const b3 = encodeOffsetCommitValue(v3)
    assert.equal(b3.readInt16BE(0), 3)
    assert.deepEqual(decodeOffsetCommitValue(b3), v3)
    const v1 = { offset: 1n, leaderEpoch: -1, metadata: '', commitTimestamp: 10n, expireTimestamp: 20n }
    const b1 = encodeOffsetCommitValue(v1)
    assert.equal(b1.readInt16BE(0), 1)
    assert.deepEqual(decodeOffsetCommitValue(b1), v1)
  })

  it('reads the flexible v4 OffsetCommitValue Kafka 3.x+ may write', () => {
    const w = new Writer()
    w.writeInt16(4)
      .writeInt64(9n)
      .writeInt32(2)
      .writeCompactString('x')
      .writeInt64(77n)
      .writeUnsignedVarint(0)
    assert.deepEqual(decodeOffsetCommitValue(w.toBuffer()), {
      offset: 9n,
      leaderEpoch: 2,
      metadata: 'x',
      commitTimestamp: 77n,
      expireTimestamp: -1n
    })
  })

  it('round-trips GroupMetadataValue v3 with static and dynamic members', () => {
    const v = {
      protocolType: 'consumer',
      generation: 7,
      protocol: 'range',
      leader: 'm1',
      currentStateTimestamp: 123n,
      members: [
        {
          memberId: 'm1',
          groupInstanceId: 'i1',
          clientId: 'c',
          clientHost: '/h',
          rebalanceTimeout: 300,
          sessionTimeout: 100,
          subscription: Buffer.from('s'),
          assignment: Buffer.from('a')
        },
        {
          memberId: 'm2',
          groupInstanceId: null,
          clientId: 'c',
          clientHost: '/h',
          rebalanceTimeout: 300,
          sessionTimeout: 100,
          subscription: Buffer.alloc(0),
          assignment: Buffer.alloc(0)
        }
      ]
    }
    assert.deepEqual(decodeGroupMetadataValue(encodeGroupMetadataValue(v)), v)
    const empty = { ...v, protocol: null, leader: null, members: [] }
    assert.deepEqual(decodeGroupMetadataValue(encodeGroupMetadataValue(empty)), empty)
  })
})
