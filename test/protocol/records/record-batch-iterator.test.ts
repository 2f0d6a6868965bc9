import assert from 'node:assert/strict'
import { test } from 'node:test'
import fc from 'fast-check'
import { encodeRecordBatch } from '../../../src/protocol/records/record-batch.js'
import { iterateBatches, scanBatches } from '../../../src/protocol/records/record-batch-iterator.js'
import { RecordBatchScanError } from '../../../src/protocol/records/record-errors.js'
import { batchArb } from './arbitraries.js'

async function encodeAll(batches: Parameters<typeof encodeRecordBatch>[0][]): Promise<Buffer[]> {
  return Promise.all(batches.map((b) => encodeRecordBatch(b)))
}

test('iterates concatenated batches with their positions and headers', async () => {
  await fc.assert(
    fc.asyncProperty(fc.array(batchArb, { maxLength: 5 }), async (batches) => {
      const encoded = await encodeAll(batches)
      const buf = Buffer.concat(encoded)
      const seen = [...iterateBatches(buf)]
      assert.equal(seen.length, batches.length)
      let position = 0
      for (let i = 0; i < seen.length; i++) {
        assert.equal(seen[i]!.position, position)
        assert.equal(seen[i]!.header.baseOffset, batches[i]!.baseOffset)
        assert.equal(seen[i]!.header.recordsCount, batches[i]!.records.length)
        position += encoded[i]!.length
      }
      assert.deepEqual(scanBatches(buf).validBytes, buf.length)
    }),
    { numRuns: 100 }
  )
})

test('a truncated tail throws with the position where valid bytes end, or stops when allowed', async () => {
  await fc.assert(
    fc.asyncProperty(
      fc.array(batchArb, { minLength: 1, maxLength: 4 }),
      fc.nat(),
      async (batches, cutSeed) => {
        const encoded = await encodeAll(batches)
        const full = Buffer.concat(encoded)
        const lastStart = full.length - encoded[encoded.length - 1]!.length
        const cut = lastStart + 1 + (cutSeed % (encoded[encoded.length - 1]!.length - 1))
        const truncated = full.subarray(0, cut)
        assert.throws(
          () => [...iterateBatches(truncated)],
          (err: unknown) => err instanceof RecordBatchScanError && err.truncated && err.position === lastStart
        )
        assert.equal([...iterateBatches(truncated, { allowTruncatedTail: true })].length, batches.length - 1)
        const scan = scanBatches(truncated)
        assert.equal(scan.validBytes, lastStart)
        assert.equal(scan.batchCount, batches.length - 1)
        assert.equal(scan.error?.truncated, true)
      }
    ),
    { numRuns: 100 }
  )
})

test('a corrupt batch in the middle stops the scan at its start, even when truncation is allowed', async () => {
  await fc.assert(
    fc.asyncProperty(fc.array(batchArb, { minLength: 2, maxLength: 4 }), fc.nat(), async (batches, pick) => {
      const encoded = await encodeAll(batches)
      const victim = pick % encoded.length
      const bad = encoded[victim]!
      bad[bad.length - 1]! ^= 0xff
      const buf = Buffer.concat(encoded)
      const start = encoded.slice(0, victim).reduce((n, b) => n + b.length, 0)
      for (const options of [{}, { allowTruncatedTail: true }]) {
        assert.throws(
          () => [...iterateBatches(buf, options)],
          (err: unknown) => err instanceof RecordBatchScanError && !err.truncated && err.position === start
        )
      }
      // Without CRC checks the same bytes pass: the CRC is what catches this corruption.
      assert.equal([...iterateBatches(buf, { verifyCrc: false })].length, batches.length)
      assert.equal(scanBatches(buf).validBytes, start)
    }),
    { numRuns: 50 }
  )
})

test('garbage and zero-filled tails (preallocated segment files) never hang or crash', () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 300 }), (raw) => {
      const result = scanBatches(Buffer.from(raw))
      assert.ok(result.validBytes >= 0 && result.validBytes <= raw.length)
    }),
    { numRuns: 1000 }
  )
  const zeros = scanBatches(Buffer.alloc(4096))
  assert.equal(zeros.validBytes, 0)
  assert.equal(zeros.error?.truncated, false)
})

test('an empty buffer has no batches', () => {
  assert.deepEqual([...iterateBatches(Buffer.alloc(0))], [])
  assert.equal(scanBatches(Buffer.alloc(0)).validBytes, 0)
})
