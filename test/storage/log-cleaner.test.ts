import assert from 'node:assert/strict'
import { copyFile, readdir, readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { test } from 'node:test'
import { CompressionType } from '../../src/protocol/records/compression-type.js'
import {
  createRecordBatch,
  decodeRecordBatch,
  encodeRecordBatch,
  type RecordBatch,
  recordTimestamp
} from '../../src/protocol/records/record-batch.js'
import { LogCleaner } from '../../src/storage/log-cleaner.js'
import { LogConfig } from '../../src/storage/log-config.js'
import type { UnifiedLog } from '../../src/storage/unified-log.js'
import { withTempDir } from './batch-fixtures.js'
import { openLog } from './log-helpers.js'

const T0 = 1_700_000_000_000

interface Rec {
  key: string | null
  value: string | null
  timestamp?: number
}

/** A producer batch of keyed records (offset deltas from 0). */
function keyedBatch(records: Rec[], compression: CompressionType = CompressionType.NONE): Promise<Buffer> {
  return encodeRecordBatch(
    createRecordBatch({
      baseTimestamp: BigInt(T0),
      compression,
      records: records.map((r, i) => ({
        attributes: 0,
        timestampDelta: BigInt((r.timestamp ?? T0) - T0),
        offsetDelta: i,
        key: r.key === null ? null : Buffer.from(r.key),
        value: r.value === null ? null : Buffer.from(r.value),
        headers: []
      }))
    })
  )
}

interface Seen {
  offset: number
  key: string | null
  value: string | null
  timestamp: number
  batch: RecordBatch
}

/** Every record of the log in offset order, read the way a consumer would. */
async function readAll(log: UnifiedLog): Promise<Seen[]> {
  const out: Seen[] = []
  let next = log.logStartOffset
  while (next < log.logEndOffset) {
    const { records } = await log.read(next, 1 << 20)
    if (records.length === 0) break
    for (let pos = 0; pos < records.length; pos += records.readInt32BE(pos + 8) + 12) {
      const batch = await decodeRecordBatch(records, pos)
      for (const r of batch.records) {
        const offset = Number(batch.baseOffset) + r.offsetDelta
        if (offset < next) continue
        out.push({
          offset,
          key: r.key?.toString() ?? null,
          value: r.value?.toString() ?? null,
          timestamp: Number(recordTimestamp(batch, r)),
          batch
        })
      }
      next = Number(batch.baseOffset) + batch.lastOffsetDelta + 1
    }
  }
  return out
}

/** Latest record per key among `records` (the compaction contract). */
function latestPerKey(records: readonly { offset: number; key: string | null; value: string | null }[]) {
  const latest = new Map<string, { offset: number; value: string | null }>()
  for (const r of records) if (r.key !== null) latest.set(r.key, { offset: r.offset, value: r.value })
  return latest
}

/** `updates` rounds over `keys` keys, `perBatch` records a batch; value `v<offset>`. */
async function produceUpdates(
  log: UnifiedLog,
  keys: number,
  updates: number,
  perBatch = 5,
  compression: CompressionType = CompressionType.NONE
): Promise<void> {
  let offset = log.logEndOffset
  const all: Rec[] = []
  for (let u = 0; u < updates; u++) for (let k = 0; k < keys; k++) all.push({ key: `k${k}`, value: '' })
  for (let i = 0; i < all.length; i += perBatch) {
    const chunk = all.slice(i, i + perBatch).map((r) => ({ ...r, value: `v${offset++}` }))
    await log.append(await keyedBatch(chunk, compression), { leaderEpoch: 0 })
  }
  log.highWatermark = log.logEndOffset
}

test('keeps exactly the latest value per key below the active segment, with offsets preserved', async () => {
  await withTempDir(async (dir) => {
    const log = await openLog(dir, { 'segment.bytes': 2048, 'cleanup.policy': 'compact' })
    await produceUpdates(log, 20, 30)
    assert.ok(log.segments.length > 5, `${log.segments.length} segments`)
    const before = await readAll(log)
    const active = log.activeSegment
    const activeBytes = await readFile(active.log.path)
    const cleanable = before.filter((r) => r.offset < active.baseOffset)
    const tail = before.filter((r) => r.offset >= active.baseOffset)

    const stats = await new LogCleaner({ logs: () => [log] }).clean(log)
    assert.equal(stats.endOffset, active.baseOffset)
    assert.ok(stats.recordsRemoved > 0)

    const after = await readAll(log)
    const cleanedPart = after.filter((r) => r.offset < active.baseOffset)
    const expected = latestPerKey(cleanable)
    assert.equal(cleanedPart.length, expected.size, 'one record per key')
    for (const r of cleanedPart) {
      assert.deepEqual(expected.get(r.key!), { offset: r.offset, value: r.value })
      assert.equal(r.value, `v${r.offset}`, 'the record kept its original offset')
    }
    assert.deepEqual(
      after.filter((r) => r.offset >= active.baseOffset).map((r) => [r.offset, r.value]),
      tail.map((r) => [r.offset, r.value])
    )
    assert.equal(log.activeSegment, active, 'the active segment is not replaced')
    assert.deepEqual(await readFile(active.log.path), activeBytes, 'the active segment is untouched')
    assert.equal(log.logStartOffset, 0)
    const names = await readdir(dir)
    assert.ok(!names.some((n) => n.endsWith('.cleaned') || n.endsWith('.swap')), names.join(' '))

    // Reopened, the log (indexes included) reads the same.
    await log.close()
    const reopened = await openLog(dir, { 'segment.bytes': 2048, 'cleanup.policy': 'compact' })
    assert.deepEqual(
      (await readAll(reopened)).map((r) => [r.offset, r.value]),
      after.map((r) => [r.offset, r.value])
    )
    assert.equal(reopened.logEndOffset, 600)
    await reopened.close()
  })
})

test('compressed batches are rewritten with their codec, base offset and last offset delta', async () => {
  for (const codec of [CompressionType.GZIP, CompressionType.LZ4, CompressionType.ZSTD]) {
    await withTempDir(async (dir) => {
      const log = await openLog(dir, { 'segment.bytes': 4096, 'cleanup.policy': 'compact' })
      await produceUpdates(log, 7, 20, 10, codec)
      await log.roll()
      log.highWatermark = log.logEndOffset
      const before = await readAll(log)
      await new LogCleaner({ logs: () => [log] }).clean(log)
      const after = await readAll(log)
      const expected = latestPerKey(before)
      assert.equal(after.length, expected.size)
      for (const r of after) {
        assert.deepEqual(expected.get(r.key!), { offset: r.offset, value: r.value })
        assert.equal(r.batch.compression, codec)
        const original = before.find((b) => b.offset === r.offset)!
        assert.equal(r.batch.baseOffset, original.batch.baseOffset)
        assert.equal(r.batch.lastOffsetDelta, original.batch.lastOffsetDelta)
        assert.equal(r.timestamp, original.timestamp)
      }
      await log.close()
    })
  }
})

test('tombstones stay until delete.retention.ms after the cleaning that first kept them', async () => {
  await withTempDir(async (dir) => {
    let now = T0 + 10_000
    const props = { 'cleanup.policy': 'compact', 'delete.retention.ms': 1000 }
    const log = await openLog(dir, props)
    await log.append(
      await keyedBatch([
        { key: 'a', value: 'a1' },
        { key: 'b', value: 'b1' }
      ]),
      { leaderEpoch: 0 }
    )
    await log.append(
      await keyedBatch([
        { key: 'a', value: null, timestamp: T0 + 5 },
        { key: 'c', value: 'c1', timestamp: T0 + 7 }
      ]),
      { leaderEpoch: 0 }
    )
    // A keyless record can only be there from before the topic became compacted; the cleaner drops it.
    log.updateConfig(new LogConfig({ ...props, 'cleanup.policy': 'delete' }))
    await log.append(await keyedBatch([{ key: null, value: 'no key' }]), { leaderEpoch: 0 })
    log.updateConfig(new LogConfig(props))
    await log.roll()
    log.highWatermark = log.logEndOffset
    const cleaner = new LogCleaner({ logs: () => [log], time: () => now })

    await cleaner.clean(log)
    let records = await readAll(log)
    assert.deepEqual(
      records.map((r) => [r.offset, r.key, r.value]),
      [
        [1, 'b', 'b1'],
        [2, 'a', null],
        [3, 'c', 'c1']
      ]
    )
    const tombstone = records[1]!
    assert.equal(tombstone.batch.hasDeleteHorizonMs, true)
    assert.equal(
      Number(tombstone.batch.baseTimestamp),
      now + 1000,
      'delete horizon = cleaning time + retention'
    )
    assert.equal(tombstone.timestamp, T0 + 5, 'record timestamps survive the rebase')
    assert.equal(records[2]!.timestamp, T0 + 7)

    now += 500
    assert.equal(await cleaner.cleanFilthiestLog(), undefined, 'nothing dirty and the horizon has not passed')
    await cleaner.clean(log)
    assert.ok(
      (await readAll(log)).some((r) => r.key === 'a'),
      'still within delete.retention.ms'
    )

    now += 500
    const stats = await cleaner.cleanFilthiestLog()
    assert.ok(stats, 'a passed delete horizon makes the log eligible')
    records = await readAll(log)
    assert.deepEqual(
      records.map((r) => [r.offset, r.key, r.value]),
      [
        [1, 'b', 'b1'],
        [3, 'c', 'c1']
      ]
    )
    assert.equal(await cleaner.cleanFilthiestLog(), undefined)
    await log.close()
  })
})

test('appends made while the cleaner runs are kept', async () => {
  await withTempDir(async (dir) => {
    const log = await openLog(dir, { 'segment.bytes': 2048, 'cleanup.policy': 'compact' })
    await produceUpdates(log, 10, 40)
    const before = await readAll(log)
    const activeBase = log.activeSegment.baseOffset
    const cleaning = new LogCleaner({ logs: () => [log] }).clean(log)
    let cleaningDone = false
    void cleaning.then(() => {
      cleaningDone = true
    })
    let appendsWhileCleaning = 0
    const appended: number[] = []
    for (let i = 0; i < 60; i++) {
      const info = await log.append(await keyedBatch([{ key: `new${i % 3}`, value: `n${i}` }]), {
        leaderEpoch: 0
      })
      appended.push(info.baseOffset)
      if (!cleaningDone) appendsWhileCleaning++
    }
    await cleaning
    assert.ok(appendsWhileCleaning > 0, 'appends completed while the cleaner was running')
    const after = await readAll(log)
    assert.deepEqual(
      after.filter((r) => r.offset >= 400).map((r) => [r.offset, r.value]),
      appended.map((o, i) => [o, `n${i}`])
    )
    const expected = latestPerKey(before.filter((r) => r.offset < activeBase))
    assert.equal(after.filter((r) => r.offset < activeBase).length, expected.size)
    assert.equal(log.logEndOffset, 460)
    await log.close()
  })
})

test('a small offset map cleans in several passes and converges', async () => {
  await withTempDir(async (dir) => {
    const log = await openLog(dir, { 'segment.bytes': 2048, 'cleanup.policy': 'compact' })
    await produceUpdates(log, 25, 12)
    await log.roll()
    log.highWatermark = log.logEndOffset
    const expected = latestPerKey(await readAll(log))
    const cleaner = new LogCleaner({ logs: () => [log], offsetMapCapacity: 12 })
    const first = await cleaner.clean(log)
    assert.ok(first.endOffset < log.logEndOffset, `map full: stopped at ${first.endOffset}`)
    for (let i = 0; i < 60; i++) {
      const stats = await cleaner.clean(log)
      if (stats.endOffset === log.logEndOffset && stats.recordsRemoved === 0) break
    }
    const after = await readAll(log)
    assert.equal(after.length, expected.size)
    for (const r of after) assert.deepEqual(expected.get(r.key!), { offset: r.offset, value: r.value })
    await log.close()
  })
})

test('only compacted logs that are dirty enough and older than min.compaction.lag.ms are picked', async () => {
  await withTempDir(async (dir) => {
    const now = T0 + 500
    const deleting = await openLog(join(dir, 'd-0'), { 'segment.bytes': 2048 })
    const young = await openLog(join(dir, 'y-0'), {
      'segment.bytes': 2048,
      'cleanup.policy': 'compact',
      'min.compaction.lag.ms': 1000
    })
    const both = await openLog(join(dir, 'b-0'), {
      'segment.bytes': 2048,
      'cleanup.policy': 'compact,delete'
    })
    for (const log of [deleting, young, both]) await produceUpdates(log, 10, 20)
    const cleaner = new LogCleaner({ logs: () => [deleting, young, both], time: () => now })
    const youngInfo = await cleaner.logToClean(young)
    assert.equal(youngInfo.firstUncleanableOffset, 0)
    assert.equal(youngInfo.cleanableBytes, 0)
    const stats = await cleaner.cleanFilthiestLog()
    assert.ok(stats && stats.recordsRemoved > 0)
    assert.equal((await readAll(both)).length < 200, true, 'compact,delete was cleaned')
    assert.equal((await readAll(deleting)).length, 200)
    assert.equal((await readAll(young)).length, 200)
    assert.equal(await cleaner.cleanFilthiestLog(), undefined, 'nothing left above the dirty ratio')
    for (const log of [deleting, young, both]) await log.close()
  })
})

test('a crash before the swap leaves the log as it was; .cleaned leftovers are removed', async () => {
  await withTempDir(async (dir) => {
    const props = { 'segment.bytes': 2048, 'cleanup.policy': 'compact' }
    const log = await openLog(dir, props)
    await produceUpdates(log, 10, 20)
    const before = await readAll(log)
    await log.closeHandles()
    const base = '00000000000000000000'
    await writeFile(join(dir, `${base}.log.cleaned`), Buffer.alloc(100, 7))
    await writeFile(join(dir, `${base}.index.cleaned`), Buffer.alloc(16))
    const reopened = await openLog(dir, props)
    assert.deepEqual(
      (await readAll(reopened)).map((r) => [r.offset, r.value]),
      before.map((r) => [r.offset, r.value])
    )
    assert.ok(!(await readdir(dir)).some((n) => n.endsWith('.cleaned')))
    await reopened.close()
  })
})

test('a crash after the swap file is complete finishes the swap on open', async () => {
  await withTempDir(async (root) => {
    const props = { 'segment.bytes': 2048, 'cleanup.policy': 'compact' }
    const cleanedDir = join(root, 'a-0')
    const crashedDir = join(root, 'b-0')
    const a = await openLog(cleanedDir, props)
    const b = await openLog(crashedDir, props)
    for (const log of [a, b]) {
      await produceUpdates(log, 10, 30)
      await log.roll()
      log.highWatermark = log.logEndOffset
    }
    const original = await readAll(b)
    const cleaner = new LogCleaner({ logs: () => [a] })
    await cleaner.clean(a)
    await cleaner.clean(a) // the shrunk segments now merge into one
    const merged = a.segments[0]!
    assert.ok(merged.nextOffset > b.segments[1]!.baseOffset, 'the cleaned segment spans several originals')
    const cleaned = (await readAll(a)).map((r) => [r.offset, r.value])
    await a.close()
    // The state right after `.cleaned` became `.swap`: the old segments are still in place.
    await b.closeHandles()
    await copyFile(merged.log.path, join(crashedDir, '00000000000000000000.log.swap'))

    const reopened = await openLog(crashedDir, props)
    const records = await readAll(reopened)
    const offsets = records.map((r) => r.offset)
    assert.deepEqual(
      offsets,
      [...new Set(offsets)].sort((x, y) => x - y),
      'offsets strictly increase'
    )
    for (const c of cleaned) assert.ok(records.some((r) => r.offset === c[0] && r.value === c[1]))
    assert.ok(records.length < original.length)
    assert.equal(reopened.logEndOffset, 300)
    const names = await readdir(crashedDir)
    assert.ok(!names.some((n) => n.endsWith('.swap')), names.join(' '))
    await new LogCleaner({ logs: () => [reopened] }).clean(reopened)
    assert.deepEqual(
      (await readAll(reopened)).map((r) => [r.offset, r.value]),
      cleaned
    )
    await reopened.close()
  })
})
