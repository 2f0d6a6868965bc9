import assert from 'node:assert/strict'
import { readdir, readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { test } from 'node:test'
import type { UnifiedLog } from '../../src/storage/unified-log.js'
import { makeBatch, withTempDir } from './batch-fixtures.js'
import { batchOffsets, openLog, produce } from './log-helpers.js'

const FIRST_LOG = '00000000000000000000.log'

/** Writes `batches` batches of 2 records each, then drops the log as a crash would (no flush, no marker). */
async function crashedLog(
  dir: string,
  batches: number,
  props: Record<string, number> = {}
): Promise<UnifiedLog> {
  const log = await openLog(dir, props)
  await produce(log, batches, { perBatch: 2, valueBytes: 10, leaderEpoch: 5 })
  await log.closeHandles()
  return log
}

async function readAll(log: UnifiedLog): Promise<number[]> {
  const out: number[] = []
  let next = log.logStartOffset
  while (next < log.logEndOffset) {
    const offsets = batchOffsets((await log.read(next, 1 << 20)).records)
    out.push(...offsets)
    next = offsets[offsets.length - 1]! + 2
  }
  return out
}

/** Reopens, checks that exactly `survivors` batches remain, and that appends continue after them. */
async function expectPrefix(dir: string, survivors: number, what: string): Promise<void> {
  const log = await openLog(dir)
  assert.equal(log.logEndOffset, survivors * 2, what)
  assert.deepEqual(
    await readAll(log),
    Array.from({ length: survivors }, (_, i) => i * 2),
    what
  )
  const info = await log.append(await makeBatch(['after']), { leaderEpoch: 6 })
  assert.equal(info.baseOffset, survivors * 2, what)
  await log.closeHandles()
}

test('a torn last batch is cut at every possible tear point', async () => {
  await withTempDir(async (dir) => {
    await crashedLog(dir, 5)
    const path = join(dir, FIRST_LOG)
    const whole = await readFile(path)
    const batchSize = whole.length / 5
    for (let cut = whole.length - batchSize; cut < whole.length; cut++) {
      await writeFile(path, whole.subarray(0, cut))
      await expectPrefix(dir, 4, `torn at byte ${cut}`)
    }
    await writeFile(path, whole)
    await expectPrefix(dir, 5, 'untouched file')
  })
})

test('a flipped byte anywhere the batch length or CRC covers drops that batch and what follows', async () => {
  await withTempDir(async (dir) => {
    await crashedLog(dir, 5)
    const path = join(dir, FIRST_LOG)
    const whole = await readFile(path)
    const batchSize = whole.length / 5
    // Bytes 0-7 (base offset) and 12-15 (leader epoch) sit outside the CRC by design, as in Kafka.
    for (const victim of [2, 4]) {
      for (let at = 8; at < batchSize; at++) {
        if (at >= 12 && at < 16) continue
        const copy = Buffer.from(whole)
        copy[victim * batchSize + at] = copy[victim * batchSize + at]! ^ 0x5a
        await writeFile(path, copy)
        await expectPrefix(dir, victim, `batch ${victim} byte ${at} flipped`)
      }
    }
  })
})

test('a base offset going backwards is treated as corruption', async () => {
  await withTempDir(async (dir) => {
    await crashedLog(dir, 4)
    const path = join(dir, FIRST_LOG)
    const copy = await readFile(path)
    const batchSize = copy.length / 4
    copy.writeBigInt64BE(0n, 3 * batchSize)
    await writeFile(path, copy)
    await expectPrefix(dir, 3, 'last batch claims offset 0')
  })
})

test('corruption in an older segment removes every later segment', async () => {
  await withTempDir(async (dir) => {
    const log = await crashedLog(dir, 30, { 'segment.bytes': 500 })
    assert.ok(log.segments.length >= 3)
    const second = log.segments[1]!
    const path = join(dir, `${String(second.baseOffset).padStart(20, '0')}.log`)
    const copy = await readFile(path)
    copy[copy.length - 5] = copy[copy.length - 5]! ^ 1
    await writeFile(path, copy)
    const reopened = await openLog(dir, { 'segment.bytes': 500 })
    assert.equal(reopened.segments.length, 2)
    const lastBatchOfSecond = (await readAll(reopened)).at(-1)!
    assert.equal(reopened.logEndOffset, lastBatchOfSecond + 2)
    assert.ok(reopened.logEndOffset < log.logEndOffset - 2)
    const logs = (await readdir(dir)).filter((n) => n.endsWith('.log'))
    assert.equal(logs.length, 2)
    await reopened.close()
  })
})

test('with the clean-shutdown marker the files are trusted, without it they are checked', async () => {
  await withTempDir(async (dir) => {
    const log = await openLog(dir)
    await produce(log, 3, { perBatch: 2 })
    await log.close()
    const path = join(dir, FIRST_LOG)
    const copy = await readFile(path)
    copy[copy.length - 1] = copy[copy.length - 1]! ^ 1
    await writeFile(path, copy)
    const trusted = await openLog(dir)
    assert.equal(trusted.logEndOffset, 6, 'clean shutdown: no CRC scan')
    await trusted.closeHandles()
    const checked = await openLog(dir)
    assert.equal(checked.logEndOffset, 4, 'the marker was consumed, so this open recovers')
    await checked.close()
  })
})

test('segments below the recovery point are not rescanned', async () => {
  await withTempDir(async (dir) => {
    const log = await openLog(dir, { 'segment.bytes': 500 })
    await produce(log, 30, { perBatch: 2, valueBytes: 10 })
    await log.flush()
    const flushedTo = log.recoveryPoint
    await log.closeHandles()
    const path = join(dir, FIRST_LOG)
    const copy = await readFile(path)
    copy[copy.length - 1] = copy[copy.length - 1]! ^ 1
    await writeFile(path, copy)
    const reopened = await openLog(dir, { 'segment.bytes': 500 }, { recoveryPoint: flushedTo })
    assert.equal(reopened.logEndOffset, 60, 'first segment trusted below the recovery point')
    await reopened.closeHandles()
    const fromZero = await openLog(dir, { 'segment.bytes': 500 }, { recoveryPoint: 0 })
    assert.ok(fromZero.logEndOffset < 60, 'a recovery point of 0 rescans it and cuts the log')
    await fromZero.close()
  })
})

test('recovery rebuilds the leader epoch cache from the batches', async () => {
  await withTempDir(async (dir) => {
    const log = await openLog(dir)
    await produce(log, 2, { leaderEpoch: 1 })
    await produce(log, 2, { leaderEpoch: 4 })
    await log.closeHandles()
    await writeFile(join(dir, 'leader-epoch-checkpoint'), '0\n0\n')
    const reopened = await openLog(dir)
    assert.deepEqual(reopened.leaderEpochCache.epochEntries, [
      { epoch: 1, startOffset: 0 },
      { epoch: 4, startOffset: 2 }
    ])
    await reopened.close()
  })
})
