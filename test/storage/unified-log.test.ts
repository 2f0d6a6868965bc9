import assert from 'node:assert/strict'
import { readdir } from 'node:fs/promises'
import { test } from 'node:test'
import { ErrorCode, KafkaError } from '../../src/protocol/error-codes.js'
import { CompressionType } from '../../src/protocol/records/compression-type.js'
import { decodeRecordBatch } from '../../src/protocol/records/record-batch.js'
import { LogConfig } from '../../src/storage/log-config.js'
import { EARLIEST_TIMESTAMP, LATEST_TIMESTAMP, MAX_TIMESTAMP } from '../../src/storage/unified-log.js'
import { filler, makeBatch, withTempDir } from './batch-fixtures.js'
import { batchOffsets, openLog, produce } from './log-helpers.js'

const hasCode = (code: number) => (err: unknown) => err instanceof KafkaError && err.code === code

test('append assigns consecutive offsets and stamps the leader epoch', async () => {
  await withTempDir(async (dir) => {
    const log = await openLog(dir)
    const a = await log.append(await makeBatch(['a', 'b', 'c']), { leaderEpoch: 7 })
    const b = await log.append(await makeBatch(['d']), { leaderEpoch: 7 })
    assert.deepEqual([a.baseOffset, a.lastOffset, b.baseOffset, b.lastOffset], [0, 2, 3, 3])
    assert.equal(a.logAppendTime, -1)
    assert.equal(log.logEndOffset, 4)
    const { records } = await log.read(0, 1 << 20)
    assert.deepEqual(batchOffsets(records), [0, 3])
    const decoded = await decodeRecordBatch(records)
    assert.equal(decoded.partitionLeaderEpoch, 7)
    assert.deepEqual(
      decoded.records.map((r) => r.value?.toString()),
      ['a', 'b', 'c']
    )
    assert.deepEqual(log.leaderEpochCache.epochEntries, [{ epoch: 7, startOffset: 0 }])
    await log.close()
  })
})

test('reads are bounded by maxOffset and maxBytes, and out-of-range offsets fail', async () => {
  await withTempDir(async (dir) => {
    const log = await openLog(dir)
    await produce(log, 10, { perBatch: 2 })
    assert.deepEqual(batchOffsets((await log.read(5, 1 << 20)).records), [4, 6, 8, 10, 12, 14, 16, 18])
    assert.deepEqual(batchOffsets((await log.read(0, 1 << 20, { maxOffset: 6 })).records), [0, 2, 4])
    assert.equal((await log.read(6, 1 << 20, { maxOffset: 6 })).records.length, 0)
    assert.deepEqual(batchOffsets((await log.read(0, 1)).records), [0], 'minOneMessage by default')
    assert.equal((await log.read(0, 1, { minOneMessage: false })).records.length, 0)
    assert.equal((await log.read(20, 1 << 20)).records.length, 0, 'reading at the log end is empty')
    await assert.rejects(log.read(21, 100), hasCode(ErrorCode.OFFSET_OUT_OF_RANGE))
    await assert.rejects(log.read(-1, 100), hasCode(ErrorCode.OFFSET_OUT_OF_RANGE))
    await log.close()
  })
})

test('segments roll on segment.bytes and reads cross segment boundaries', async () => {
  await withTempDir(async (dir) => {
    const log = await openLog(dir, { 'segment.bytes': 1024 })
    await produce(log, 30, { valueBytes: 100 })
    assert.ok(log.segments.length > 3)
    for (const s of log.segments) assert.ok(s.size <= 1024)
    const names = await readdir(dir)
    assert.ok(names.includes('00000000000000000000.log'))
    assert.ok(names.includes(`${String(log.segments[1]!.baseOffset).padStart(20, '0')}.log`))
    let next = 0
    while (next < log.logEndOffset) {
      const offsets = batchOffsets((await log.read(next, 1 << 20)).records)
      assert.equal(offsets[0], next)
      next = offsets[offsets.length - 1]! + 1
    }
    assert.equal(next, 30)
    await log.close()
  })
})

test('segment.ms rolls on record time elapsed since the first batch', async () => {
  await withTempDir(async (dir) => {
    const log = await openLog(dir, { 'segment.ms': 1000 })
    await produce(log, 2, { timestamp: 10_000 })
    await produce(log, 1, { timestamp: 10_900 })
    assert.equal(log.segments.length, 1)
    await produce(log, 1, { timestamp: 11_001 })
    assert.equal(log.segments.length, 2)
    assert.equal(log.activeSegment.baseOffset, 3)
    await log.close()
  })
})

test('invalid appends are rejected with Kafka error codes and leave the log unchanged', async () => {
  await withTempDir(async (dir) => {
    const log = await openLog(dir, { 'max.message.bytes': 500 })
    const corrupt = await makeBatch(['hello'])
    corrupt[corrupt.length - 1] = corrupt[corrupt.length - 1]! ^ 0xff
    await assert.rejects(log.append(corrupt, { leaderEpoch: 0 }), hasCode(ErrorCode.CORRUPT_MESSAGE))
    const big = await makeBatch([filler(600)])
    await assert.rejects(log.append(big, { leaderEpoch: 0 }), hasCode(ErrorCode.MESSAGE_TOO_LARGE))
    const torn = (await makeBatch(['x'])).subarray(0, 40)
    await assert.rejects(log.append(torn, { leaderEpoch: 0 }), hasCode(ErrorCode.CORRUPT_MESSAGE))
    await assert.rejects(log.append(Buffer.alloc(0), { leaderEpoch: 0 }), hasCode(ErrorCode.INVALID_RECORD))
    assert.equal(log.logEndOffset, 0)
    assert.equal(log.size, 0)
    await produce(log, 1)
    assert.equal(log.logEndOffset, 1)
    await log.close()
  })
})

test('a batch larger than segment.bytes is RECORD_LIST_TOO_LARGE', async () => {
  await withTempDir(async (dir) => {
    const log = await openLog(dir, { 'segment.bytes': 200 })
    await assert.rejects(
      log.append(await makeBatch([filler(300)]), { leaderEpoch: 0 }),
      hasCode(ErrorCode.RECORD_LIST_TOO_LARGE)
    )
    await log.close()
  })
})

test('concurrent appends to one log never interleave', async () => {
  await withTempDir(async (dir) => {
    const log = await openLog(dir, { 'segment.bytes': 4096 })
    const batches = await Promise.all(Array.from({ length: 50 }, (_, i) => makeBatch([`v${i}`, `w${i}`])))
    const results = await Promise.all(batches.map((b) => log.append(b, { leaderEpoch: 0 })))
    const bases = results.map((r) => r.baseOffset).sort((a, b) => a - b)
    assert.deepEqual(
      bases,
      Array.from({ length: 50 }, (_, i) => i * 2)
    )
    let next = 0
    const seen: number[] = []
    while (next < 100) {
      const offsets = batchOffsets((await log.read(next, 1 << 20)).records)
      seen.push(...offsets)
      next = offsets[offsets.length - 1]! + 2
    }
    assert.deepEqual(seen, bases)
    await log.close()
  })
})

test('LogAppendTime replaces the timestamp and keeps the CRC valid', async () => {
  await withTempDir(async (dir) => {
    const log = await openLog(dir, { 'message.timestamp.type': 'LogAppendTime' }, { time: () => 1_234_567 })
    const info = await log.append(await makeBatch({ values: ['a'], timestamp: 5 }), { leaderEpoch: 0 })
    assert.equal(info.logAppendTime, 1_234_567)
    const decoded = await decodeRecordBatch((await log.read(0, 1000)).records)
    assert.equal(decoded.maxTimestamp, 1_234_567n)
    assert.equal(decoded.timestampType, 1)
    await log.close()
  })
})

test('fetchOffsetByTimestamp answers ListOffsets', async () => {
  await withTempDir(async (dir) => {
    const log = await openLog(dir, { 'segment.bytes': 600 }, { highWatermark: 0 })
    for (let i = 0; i < 20; i++) {
      await log.append(await makeBatch({ values: ['a', 'b'], timestamps: [i * 100, i * 100 + 50] }), {
        leaderEpoch: i < 10 ? 1 : 2
      })
    }
    await log.append(
      await makeBatch({
        values: ['c', 'd', 'e'],
        timestamps: [3000, 9000, 4000],
        compression: CompressionType.GZIP
      }),
      { leaderEpoch: 2 }
    )
    assert.ok(log.segments.length > 1)
    assert.deepEqual(await log.fetchOffsetByTimestamp(EARLIEST_TIMESTAMP), {
      timestamp: -1,
      offset: 0,
      leaderEpoch: 1
    })
    assert.deepEqual(await log.fetchOffsetByTimestamp(LATEST_TIMESTAMP), {
      timestamp: -1,
      offset: 43,
      leaderEpoch: 2
    })
    assert.deepEqual(await log.fetchOffsetByTimestamp(MAX_TIMESTAMP), {
      timestamp: 9000,
      offset: 41,
      leaderEpoch: 2
    })
    assert.deepEqual(await log.fetchOffsetByTimestamp(0), { timestamp: 0, offset: 0, leaderEpoch: 1 })
    assert.deepEqual(await log.fetchOffsetByTimestamp(1020), { timestamp: 1050, offset: 21, leaderEpoch: 2 })
    assert.deepEqual(await log.fetchOffsetByTimestamp(1950), { timestamp: 1950, offset: 39, leaderEpoch: 2 })
    assert.deepEqual(await log.fetchOffsetByTimestamp(5000), { timestamp: 9000, offset: 41, leaderEpoch: 2 })
    assert.equal(await log.fetchOffsetByTimestamp(9001), undefined)
    await log.close()
  })
})

test('deleteRecordsBefore moves the log start, drops whole segments, and refuses past the high watermark', async () => {
  await withTempDir(async (dir) => {
    const log = await openLog(dir, { 'segment.bytes': 500, 'file.delete.delay.ms': 0 })
    await produce(log, 20, { valueBytes: 50 })
    await assert.rejects(log.deleteRecordsBefore(5), hasCode(ErrorCode.OFFSET_OUT_OF_RANGE))
    log.highWatermark = 20
    const before = log.segments.length
    const secondBase = log.segments[1]!.baseOffset
    assert.equal(await log.deleteRecordsBefore(secondBase + 1), secondBase + 1)
    assert.equal(log.logStartOffset, secondBase + 1)
    assert.equal(log.segments.length, before - 1)
    assert.equal(log.segments[0]!.baseOffset, secondBase)
    await assert.rejects(log.read(secondBase, 100), hasCode(ErrorCode.OFFSET_OUT_OF_RANGE))
    assert.deepEqual(batchOffsets((await log.read(secondBase + 1, 1)).records), [secondBase + 1])
    assert.equal(await log.deleteRecordsBefore(2), secondBase + 1, 'moving backwards is a no-op')
    assert.equal(await log.deleteRecordsBefore(-1), 20, '-1 means the high watermark')
    assert.equal(log.segments.length, 1)
    await log.close()
  })
})

test('flush.messages groups fsyncs and advances the recovery point', async () => {
  await withTempDir(async (dir) => {
    const log = await openLog(dir, { 'flush.messages': 3 })
    await produce(log, 2)
    assert.equal(log.recoveryPoint, 0)
    assert.equal(log.unflushedMessages, 2)
    await produce(log, 1)
    assert.equal(log.recoveryPoint, 3)
    const batches = await Promise.all(Array.from({ length: 10 }, () => makeBatch(['z'])))
    await Promise.all(batches.map((b) => log.append(b, { leaderEpoch: 0 })))
    assert.ok(log.recoveryPoint >= 12, `recovery point ${log.recoveryPoint}`)
    await log.close()
  })
})

test('flushIfDue honours flush.ms', async () => {
  await withTempDir(async (dir) => {
    let now = 0
    const log = await openLog(dir, { 'flush.ms': 1000 }, { time: () => now })
    await produce(log, 2)
    await log.flushIfDue()
    assert.equal(log.recoveryPoint, 0)
    now = 1000
    await log.flushIfDue()
    assert.equal(log.recoveryPoint, 2)
    await log.close()
  })
})

test('close then reopen keeps everything and appends continue', async () => {
  await withTempDir(async (dir) => {
    const log = await openLog(dir, { 'segment.bytes': 700 })
    await produce(log, 25, { valueBytes: 40, leaderEpoch: 3 })
    const segments = log.segments.length
    await log.close()
    assert.ok((await readdir(dir)).includes('.kafka_cleanshutdown'))
    await assert.rejects(
      log.append(await makeBatch(['x']), { leaderEpoch: 3 }),
      hasCode(ErrorCode.KAFKA_STORAGE_ERROR)
    )

    const again = await openLog(dir, { 'segment.bytes': 700 }, { highWatermark: 25 })
    assert.ok(!(await readdir(dir)).includes('.kafka_cleanshutdown'), 'marker consumed on open')
    assert.equal(again.segments.length, segments)
    assert.equal(again.logEndOffset, 25)
    assert.equal(again.highWatermark, 25)
    assert.equal(again.recoveryPoint, 25)
    assert.deepEqual(again.leaderEpochCache.epochEntries, [{ epoch: 3, startOffset: 0 }])
    const info = await again.append(await makeBatch(['y']), { leaderEpoch: 4 })
    assert.equal(info.baseOffset, 25)
    assert.deepEqual(again.leaderEpochCache.epochEntries, [
      { epoch: 3, startOffset: 0 },
      { epoch: 4, startOffset: 25 }
    ])
    await again.close()
  })
})

test('truncateTo drops later segments and batches, and the epoch cache follows', async () => {
  await withTempDir(async (dir) => {
    const log = await openLog(dir, { 'segment.bytes': 500 })
    await produce(log, 10, { valueBytes: 50, leaderEpoch: 1 })
    await produce(log, 10, { valueBytes: 50, leaderEpoch: 2 })
    log.highWatermark = 20
    assert.equal(await log.truncateTo(7), true)
    assert.equal(log.logEndOffset, 7)
    assert.equal(log.highWatermark, 7)
    assert.deepEqual(log.leaderEpochCache.epochEntries, [{ epoch: 1, startOffset: 0 }])
    const info = await log.append(await makeBatch(['n']), { leaderEpoch: 3 })
    assert.equal(info.baseOffset, 7)
    assert.deepEqual(batchOffsets((await log.read(6, 1 << 20)).records), [6, 7])
    await log.close()
  })
})

test('retention.ms drops old non-active segments below the high watermark, renaming them first', async () => {
  await withTempDir(async (dir) => {
    let now = 1_700_000_000_000
    const props = { 'segment.bytes': 500, 'retention.ms': 60_000, 'file.delete.delay.ms': 100 }
    const log = await openLog(dir, props, { time: () => now })
    await produce(log, 10, { valueBytes: 50, timestamp: now - 120_000 })
    await produce(log, 10, { valueBytes: 50, timestamp: now })
    const before = log.segments.length
    assert.equal(await log.deleteOldSegments(), 0, 'nothing is deleted above the high watermark')
    log.highWatermark = log.logEndOffset
    const deleted = await log.deleteOldSegments()
    assert.ok(deleted > 0 && deleted < before)
    assert.equal(log.logStartOffset, log.segments[0]!.baseOffset)
    assert.ok(log.logStartOffset <= 10, 'segments holding new records stay')
    const names = await readdir(dir)
    assert.ok(names.some((n) => n.endsWith('.log.deleted')))
    assert.ok(names.some((n) => n.endsWith('.index.deleted')))
    await new Promise((r) => setTimeout(r, 300))
    assert.ok(!(await readdir(dir)).some((n) => n.endsWith('.deleted')), 'removed after file.delete.delay.ms')
    now += 120_000
    await log.deleteOldSegments()
    assert.equal(log.segments.length, 1, 'the active segment is never deleted')
    assert.equal(log.logEndOffset, 20)
    await log.close()
  })
})

test('retention.bytes keeps the log within the limit, oldest first', async () => {
  await withTempDir(async (dir) => {
    const log = await openLog(dir, {
      'segment.bytes': 500,
      'retention.bytes': 1000,
      'retention.ms': -1,
      'file.delete.delay.ms': 0
    })
    await produce(log, 30, { valueBytes: 50 })
    log.highWatermark = log.logEndOffset
    const sizeBefore = log.size
    assert.ok(sizeBefore > 1000)
    assert.ok((await log.deleteOldSegments()) > 0)
    // Kafka's rule: delete oldest segments only while what remains is still at least retention.bytes.
    assert.ok(log.size >= 1000, 'never below retention.bytes')
    assert.ok(log.size - log.segments[0]!.size < 1000, 'but one more deletion would go below')
    assert.equal(log.logStartOffset, log.segments[0]!.baseOffset)
    await assert.rejects(log.read(0, 100), hasCode(ErrorCode.OFFSET_OUT_OF_RANGE))
    await log.close()
  })
})

test('cleanup.policy=compact disables time and size retention', async () => {
  await withTempDir(async (dir) => {
    const props = { 'segment.bytes': 500, 'retention.bytes': 0 }
    const log = await openLog(dir, props)
    // Keyless fixtures: a compacted topic refuses them, so the policy changes after they are written.
    await produce(log, 20, { valueBytes: 50 })
    log.updateConfig(new LogConfig({ ...props, 'cleanup.policy': 'compact' }))
    log.highWatermark = log.logEndOffset
    assert.equal(await log.deleteOldSegments(), 0)
    await log.close()
  })
})

test('a failed write (ENOSPC) raises KAFKA_STORAGE_ERROR, takes the log offline and loses nothing before it', async (t) => {
  const { access, symlink, unlink } = await import('node:fs/promises')
  try {
    await access('/dev/full')
  } catch {
    t.skip('no /dev/full on this machine')
    return
  }
  await withTempDir(async (dir) => {
    const log = await openLog(dir, { 'segment.bytes': 500 })
    await produce(log, 3, { valueBytes: 100 })
    // The next segment's file is /dev/full, where every write fails with ENOSPC: a real full disk.
    const nextLog = `${String(log.logEndOffset).padStart(20, '0')}.log`
    await symlink('/dev/full', `${dir}/${nextLog}`)
    await log.roll()
    await assert.rejects(produce(log, 1, { valueBytes: 100 }), hasCode(ErrorCode.KAFKA_STORAGE_ERROR))
    assert.equal(log.isOffline, true)
    await assert.rejects(produce(log, 1), hasCode(ErrorCode.KAFKA_STORAGE_ERROR))
    await assert.rejects(log.read(0, 100), hasCode(ErrorCode.KAFKA_STORAGE_ERROR))
    const endBefore = log.logEndOffset
    await log.closeHandles()
    await unlink(`${dir}/${nextLog}`)
    const again = await openLog(dir, { 'segment.bytes': 500 })
    assert.equal(again.logEndOffset, endBefore)
    assert.equal((await again.append(await makeBatch(['ok']), { leaderEpoch: 0 })).baseOffset, endBefore)
    await again.close()
  })
})

test('epochs not yet in the checkpoint come back from the log after a crash, and a flush makes them durable', async () => {
  await withTempDir(async (dir) => {
    const log = await openLog(dir, { 'segment.bytes': 600 })
    await produce(log, 2, { valueBytes: 40, leaderEpoch: 1 })
    await produce(log, 2, { valueBytes: 40, leaderEpoch: 2 })
    assert.deepEqual(log.leaderEpochCache.epochEntries, [
      { epoch: 1, startOffset: 0 },
      { epoch: 2, startOffset: 2 }
    ])
    assert.ok(log.leaderEpochCache.needsFlush, 'appends leave the checkpoint to the next flush')
    // A crash: no flush, no marker; recovery scans the unflushed batches and finds their epochs.
    await log.closeHandles()
    const again = await openLog(dir, { 'segment.bytes': 600 })
    assert.deepEqual(again.leaderEpochCache.epochEntries, [
      { epoch: 1, startOffset: 0 },
      { epoch: 2, startOffset: 2 }
    ])
    assert.equal(again.leaderEpochCache.needsFlush, false)
    // The recovery point moves only once the epochs below it are in the file.
    await produce(again, 1, { valueBytes: 40, leaderEpoch: 5 })
    await again.flush()
    assert.equal(again.recoveryPoint, again.logEndOffset)
    assert.equal(again.leaderEpochCache.needsFlush, false)
    await again.closeHandles()
    const third = await openLog(dir, { 'segment.bytes': 600 }, { recoveryPoint: 5 })
    assert.deepEqual(third.leaderEpochCache.epochEntries, [
      { epoch: 1, startOffset: 0 },
      { epoch: 2, startOffset: 2 },
      { epoch: 5, startOffset: 4 }
    ])
    await third.close()
  })
})
