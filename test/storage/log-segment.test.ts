import assert from 'node:assert/strict'
import { readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { test } from 'node:test'
import { LogSegment } from '../../src/storage/log-segment.js'
import { assignOffsets, validateBatches } from '../../src/storage/log-validator.js'
import { filler, makeBatch, withTempDir } from './batch-fixtures.js'

const OPTS = { indexIntervalBytes: 200, segmentIndexBytes: 10 * 1024 * 1024, now: 0 }

/** Appends `batchCount` batches of `perBatch` records from `next`, timestamps 1000 * offset. */
async function fill(seg: LogSegment, next: number, batchCount: number, perBatch = 3): Promise<number> {
  for (let i = 0; i < batchCount; i++) {
    const timestamps = Array.from({ length: perBatch }, (_, j) => (next + j) * 1000)
    const buf = await makeBatch({ values: timestamps.map(() => filler(50)), timestamps })
    const batches = validateBatches(buf, 1 << 20, 'client')
    next = assignOffsets(buf, batches, next, 0)
    await seg.append(buf, batches, 0)
  }
  return next
}

test('append, sparse index and reads by offset', async () => {
  await withTempDir(async (dir) => {
    const seg = await LogSegment.open(dir, 100, OPTS, true)
    const end = await fill(seg, 100, 20)
    assert.equal(end, 160)
    assert.equal(seg.nextOffset, 160)
    assert.ok(seg.offsetIndex.entries > 3, 'an entry every index.interval.bytes')
    assert.equal(seg.maxTimestampSoFar, 159_000)
    for (const target of [100, 101, 102, 103, 131, 159]) {
      const b = await seg.translateOffset(target)
      assert.ok(b && b.baseOffset <= target && b.lastOffset >= target, `batch for ${target}`)
    }
    assert.equal(await seg.translateOffset(160), undefined)

    const all = await seg.read(100, 1 << 20)
    assert.equal(all?.records.length, seg.size)
    const one = await seg.read(104, 1, seg.size, true)
    assert.ok(one)
    assert.equal(one.records.readBigInt64BE(0), 103n, 'whole batch holding the offset, minOneMessage')
    assert.equal(one.records.readInt32BE(8) + 12, one.records.length, 'exactly one whole batch')
    assert.equal(
      (await seg.read(104, 1, seg.size, false))?.records.length,
      0,
      'nothing without minOneMessage'
    )
    const two = await seg.read(100, one.records.length * 2 + 5, seg.size, false)
    assert.equal(two?.records.length, one.records.length * 2, 'only whole batches fit in maxSize')
    const capped = await seg.read(100, 1 << 20, one.records.length)
    assert.equal(capped?.records.length, one.records.length, 'maxPosition bounds the read')
    await seg.close()
  })
})

test('lookup by timestamp finds the first record at or after it', async () => {
  await withTempDir(async (dir) => {
    const seg = await LogSegment.open(dir, 0, OPTS, true)
    await fill(seg, 0, 20)
    assert.deepEqual(await seg.findOffsetByTimestamp(0), { timestamp: 0, offset: 0 })
    assert.deepEqual(await seg.findOffsetByTimestamp(31_500), { timestamp: 32_000, offset: 32 })
    assert.deepEqual(await seg.findOffsetByTimestamp(44_000), { timestamp: 44_000, offset: 44 })
    assert.deepEqual(await seg.findOffsetByTimestamp(40_000, 41), { timestamp: 41_000, offset: 41 })
    assert.equal(await seg.findOffsetByTimestamp(60_000), undefined)
    assert.deepEqual(await seg.findMaxTimestampRecord(), { timestamp: 59_000, offset: 59 })
    await seg.close()
  })
})

test('truncateTo removes the batch holding the offset and everything after', async () => {
  await withTempDir(async (dir) => {
    const seg = await LogSegment.open(dir, 0, OPTS, true)
    await fill(seg, 0, 20)
    const cut = await seg.translateOffset(31)
    assert.ok(cut)
    const removed = await seg.truncateTo(31)
    assert.ok(removed > 0)
    assert.equal(seg.size, cut.position)
    assert.equal(seg.nextOffset, 30)
    assert.equal(seg.maxTimestampSoFar, 29_000)
    assert.ok(seg.offsetIndex.lastEntry().offset < 30)
    assert.equal(await seg.translateOffset(30), undefined)
    await fill(seg, 30, 2)
    assert.equal(seg.nextOffset, 36)
    assert.equal((await seg.truncateTo(0)) > 0, true)
    assert.equal(seg.size, 0)
    assert.equal(seg.nextOffset, 0)
    await seg.close()
  })
})

test('a closed segment reopens from its index files', async () => {
  await withTempDir(async (dir) => {
    const seg = await LogSegment.open(dir, 0, OPTS, true)
    await fill(seg, 0, 20)
    const entries = seg.offsetIndex.entries
    await seg.close()
    assert.equal((await readFile(join(dir, '00000000000000000000.index'))).length, entries * 8)
    const again = await LogSegment.open(dir, 0, OPTS, false)
    assert.equal(await again.loadIndexes(), true)
    assert.equal(again.offsetIndex.entries, entries)
    assert.equal(again.nextOffset, 60)
    assert.equal(again.maxTimestampSoFar, 59_000)
    await again.close()
  })
})

test('a garbage index fails the sanity check and recover() rebuilds it', async () => {
  await withTempDir(async (dir) => {
    const seg = await LogSegment.open(dir, 0, OPTS, true)
    await fill(seg, 0, 20)
    const entries = seg.offsetIndex.entries
    await seg.close()
    await writeFile(join(dir, '00000000000000000000.index'), Buffer.from([0, 0, 0, 9, 0x7f, 0, 0, 0]))
    const again = await LogSegment.open(dir, 0, OPTS, false)
    assert.equal(await again.loadIndexes(), false)
    assert.equal(await again.recover(), 0)
    assert.equal(again.offsetIndex.entries, entries)
    assert.equal(again.nextOffset, 60)
    await again.close()
  })
})

test('shouldRoll on size, on time since the first batch, never when empty', async () => {
  await withTempDir(async (dir) => {
    const seg = await LogSegment.open(dir, 0, OPTS, true)
    const base = {
      maxSegmentBytes: 10_000,
      maxSegmentMs: 5000,
      messagesSize: 100,
      maxOffsetInMessages: 1,
      now: 0
    }
    assert.equal(seg.shouldRoll({ ...base, messagesSize: 1 << 30, maxTimestampInMessages: 0 }), false)
    await fill(seg, 0, 1)
    assert.equal(seg.shouldRoll({ ...base, maxTimestampInMessages: 4000 }), false)
    assert.equal(
      seg.shouldRoll({ ...base, maxTimestampInMessages: 7000 }),
      false,
      'counted from the first batch max'
    )
    assert.equal(seg.shouldRoll({ ...base, maxTimestampInMessages: 7001 }), true)
    assert.equal(seg.shouldRoll({ ...base, maxTimestampInMessages: 0, messagesSize: 10_000 }), true)
    await seg.close()
  })
})

test('reads that start where an append or a read ended match reads found by scanning', async () => {
  await withTempDir(async (dir) => {
    const seg = await LogSegment.open(dir, 0, OPTS, true)
    const end = await fill(seg, 0, 30)
    const fresh = await LogSegment.open(dir, 0, OPTS, false)
    assert.ok(await fresh.loadIndexes())
    const oneBatch = (await fresh.read(0, 1, fresh.size, true))!.records.length
    assert.equal(seg.knownPosition(end), seg.size, 'the append remembers where the log ends')
    assert.equal(await seg.read(end, 1 << 20), undefined, 'nothing past the end')
    // Follow the log the way a consumer does: each read starts at the offset after the previous one.
    for (const maxSize of [1, oneBatch * 2 + 3, oneBatch * 7]) {
      let offset = 0
      while (offset < end) {
        const got = await seg.read(offset, maxSize, seg.size, true)
        const expected = await fresh.read(offset, maxSize, fresh.size, true)
        assert.ok(got && expected)
        assert.ok(got.records.equals(expected.records), `offset ${offset} maxSize ${maxSize}`)
        assert.equal(got.position, expected.position)
        const last = got.records.length - oneBatch
        offset = Number(got.records.readBigInt64BE(last)) + got.records.readInt32BE(last + 23) + 1
        assert.notEqual(seg.knownPosition(offset), undefined, 'the read remembers where the next one starts')
      }
    }
    const boundary = oneBatch * 2
    await seg.read(0, boundary)
    assert.equal(seg.knownPosition(6), boundary)
    assert.deepEqual((await seg.read(6, 1, seg.size, false))?.records.length, 0, 'no batch fits maxSize')
    assert.equal(await seg.read(6, 1 << 20, boundary + oneBatch - 1), undefined, 'maxPosition cuts the batch')
    assert.equal((await seg.read(6, 1 << 20, boundary + oneBatch))?.records.length, oneBatch)

    await seg.truncateTo(9)
    assert.equal(seg.knownPosition(9), undefined, 'truncation forgets positions')
    await fill(seg, 9, 1, 5)
    const after = await seg.read(9, 1 << 20)
    assert.equal(after?.records.readBigInt64BE(0), 9n)
    assert.equal(after?.records.readInt32BE(23), 4, 'the new batch of 5 records, not the old one')
    await fresh.close()
    await seg.close()
  })
})
