import assert from 'node:assert/strict'
import { test } from 'node:test'
import fc from 'fast-check'
import {
  ControlRecordType,
  createEndTxnMarkerBatch,
  decodeControlRecordKey,
  decodeEndTxnMarker,
  encodeControlRecordKey
} from '../../../src/protocol/records/control-record.js'
import { decodeRecordBatch, encodeRecordBatch } from '../../../src/protocol/records/record-batch.js'
import { readRecordBatchHeader } from '../../../src/protocol/records/record-batch-header.js'
import { CorruptRecordError } from '../../../src/protocol/records/record-errors.js'

test('end-transaction marker batches round-trip', async () => {
  await fc.assert(
    fc.asyncProperty(
      fc.constantFrom(ControlRecordType.ABORT, ControlRecordType.COMMIT),
      fc.integer({ min: -1, max: 2 ** 31 - 1 }),
      fc.bigInt(0n, 2n ** 63n - 1n),
      fc.integer({ min: 0, max: 32767 }),
      fc.bigInt(0n, 2n ** 50n),
      async (type, coordinatorEpoch, producerId, producerEpoch, timestamp) => {
        const batch = createEndTxnMarkerBatch({
          marker: { type, coordinatorEpoch },
          producerId,
          producerEpoch,
          timestamp,
          baseOffset: 99n
        })
        const bytes = await encodeRecordBatch(batch)
        const header = readRecordBatchHeader(bytes)
        assert.equal(header.attributes & 0x30, 0x30, 'transactional and control bits')
        assert.equal(header.recordsCount, 1)
        const decoded = await decodeRecordBatch(bytes)
        assert.equal(decoded.isControl, true)
        assert.equal(decoded.isTransactional, true)
        assert.equal(decoded.producerId, producerId)
        assert.equal(decoded.producerEpoch, producerEpoch)
        assert.equal(decoded.baseSequence, -1)
        assert.deepEqual(decodeEndTxnMarker(decoded.records[0]!), { type, coordinatorEpoch })
      }
    ),
    { numRuns: 100 }
  )
})

test('control key and marker value have Kafka byte layout', () => {
  assert.deepEqual(encodeControlRecordKey(ControlRecordType.COMMIT), Buffer.from([0, 0, 0, 1]))
  const batch = createEndTxnMarkerBatch({
    marker: { type: ControlRecordType.ABORT, coordinatorEpoch: 0x01020304 },
    producerId: 1n,
    producerEpoch: 0,
    timestamp: 0n
  })
  assert.deepEqual(batch.records[0]!.key, Buffer.from([0, 0, 0, 0]))
  assert.deepEqual(batch.records[0]!.value, Buffer.from([0, 0, 1, 2, 3, 4]))
})

test('a newer control key version is read like version 0, as Kafka does', () => {
  const key = Buffer.from([0, 1, 0, 1, 0xff, 0xff])
  assert.deepEqual(decodeControlRecordKey(key), { version: 1, type: 1 })
})

test('malformed control records give CorruptRecordError', () => {
  const base = { attributes: 0, timestampDelta: 0n, offsetDelta: 0, headers: [] }
  assert.throws(() => decodeControlRecordKey(null), CorruptRecordError)
  assert.throws(() => decodeControlRecordKey(Buffer.from([0, 0, 0])), CorruptRecordError)
  assert.throws(() => decodeControlRecordKey(Buffer.from([0xff, 0xff, 0, 0])), CorruptRecordError)
  const shortValue = { ...base, key: encodeControlRecordKey(1), value: Buffer.from([0, 0, 1]) }
  assert.throws(() => decodeEndTxnMarker(shortValue), CorruptRecordError)
  const notMarker = {
    ...base,
    key: encodeControlRecordKey(ControlRecordType.LEADER_CHANGE),
    value: Buffer.alloc(6)
  }
  assert.throws(() => decodeEndTxnMarker(notMarker), CorruptRecordError)
})
