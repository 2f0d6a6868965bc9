import assert from 'node:assert/strict'
import { test } from 'node:test'
import fc from 'fast-check'
import { ErrorCode, KafkaError } from '../../../src/protocol/error-codes.js'
import { CompressionType } from '../../../src/protocol/records/compression-type.js'
import {
  createRecordBatch,
  decodeRecordBatch,
  encodeRecordBatch,
  recordOffset,
  recordTimestamp,
  TimestampType
} from '../../../src/protocol/records/record-batch.js'
import {
  CRC_OFFSET,
  LOG_OVERHEAD,
  patchBaseOffset,
  patchPartitionLeaderEpoch,
  readRecordBatchHeader
} from '../../../src/protocol/records/record-batch-header.js'
import {
  isBatchCrcValid,
  validateRecordBatch
} from '../../../src/protocol/records/record-batch-validation.js'
import {
  CorruptRecordError,
  UnsupportedCompressionTypeError
} from '../../../src/protocol/records/record-errors.js'
import { batchArb } from './arbitraries.js'

/** Buffers are compared by content; decoded ones are views so compare as plain bytes. */
function normalise<T>(v: T): unknown {
  return JSON.parse(JSON.stringify(v, (_k, x) => (typeof x === 'bigint' ? `${x}n` : x)))
}

test('arbitrary batches round-trip through every compression type', async () => {
  await fc.assert(
    fc.asyncProperty(batchArb, async (batch) => {
      const bytes = await encodeRecordBatch(batch)
      const header = validateRecordBatch(bytes)
      assert.equal(header.batchLength + LOG_OVERHEAD, bytes.length)
      assert.equal(header.recordsCount, batch.records.length)
      const decoded = await decodeRecordBatch(bytes)
      assert.deepEqual(normalise(decoded), normalise(batch))
    }),
    { numRuns: 300 }
  )
})

test('the encoded header and attribute bits match Kafka layout', async () => {
  const batch = createRecordBatch({
    baseOffset: 42n,
    compression: CompressionType.LZ4,
    timestampType: TimestampType.LOG_APPEND_TIME,
    isTransactional: true,
    isControl: false,
    hasDeleteHorizonMs: true,
    baseTimestamp: 1_700_000_000_000n,
    producerId: 7n,
    producerEpoch: 3,
    baseSequence: 100,
    records: [
      { attributes: 0, timestampDelta: 5n, offsetDelta: 0, key: null, value: Buffer.from('v'), headers: [] }
    ]
  })
  const h = readRecordBatchHeader(await encodeRecordBatch(batch))
  assert.equal(h.magic, 2)
  assert.equal(h.attributes, 3 | 0x08 | 0x10 | 0x40)
  assert.equal(h.baseOffset, 42n)
  assert.equal(h.lastOffsetDelta, 0)
  assert.equal(h.maxTimestamp, 1_700_000_000_005n)
  assert.equal(h.producerId, 7n)
  assert.equal(h.producerEpoch, 3)
  assert.equal(h.baseSequence, 100)
  assert.equal(h.partitionLeaderEpoch, -1)
})

test('absolute offset and timestamp helpers honour LogAppendTime', () => {
  const record = { attributes: 0, timestampDelta: 7n, offsetDelta: 3, key: null, value: null, headers: [] }
  const batch = createRecordBatch({
    baseOffset: 10n,
    baseTimestamp: 1000n,
    maxTimestamp: 5000n,
    records: [record]
  })
  assert.equal(recordOffset(batch, record), 13n)
  assert.equal(recordTimestamp(batch, record), 1007n)
  assert.equal(recordTimestamp({ ...batch, timestampType: TimestampType.LOG_APPEND_TIME }, record), 5000n)
})

test('flipping any bit of the CRC-covered part (or the CRC) is detected', async () => {
  await fc.assert(
    fc.asyncProperty(batchArb, fc.nat(), fc.integer({ min: 0, max: 7 }), async (batch, at, bit) => {
      const bytes = await encodeRecordBatch(batch)
      const pos = CRC_OFFSET + (at % (bytes.length - CRC_OFFSET))
      bytes[pos]! ^= 1 << bit
      assert.equal(isBatchCrcValid(bytes), false)
      assert.throws(() => validateRecordBatch(bytes), CorruptRecordError)
      await assert.rejects(decodeRecordBatch(bytes), KafkaError)
    }),
    { numRuns: 300 }
  )
})

test('patching baseOffset and partitionLeaderEpoch keeps the CRC valid', async () => {
  await fc.assert(
    fc.asyncProperty(
      batchArb,
      fc.bigInt(0n, 2n ** 63n - 1n),
      fc.integer({ min: -1, max: 2 ** 31 - 1 }),
      async (batch, offset, epoch) => {
        const bytes = await encodeRecordBatch(batch)
        patchBaseOffset(bytes, offset)
        patchPartitionLeaderEpoch(bytes, epoch)
        assert.equal(isBatchCrcValid(bytes), true)
        const decoded = await decodeRecordBatch(bytes)
        assert.equal(decoded.baseOffset, offset)
        assert.equal(decoded.partitionLeaderEpoch, epoch)
        assert.equal(decoded.records.length, batch.records.length)
      }
    ),
    { numRuns: 100 }
  )
})

test('every truncation of a batch gives a typed error, never a crash or hang', async () => {
  await fc.assert(
    fc.asyncProperty(batchArb, async (batch) => {
      const bytes = await encodeRecordBatch(batch)
      for (let len = 0; len < bytes.length; len++) {
        const cut = bytes.subarray(0, len)
        assert.equal(isBatchCrcValid(cut), false)
        assert.throws(() => validateRecordBatch(cut), CorruptRecordError)
        await assert.rejects(decodeRecordBatch(cut), CorruptRecordError)
      }
    }),
    { numRuns: 30 }
  )
})

test('a batch at a non-zero position inside a larger buffer is validated and decoded in place', async () => {
  const a = await encodeRecordBatch(
    createRecordBatch({
      records: [
        { attributes: 0, timestampDelta: 0n, offsetDelta: 0, key: null, value: Buffer.from('a'), headers: [] }
      ]
    })
  )
  const b = await encodeRecordBatch(
    createRecordBatch({
      baseOffset: 1n,
      records: [
        { attributes: 0, timestampDelta: 0n, offsetDelta: 0, key: null, value: Buffer.from('b'), headers: [] }
      ]
    })
  )
  const both = Buffer.concat([a, b])
  assert.equal(isBatchCrcValid(both, a.length), true)
  assert.equal(validateRecordBatch(both, a.length).baseOffset, 1n)
  assert.deepEqual((await decodeRecordBatch(both, a.length)).records[0]!.value, Buffer.from('b'))
})

/** Re-signs a batch after editing it, so only the edited field is wrong. */
async function resign(bytes: Buffer): Promise<Buffer> {
  const { crc32c } = await import('../../../src/protocol/records/crc32c.js')
  bytes.writeUInt32BE(crc32c(bytes.subarray(21)), CRC_OFFSET)
  return bytes
}

test('semantic corruption with a valid CRC is still rejected with typed errors', async () => {
  const batch = createRecordBatch({
    records: [
      {
        attributes: 0,
        timestampDelta: 0n,
        offsetDelta: 0,
        key: Buffer.from('k'),
        value: Buffer.from('v'),
        headers: []
      },
      { attributes: 0, timestampDelta: 1n, offsetDelta: 1, key: null, value: Buffer.from('w'), headers: [] }
    ]
  })
  // Record count larger than the records present.
  const tooMany = await encodeRecordBatch(batch)
  tooMany.writeInt32BE(3, 57)
  await assert.rejects(decodeRecordBatch(await resign(tooMany)), CorruptRecordError)
  // Record count smaller: trailing bytes.
  const tooFew = await encodeRecordBatch(batch)
  tooFew.writeInt32BE(1, 57)
  await assert.rejects(decodeRecordBatch(await resign(tooFew)), CorruptRecordError)
  // Huge record count must not allocate.
  const huge = await encodeRecordBatch(batch)
  huge.writeInt32BE(2 ** 31 - 1, 57)
  await assert.rejects(decodeRecordBatch(await resign(huge)), CorruptRecordError)
  // Unknown compression id.
  const badCodec = await encodeRecordBatch(batch)
  badCodec.writeInt16BE(6, 21)
  await assert.rejects(decodeRecordBatch(await resign(badCodec)), (err: unknown) => {
    assert.ok(err instanceof KafkaError)
    assert.ok(err.code === ErrorCode.CORRUPT_MESSAGE || err.code === ErrorCode.UNSUPPORTED_COMPRESSION_TYPE)
    return true
  })
  // Wrong magic.
  const badMagic = await encodeRecordBatch(batch)
  badMagic[16] = 1
  assert.throws(() => validateRecordBatch(badMagic), /magic/)
  // Record length varint larger than the batch.
  const badRecordLength = await encodeRecordBatch(batch)
  badRecordLength[61] = 0x7e
  await assert.rejects(decodeRecordBatch(await resign(badRecordLength)), CorruptRecordError)
  assert.ok(UnsupportedCompressionTypeError)
})

test('random bytes never crash the decoder', async () => {
  await fc.assert(
    fc.asyncProperty(fc.uint8Array({ minLength: 0, maxLength: 200 }), async (raw) => {
      const bytes = Buffer.from(raw)
      if (bytes.length >= 61) {
        bytes.writeInt32BE(bytes.length - 12, 8)
        bytes[16] = 2
        await resign(bytes)
      }
      try {
        await decodeRecordBatch(bytes)
      } catch (err) {
        assert.ok(err instanceof KafkaError, String(err))
      }
    }),
    { numRuns: 500 }
  )
})
