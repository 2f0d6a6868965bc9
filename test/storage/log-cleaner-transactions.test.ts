import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import {
  ControlRecordType,
  createEndTxnMarkerBatch,
  decodeControlRecordKey
} from '../../src/protocol/records/control-record.js'
import {
  createRecordBatch,
  decodeRecordBatch,
  encodeRecordBatch,
  type RecordBatch
} from '../../src/protocol/records/record-batch.js'
import { LogCleaner } from '../../src/storage/log-cleaner.js'
import type { UnifiedLog } from '../../src/storage/unified-log.js'
import { withTempDir } from './batch-fixtures.js'
import { openLog } from './log-helpers.js'

const T0 = 1_700_000_000_000
const RETENTION = 1000
const PROPS = { 'cleanup.policy': 'compact', 'delete.retention.ms': RETENTION }

/** One record batch, transactional when `pid` is given (verified first, as the coordinator would). */
async function write(log: UnifiedLog, key: string, value: string, pid?: bigint, seq = 0): Promise<number> {
  if (pid !== undefined) log.beginTxnVerification(pid, 0)
  const batch = await encodeRecordBatch(
    createRecordBatch({
      baseTimestamp: BigInt(T0),
      ...(pid === undefined
        ? {}
        : { producerId: pid, producerEpoch: 0, baseSequence: seq, isTransactional: true }),
      records: [
        {
          attributes: 0,
          timestampDelta: 0n,
          offsetDelta: 0,
          key: Buffer.from(key),
          value: Buffer.from(value),
          headers: []
        }
      ]
    })
  )
  const info = await log.append(batch, { leaderEpoch: 0 })
  log.highWatermark = log.logEndOffset
  return info.baseOffset
}

async function marker(log: UnifiedLog, pid: bigint, commit: boolean): Promise<number> {
  const records = await encodeRecordBatch(
    createEndTxnMarkerBatch({
      producerId: pid,
      producerEpoch: 0,
      timestamp: BigInt(T0),
      marker: { type: commit ? ControlRecordType.COMMIT : ControlRecordType.ABORT, coordinatorEpoch: 0 }
    })
  )
  const info = await log.append(records, { leaderEpoch: 0, origin: 'coordinator' })
  log.highWatermark = log.logEndOffset
  return info.baseOffset
}

/** Every batch of the log, summarised: data as `key=value`, markers as COMMIT/ABORT. */
async function readBatches(log: UnifiedLog): Promise<{ offset: number; what: string; batch: RecordBatch }[]> {
  const out: { offset: number; what: string; batch: RecordBatch }[] = []
  let next = log.logStartOffset
  while (next < log.logEndOffset) {
    const { records } = await log.read(next, 1 << 20)
    if (records.length === 0) break
    for (let pos = 0; pos < records.length; pos += records.readInt32BE(pos + 8) + 12) {
      const batch = await decodeRecordBatch(records, pos)
      next = Number(batch.baseOffset) + batch.lastOffsetDelta + 1
      for (const r of batch.records) {
        const what = batch.isControl
          ? decodeControlRecordKey(r.key).type === ControlRecordType.COMMIT
            ? 'COMMIT'
            : 'ABORT'
          : `${r.key?.toString()}=${r.value?.toString()}`
        out.push({ offset: Number(batch.baseOffset) + r.offsetDelta, what, batch })
      }
    }
  }
  return out
}

async function summary(log: UnifiedLog): Promise<[number, string][]> {
  return (await readBatches(log)).map((b) => [b.offset, b.what])
}

describe('LogCleaner with transactions', () => {
  it('removes aborted data, which never shadows the committed value of its key', async () => {
    await withTempDir(async (dir) => {
      const log = await openLog(dir, PROPS)
      await write(log, 'k', 'committed', 1n) // 0
      await marker(log, 1n, true) // 1
      await write(log, 'k', 'aborted', 2n) // 2
      await marker(log, 2n, false) // 3
      await write(log, 'other', 'x') // 4
      await log.roll()
      assert.equal(log.collectAbortedTransactions(0, log.logEndOffset).length, 1)

      await new LogCleaner({ logs: () => [log], time: () => T0 }).clean(log)
      assert.deepEqual(await summary(log), [
        [0, 'k=committed'],
        [1, 'COMMIT'],
        [3, 'ABORT'],
        [4, 'other=x']
      ])
      // The marker stays (its data was removed only now), and so does its index entry.
      assert.deepEqual(
        log
          .collectAbortedTransactions(0, log.logEndOffset)
          .map((t) => [t.producerId, t.firstOffset, t.lastOffset]),
        [[2n, 2, 3]]
      )
      await log.close()
    })
  })

  it('removes markers delete.retention.ms after their transaction has no data left', async () => {
    await withTempDir(async (dir) => {
      let now = T0
      const log = await openLog(dir, PROPS)
      await write(log, 'k', 'v1', 1n, 0) // 0
      await marker(log, 1n, true) // 1
      await write(log, 'k', 'v2', 2n) // 2
      await marker(log, 2n, false) // 3
      await write(log, 'k', 'v3', 1n, 1) // 4
      await marker(log, 1n, true) // 5
      await log.roll()
      const cleaner = new LogCleaner({ logs: () => [log], time: () => now })

      await cleaner.clean(log)
      // v1 is superseded by v3 (the aborted v2 is not a candidate); both markers met data in this pass.
      assert.deepEqual(await summary(log), [
        [1, 'COMMIT'],
        [3, 'ABORT'],
        [4, 'k=v3'],
        [5, 'COMMIT']
      ])
      assert.equal(log.collectAbortedTransactions(0, log.logEndOffset).length, 1)

      now += 10
      await cleaner.clean(log)
      const batches = await readBatches(log)
      assert.deepEqual(
        batches.map((b) => [b.offset, b.what]),
        [
          [1, 'COMMIT'],
          [3, 'ABORT'],
          [4, 'k=v3'],
          [5, 'COMMIT']
        ]
      )
      // Markers of transactions without data get a delete horizon; the one of v3's transaction does not.
      const horizons = batches.map((b) =>
        b.batch.hasDeleteHorizonMs ? Number(b.batch.baseTimestamp) : undefined
      )
      assert.deepEqual(horizons, [now + RETENTION, now + RETENTION, undefined, undefined])
      assert.equal(batches[0]!.batch.producerId, 1n, 'a stamped marker keeps its producer')
      // The index entry goes with the data: a later batch of producer 2 must not read as aborted.
      assert.deepEqual(log.collectAbortedTransactions(0, log.logEndOffset), [])

      now += RETENTION - 1
      assert.equal(await cleaner.cleanFilthiestLog(), undefined, 'the horizon has not passed')
      assert.equal((await summary(log)).length, 4)

      now += 1
      assert.ok(await cleaner.cleanFilthiestLog(), 'a passed horizon makes the log eligible')
      assert.deepEqual(await summary(log), [
        [4, 'k=v3'],
        [5, 'COMMIT']
      ])
      await log.close()
    })
  })

  it('never cleans at or past the last stable offset, so open transactions are untouched', async () => {
    await withTempDir(async (dir) => {
      const log = await openLog(dir, PROPS)
      await write(log, 'k', 'v1') // 0
      await log.roll()
      await write(log, 'k', 'open', 7n) // 1: transaction still open
      await write(log, 'k', 'v3') // 2
      await log.roll()
      await write(log, 'tail', 't') // 3 (active segment)
      assert.equal(log.lastStableOffset, 1)
      const cleaner = new LogCleaner({ logs: () => [log], time: () => T0 })

      await cleaner.clean(log)
      assert.deepEqual(await summary(log), [
        [0, 'k=v1'],
        [1, 'k=open'],
        [2, 'k=v3'],
        [3, 'tail=t']
      ])

      await marker(log, 7n, false) // 4
      await log.roll()
      assert.equal(log.lastStableOffset, log.logEndOffset)
      await cleaner.clean(log)
      assert.deepEqual(await summary(log), [
        [2, 'k=v3'],
        [3, 'tail=t'],
        [4, 'ABORT']
      ])
      await log.close()
    })
  })

  it('the rebuilt transaction index survives a reopen', async () => {
    await withTempDir(async (dir) => {
      let log = await openLog(dir, PROPS)
      await write(log, 'a', 'aborted', 3n) // 0
      await write(log, 'b', 'kept') // 1
      await marker(log, 3n, false) // 2
      await write(log, 'c', 'kept') // 3
      await log.roll()
      await new LogCleaner({ logs: () => [log], time: () => T0 }).clean(log)
      assert.deepEqual(await summary(log), [
        [1, 'b=kept'],
        [2, 'ABORT'],
        [3, 'c=kept']
      ])
      await log.close()
      log = await openLog(dir, PROPS)
      assert.deepEqual(
        log
          .collectAbortedTransactions(0, log.logEndOffset)
          .map((t) => [t.producerId, t.firstOffset, t.lastOffset]),
        [[3n, 0, 2]]
      )
      await log.close()
    })
  })
})
