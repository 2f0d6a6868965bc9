import assert from 'node:assert/strict'
import { appendFile, readdir } from 'node:fs/promises'
import { join } from 'node:path'
import { test } from 'node:test'
import { setTimeout as sleep } from 'node:timers/promises'
import { ErrorCode, KafkaError } from '../../src/protocol/error-codes.js'
import type { BatchEntry } from '../../src/storage/file-records.js'
import { LocalLog, type LocalLogOptions } from '../../src/storage/local-log.js'
import { LogConfig } from '../../src/storage/log-config.js'
import { assignOffsets, validateBatches } from '../../src/storage/log-validator.js'
import { makeBatch, withTempDir } from './batch-fixtures.js'
import { batchOffsets, TP } from './log-helpers.js'

const hasCode = (code: number) => (err: unknown) => err instanceof KafkaError && err.code === code

function openLocal(
  dir: string,
  props: Record<string, string | number> = {},
  extra: Partial<LocalLogOptions> = {}
): Promise<LocalLog> {
  return LocalLog.open({ dir, topicPartition: TP, config: new LogConfig(props), ...extra })
}

/** Appends one batch of `count` records at the log end, as UnifiedLog does after validation. */
async function appendAt(log: LocalLog, count = 1, epoch = 0): Promise<void> {
  const records = await makeBatch(Array.from({ length: count }, (_, i) => `v${i}`))
  const batches = validateBatches(records, 1 << 20, 'client')
  assignOffsets(records, batches, log.logEndOffset, epoch)
  await log.append(records, batches, Date.now(), batches[batches.length - 1]!.lastOffset)
}

/** Appends a batch whose offsets start at `base` (a replicated batch after a gap): roll there first. */
async function appendFrom(log: LocalLog, base: number): Promise<void> {
  const records = await makeBatch(['gap'])
  const batches = validateBatches(records, 1 << 20, 'client')
  assignOffsets(records, batches, base, 0)
  await log.roll(base)
  await log.append(records, batches, Date.now(), base)
}

const bases = (log: LocalLog) => log.segments.map((s) => s.baseOffset)
const logFiles = async (dir: string) => (await readdir(dir)).filter((n) => n.endsWith('.log')).sort()

test('a new directory starts with one empty active segment at the log start offset', async () => {
  await withTempDir(async (dir) => {
    const log = await openLocal(dir, {}, { logStartOffset: 5 })
    assert.deepEqual(bases(log), [5])
    assert.equal(log.logEndOffset, 5)
    await appendAt(log, 3)
    assert.equal(log.logEndOffset, 8)
    assert.deepEqual(batchOffsets((await log.read(5, 1 << 20)).records), [5])
    await log.close()
  })
})

test('roll starts a new active segment, and an empty active segment is kept or replaced, never left as a hole', async () => {
  await withTempDir(async (dir) => {
    const log = await openLocal(dir)
    await appendAt(log, 2)
    const first = log.activeSegment
    const rolled = await log.roll(2)
    assert.deepEqual(bases(log), [0, 2])
    assert.equal(log.activeSegment, rolled)
    assert.notEqual(rolled, first)
    assert.equal(await log.roll(2), rolled, 'an empty active segment at that offset is the roll')
    assert.deepEqual(bases(log), [0, 2])
    await log.roll(7)
    assert.deepEqual(bases(log), [0, 7], 'the empty segment at 2 is replaced')
    assert.deepEqual(await logFiles(dir), ['00000000000000000000.log', '00000000000000000007.log'])
    await log.close()
  })
})

test('read moves on to the next segment when the one below the offset has nothing at or after it', async () => {
  await withTempDir(async (dir) => {
    const log = await openLocal(dir)
    await appendAt(log)
    await appendAt(log)
    await appendFrom(log, 5)
    await appendAt(log)
    assert.deepEqual(bases(log), [0, 5])
    assert.equal(log.logEndOffset, 7)
    const fromGap = await log.read(3, 1 << 20)
    assert.equal(fromGap.segmentBaseOffset, 5)
    assert.deepEqual(batchOffsets(fromGap.records), [5, 6])
    const first = await log.read(0, 1 << 20)
    assert.equal(first.segmentBaseOffset, 0)
    assert.deepEqual(batchOffsets(first.records), [0, 1], 'one read never spans two segments')
    assert.deepEqual(batchOffsets((await log.read(5, 1 << 20, { maxOffset: 6 })).records), [5])
    assert.equal((await log.read(7, 1 << 20)).records.length, 0, 'at the log end')
    await assert.rejects(log.read(8, 1 << 20), hasCode(ErrorCode.OFFSET_OUT_OF_RANGE))
    await log.close()
  })
})

test('truncateTo cuts the segment holding the target, deletes later ones and caps the recovery point', async () => {
  await withTempDir(async (dir) => {
    const log = await openLocal(dir)
    for (const base of [0, 2, 4]) {
      if (base > 0) await log.roll(base)
      await appendAt(log)
      await appendAt(log)
    }
    await log.flush()
    assert.equal(log.recoveryPoint, 6)
    await log.truncateTo(3)
    assert.deepEqual(bases(log), [0, 2])
    assert.equal(log.logEndOffset, 3)
    assert.equal(log.recoveryPoint, 3)
    assert.deepEqual(await logFiles(dir), ['00000000000000000000.log', '00000000000000000002.log'])
    assert.deepEqual(batchOffsets((await log.read(2, 1 << 20)).records), [2])
    await assert.rejects(log.read(4, 1 << 20), hasCode(ErrorCode.OFFSET_OUT_OF_RANGE))
    await appendAt(log)
    assert.equal(log.logEndOffset, 4, 'appends continue from the truncation point')
    await log.close()
  })
})

test('truncateTo below the first segment leaves one empty segment starting at the target', async () => {
  await withTempDir(async (dir) => {
    const log = await openLocal(dir, {}, { logStartOffset: 10 })
    await appendAt(log, 3)
    await log.truncateTo(4)
    assert.deepEqual(bases(log), [4])
    assert.equal(log.logEndOffset, 4)
    assert.deepEqual(await logFiles(dir), ['00000000000000000004.log'])
    await log.close()
  })
})

test('truncateFullyAndStartAt drops every segment with its transaction index and starts empty', async () => {
  await withTempDir(async (dir) => {
    const log = await openLocal(dir)
    await appendAt(log, 2)
    await log.roll(2)
    await appendAt(log)
    await log.txnIndexes.append(2, { producerId: 9n, firstOffset: 0, lastOffset: 2, lastStableOffset: 0 })
    await log.flush()
    assert.equal(log.collectAbortedTransactions(0, 3).length, 1)
    await log.truncateFullyAndStartAt(100)
    assert.deepEqual(bases(log), [100])
    assert.equal(log.logEndOffset, 100)
    assert.equal(log.recoveryPoint, 100)
    assert.deepEqual(log.collectAbortedTransactions(0, 200), [])
    const names = await readdir(dir)
    assert.deepEqual(
      names.filter((n) => !n.startsWith('00000000000000000100.')),
      [],
      'nothing of the old segments is left'
    )
    await log.close()
  })
})

test('removed segments disappear from reads; their files go to .deleted and away after file.delete.delay.ms', async () => {
  await withTempDir(async (dir) => {
    const log = await openLocal(dir, { 'file.delete.delay.ms': 100 })
    await appendAt(log)
    await log.roll(1)
    await appendAt(log)
    await log.txnIndexes.append(0, { producerId: 1n, firstOffset: 0, lastOffset: 0, lastStableOffset: 0 })
    const doomed = [log.segments[0]!]
    await log.removeSegments(doomed)
    assert.deepEqual(bases(log), [1])
    assert.deepEqual(log.collectAbortedTransactions(0, 2), [], 'the transaction index goes with the segment')
    assert.deepEqual(batchOffsets((await log.read(0, 1 << 20)).records), [1])
    assert.ok(
      (await readdir(dir)).includes('00000000000000000000.log'),
      'files stay until deleteSegmentFiles'
    )
    await log.deleteSegmentFiles(doomed)
    const renamed = await readdir(dir)
    assert.ok(renamed.includes('00000000000000000000.log.deleted'))
    assert.ok(!renamed.includes('00000000000000000000.log'))
    for (let waited = 0; waited < 5000; waited += 50) {
      if (!(await readdir(dir)).some((n) => n.startsWith('00000000000000000000.'))) break
      await sleep(50)
    }
    assert.ok(!(await readdir(dir)).some((n) => n.startsWith('00000000000000000000.')))
    await log.close()
  })
})

test('close completes pending segment deletions at once', async () => {
  await withTempDir(async (dir) => {
    const log = await openLocal(dir, { 'file.delete.delay.ms': 600_000 })
    await appendAt(log)
    await log.roll(1)
    const doomed = [log.segments[0]!]
    await log.removeSegments(doomed)
    await log.deleteSegmentFiles(doomed)
    await log.close()
    assert.deepEqual(await logFiles(dir), ['00000000000000000001.log'])
    assert.ok(!(await readdir(dir)).some((n) => n.endsWith('.deleted')))
  })
})

test('flush moves the recovery point to the log end after the owner hook, and concurrent flushes share one', async () => {
  await withTempDir(async (dir) => {
    let now = 1_000
    const hookSaw: number[] = []
    const ref: { log?: LocalLog } = {}
    const log = await openLocal(
      dir,
      {},
      {
        time: () => now,
        beforeRecoveryPointMoves: async () => {
          hookSaw.push(ref.log?.recoveryPoint ?? -1)
        }
      }
    )
    ref.log = log
    assert.equal(log.lastFlushTime, 1_000)
    await appendAt(log, 3)
    assert.equal(log.unflushedMessages, 3)
    now = 2_000
    await Promise.all([log.flush(), log.flush()])
    assert.deepEqual(hookSaw, [0], 'one flush, and the hook ran before the recovery point moved')
    assert.equal(log.recoveryPoint, 3)
    assert.equal(log.unflushedMessages, 0)
    assert.equal(log.lastFlushTime, 2_000)
    await log.flush(2)
    assert.deepEqual(hookSaw, [0], 'a flush below the recovery point does nothing')
    await appendAt(log, 2)
    await log.flush(4)
    assert.equal(log.recoveryPoint, 5, 'a flush covers everything appended before it started')
    await log.close()
  })
})

test('reopening re-scans only the segments at or above the recovery point and cuts a torn tail', async () => {
  await withTempDir(async (dir) => {
    const log = await openLocal(dir)
    await appendAt(log, 3)
    await log.roll(3)
    await appendAt(log, 2)
    await log.flush()
    await log.closeHandles()
    await appendFile(join(dir, '00000000000000000003.log'), Buffer.alloc(30, 7))
    const seen: BatchEntry[] = []
    const again = await openLocal(dir, {}, { recoveryPoint: 3, onRecoveredBatch: (b) => seen.push(b) })
    assert.equal(again.firstRecoveredBaseOffset, 3)
    assert.deepEqual(
      seen.map((b) => b.baseOffset),
      [3]
    )
    assert.deepEqual(bases(again), [0, 3])
    assert.equal(again.logEndOffset, 5)
    assert.equal(again.recoveryPoint, 5, 'recovered files are fsynced at open')
    assert.equal(again.segments[1]!.size, (await again.read(3, 1 << 20)).records.length)
    await again.close()
  })
})

test('an offline log refuses reads and checkOnline; a closed one refuses checkOnline', async () => {
  await withTempDir(async (dir) => {
    const log = await openLocal(dir)
    await appendAt(log)
    const err = log.markOffline(new Error('EIO'))
    assert.equal(err.code, ErrorCode.KAFKA_STORAGE_ERROR)
    assert.ok(log.isOffline)
    await assert.rejects(log.read(0, 100), hasCode(ErrorCode.KAFKA_STORAGE_ERROR))
    assert.throws(() => log.checkOnline(), hasCode(ErrorCode.KAFKA_STORAGE_ERROR))
    await log.closeHandles()
    const reopened = await openLocal(dir)
    assert.ok(!reopened.isOffline)
    reopened.checkOnline()
    await reopened.close()
    assert.throws(() => reopened.checkOnline(), hasCode(ErrorCode.KAFKA_STORAGE_ERROR))
  })
})
