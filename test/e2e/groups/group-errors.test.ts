/**
 * Wrong group requests against a real broker, in raw frames: unknown member ids (UNKNOWN_MEMBER_ID 25),
 * stale or future generations (ILLEGAL_GENERATION 22), incompatible protocols (INCONSISTENT_GROUP_PROTOCOL
 * 23) and a group over group.max.size (GROUP_MAX_SIZE_REACHED 81). The rejected requests leave the group
 * they target untouched, and a librdkafka member of another group keeps consuming without a rebalance.
 */

import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { ErrorCode } from '../../../src/protocol/error-codes.js'
import { BrokerProcess } from '../../helpers/broker-process.js'
import { GroupConsumerProcess } from '../../helpers/group-consumer-process.js'
import {
  createTopic,
  eventually,
  GROUP_BROKER_OVERRIDES,
  kafkajsClient
} from '../../helpers/group-test-kit.js'
import { awaitCoordinator, RawGroupMember } from '../../helpers/raw-group-member.js'

const MAX_SIZE = 2
const HEALTHY_TOPIC = 'healthy'

/** A one-member group, joined and synced: Stable at the member's generation. */
async function stableMember(port: number, groupId: string): Promise<RawGroupMember> {
  const m = await RawGroupMember.connect(port, groupId)
  const join = await m.joinNew()
  assert.equal(join.errorCode, ErrorCode.NONE)
  assert.equal(join.leader, m.memberId)
  const sync = await m.sync({ assignments: [{ memberId: m.memberId, assignment: Buffer.from('mine') }] })
  assert.equal(sync.errorCode, ErrorCode.NONE)
  assert.deepEqual(sync.assignment, Buffer.from('mine'))
  return m
}

describe('group coordinator errors over raw frames', () => {
  let broker: BrokerProcess
  let healthy: GroupConsumerProcess
  const raw: RawGroupMember[] = []
  const track = (m: RawGroupMember) => {
    raw.push(m)
    return m
  }

  before(async () => {
    broker = await BrokerProcess.start({
      overrides: [...GROUP_BROKER_OVERRIDES, `group.max.size=${MAX_SIZE}`]
    })
    await createTopic(broker.bootstrap, HEALTHY_TOPIC, 2)
    healthy = GroupConsumerProcess.start('healthy', {
      bootstrap: broker.bootstrap,
      groupId: 'healthy-group',
      topics: [HEALTHY_TOPIC],
      config: { 'session.timeout.ms': 6000, 'heartbeat.interval.ms': 300 }
    })
    await eventually(
      'the healthy member assigned',
      () => healthy.assertRunning().owned().size === 2 || undefined,
      20_000
    )
  })
  after(async () => {
    for (const m of raw) m.close()
    await healthy?.kill()
    await broker?.stop()
  })

  it('uses the exact Kafka codes', () => {
    assert.equal(ErrorCode.ILLEGAL_GENERATION, 22)
    assert.equal(ErrorCode.INCONSISTENT_GROUP_PROTOCOL, 23)
    assert.equal(ErrorCode.UNKNOWN_MEMBER_ID, 25)
    assert.equal(ErrorCode.GROUP_MAX_SIZE_REACHED, 81)
  })

  it('answers UNKNOWN_MEMBER_ID for member ids the group does not have', async () => {
    await awaitCoordinator(broker.port, 'unknown-member')
    const a = track(await stableMember(broker.port, 'unknown-member'))
    const ghost = track(await RawGroupMember.connect(broker.port, 'unknown-member'))
    const gen = a.generationId
    assert.equal(
      (await ghost.heartbeat({ memberId: 'ghost', generationId: gen })).errorCode,
      ErrorCode.UNKNOWN_MEMBER_ID
    )
    assert.equal(
      (await ghost.sync({ memberId: 'ghost', generationId: gen })).errorCode,
      ErrorCode.UNKNOWN_MEMBER_ID
    )
    assert.equal((await ghost.join({ memberId: 'ghost' })).errorCode, ErrorCode.UNKNOWN_MEMBER_ID)
    // A known member id for a group that does not exist is stale too; so is a heartbeat to that group.
    const elsewhere = track(await RawGroupMember.connect(broker.port, 'no-such-group'))
    assert.equal((await elsewhere.join({ memberId: a.memberId })).errorCode, ErrorCode.UNKNOWN_MEMBER_ID)
    assert.equal(
      (await elsewhere.heartbeat({ memberId: a.memberId, generationId: gen })).errorCode,
      ErrorCode.UNKNOWN_MEMBER_ID
    )
    // After leaving, the old id is unknown.
    const b = track(await stableMember(broker.port, 'left-group'))
    assert.equal((await b.leave()).errorCode, ErrorCode.NONE)
    assert.equal((await b.heartbeat()).errorCode, ErrorCode.UNKNOWN_MEMBER_ID)
    // None of it disturbed the real member.
    assert.equal((await a.heartbeat()).errorCode, ErrorCode.NONE)
  })

  it('answers ILLEGAL_GENERATION for any generation but the current one', async () => {
    const a = track(await stableMember(broker.port, 'illegal-generation'))
    const gen = a.generationId
    assert.ok(gen >= 1)
    assert.equal((await a.heartbeat({ generationId: gen + 1 })).errorCode, ErrorCode.ILLEGAL_GENERATION)
    assert.equal((await a.heartbeat({ generationId: gen - 1 })).errorCode, ErrorCode.ILLEGAL_GENERATION)
    assert.equal((await a.heartbeat({ generationId: -1 })).errorCode, ErrorCode.ILLEGAL_GENERATION)
    assert.equal((await a.sync({ generationId: gen + 1 })).errorCode, ErrorCode.ILLEGAL_GENERATION)
    assert.equal((await a.heartbeat()).errorCode, ErrorCode.NONE)
  })

  it('answers INCONSISTENT_GROUP_PROTOCOL to a member that shares no protocol with the group', async () => {
    const a = track(await stableMember(broker.port, 'protocols'))
    const other = track(await RawGroupMember.connect(broker.port, 'protocols'))
    const rejected = [
      { protocols: ['roundrobin'] },
      { protocolType: 'connect', protocols: ['range'] },
      { protocols: [] }
    ]
    for (const options of rejected) {
      const res = await other.join({ ...options, memberId: '' })
      assert.equal(res.errorCode, ErrorCode.INCONSISTENT_GROUP_PROTOCOL, JSON.stringify(options))
    }
    // A new group cannot be founded without a protocol type or protocols either.
    const founder = track(await RawGroupMember.connect(broker.port, 'no-protocols'))
    assert.equal(
      (await founder.join({ memberId: '', protocols: [] })).errorCode,
      ErrorCode.INCONSISTENT_GROUP_PROTOCOL
    )
    assert.equal(
      (await founder.join({ memberId: '', protocolType: '' })).errorCode,
      ErrorCode.INCONSISTENT_GROUP_PROTOCOL
    )
    assert.equal((await a.heartbeat()).errorCode, ErrorCode.NONE, 'the group did not rebalance')
  })

  it(`answers GROUP_MAX_SIZE_REACHED to a member beyond group.max.size=${MAX_SIZE}`, async () => {
    const a = track(await stableMember(broker.port, 'full'))
    const b = track(await RawGroupMember.connect(broker.port, 'full'))
    // b joining makes a rejoin; both JoinGroups complete together.
    const bJoin = b.joinNew()
    await eventually(
      'a told to rejoin',
      async () => (await a.heartbeat()).errorCode === ErrorCode.REBALANCE_IN_PROGRESS || undefined,
      10_000
    )
    const [aJoin, bJoined] = await Promise.all([a.join(), bJoin])
    assert.equal(aJoin.errorCode, ErrorCode.NONE)
    assert.equal(bJoined.errorCode, ErrorCode.NONE)
    assert.equal(aJoin.members.length, 2)
    const [aSync, bSync] = await Promise.all([
      a.sync({
        assignments: [
          { memberId: a.memberId, assignment: Buffer.from('a') },
          { memberId: b.memberId, assignment: Buffer.from('b') }
        ]
      }),
      b.sync()
    ])
    assert.equal(aSync.errorCode, ErrorCode.NONE)
    assert.deepEqual(bSync.assignment, Buffer.from('b'))

    const c = track(await RawGroupMember.connect(broker.port, 'full'))
    const cJoin = await c.join({ memberId: '' })
    assert.equal(cJoin.errorCode, ErrorCode.GROUP_MAX_SIZE_REACHED)
    assert.equal(cJoin.memberId, '')
    assert.equal((await c.join({ memberId: '' })).errorCode, ErrorCode.GROUP_MAX_SIZE_REACHED)
    // The full group stays Stable at its generation.
    assert.equal((await a.heartbeat()).errorCode, ErrorCode.NONE)
    assert.equal((await b.heartbeat()).errorCode, ErrorCode.NONE)
    assert.equal(a.generationId, b.generationId)
  })

  it('kept the other group consuming without a rebalance meanwhile', async () => {
    const callbacks = healthy.events.filter((e) => e.ev !== 'msg').length
    const producer = kafkajsClient(broker.bootstrap).producer({ allowAutoTopicCreation: false })
    await producer.connect()
    const values = Array.from({ length: 10 }, (_, i) => `h-${i}`)
    try {
      await producer.send({
        topic: HEALTHY_TOPIC,
        acks: -1,
        messages: values.map((value, i) => ({ value, partition: i % 2 }))
      })
    } finally {
      await producer.disconnect()
    }
    await eventually(
      'the healthy member consuming',
      () => values.every((v) => healthy.assertRunning().values().includes(v)) || undefined,
      15_000
    )
    assert.equal(healthy.events.filter((e) => e.ev === 'revoke' || e.ev === 'lost').length, 0)
    assert.equal(healthy.events.filter((e) => e.ev !== 'msg').length, callbacks)
  })
})
