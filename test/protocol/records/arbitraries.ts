import fc from 'fast-check'
import { CompressionType } from '../../../src/protocol/records/compression-type.js'
import type { KafkaRecord, RecordHeader } from '../../../src/protocol/records/record.js'
import {
  createRecordBatch,
  type RecordBatch,
  TimestampType
} from '../../../src/protocol/records/record-batch.js'

const bytes = (maxLength: number) => fc.uint8Array({ maxLength }).map((b) => Buffer.from(b))
const nullableBytes = (maxLength: number) => fc.option(bytes(maxLength), { nil: null, freq: 4 })
const int64 = fc.bigInt(-(2n ** 63n), 2n ** 63n - 1n)

export const recordHeaderArb: fc.Arbitrary<RecordHeader> = fc.record({
  key: fc.string({ unit: 'binary', maxLength: 20 }),
  value: nullableBytes(40)
})

export const recordArb = (offsetDelta: number): fc.Arbitrary<KafkaRecord> =>
  fc.record({
    attributes: fc.integer({ min: -128, max: 127 }),
    timestampDelta: fc.oneof(fc.bigInt(-1000n, 1000n), int64),
    offsetDelta: fc.constant(offsetDelta),
    key: nullableBytes(64),
    value: nullableBytes(300),
    headers: fc.array(recordHeaderArb, { maxLength: 4 })
  })

export const recordsArb: fc.Arbitrary<KafkaRecord[]> = fc
  .array(fc.integer({ min: 0, max: 3 }), { maxLength: 12 })
  .chain((gaps) => {
    // Offsets increase but may skip (as after compaction).
    let delta = -1
    const deltas = gaps.map((g) => {
      delta += 1 + g
      return delta
    })
    return fc.tuple(...deltas.map(recordArb))
  })

export const compressionArb = fc.constantFrom(...Object.values(CompressionType))

export const batchArb: fc.Arbitrary<RecordBatch> = fc
  .record({
    records: recordsArb,
    baseOffset: fc.bigInt(0n, 2n ** 63n - 1n),
    partitionLeaderEpoch: fc.integer({ min: -1, max: 2 ** 31 - 1 }),
    compression: compressionArb,
    timestampType: fc.constantFrom(TimestampType.CREATE_TIME, TimestampType.LOG_APPEND_TIME),
    isTransactional: fc.boolean(),
    isControl: fc.boolean(),
    hasDeleteHorizonMs: fc.boolean(),
    baseTimestamp: int64,
    maxTimestamp: int64,
    producerId: fc.oneof(fc.constant(-1n), fc.bigInt(0n, 2n ** 63n - 1n)),
    producerEpoch: fc.integer({ min: -1, max: 32767 }),
    baseSequence: fc.integer({ min: -1, max: 2 ** 31 - 1 })
  })
  .map((init) => createRecordBatch(init))
