import assert from 'node:assert/strict'
import { readdir, readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { describe, it } from 'node:test'
import { ErrorCode, KafkaError } from '../../src/protocol/error-codes.js'
import { ControlRecordType, createEndTxnMarkerBatch } from '../../src/protocol/records/control-record.js'
import { createRecordBatch, encodeRecordBatch } from '../../src/protocol/records/record-batch.js'
import type { UnifiedLog } from '../../src/storage/unified-log.js'
import { withTempDir } from './batch-fixtures.js'
import { batchOffsets, openLog } from './log-helpers.js'

function txnBatch(producerId: bigint, epoch: number, baseSequence: number, count = 1): Promise<Buffer> {
  return encodeRecordBatch(
    createRecordBatch({
      producerId,
      producerEpoch: epoch,
      baseSequence,
      isTransactional: true,
      baseTimestamp: BigInt(Date.now()),
      records: Array.from({ length: count }, (_, i) => ({
        attributes: 0,
        timestampDelta: 0n,
        offsetDelta: i,
        key: null,
        value: Buffer.from(`p${producerId}-${baseSequence + i}`),
        headers: []
      }))
    })
  )
}

/** Writes `count` transactional records as producer `pid` (verified first, as the coordinator would). */
async function write(log: UnifiedLog, pid: bigint, seq: number, count = 1, epoch = 0) {
  log.beginTxnVerification(pid, epoch)
  const info = await log.append(await txnBatch(pid, epoch, seq, count), { leaderEpoch: 0 })
  log.highWatermark = log.logEndOffset
  return info
}

async function marker(log: UnifiedLog, pid: bigint, commit: boolean, coordinatorEpoch = 0, epoch = 0) {
  const records = await encodeRecordBatch(
    createEndTxnMarkerBatch({
      producerId: pid,
      producerEpoch: epoch,
      timestamp: BigInt(Date.now()),
      marker: { type: commit ? ControlRecordType.COMMIT : ControlRecordType.ABORT, coordinatorEpoch }
    })
  )
  const info = await log.append(records, { leaderEpoch: 0, origin: 'coordinator' })
  log.highWatermark = log.logEndOffset
  return info
}

async function rejects(p: Promise<unknown>, code: number): Promise<void> {
  await assert.rejects(p, (err: unknown) => err instanceof KafkaError && err.code === code)
}

function txnIndexFiles(names: string[]): string[] {
  return names.filter((n) => n.endsWith('.txnindex')).sort()
}

describe('UnifiedLog transactions', () => {
  it('holds the last stable offset at the first open transaction until its marker', async () => {
    await withTempDir(async (dir) => {
      const log = await openLog(dir)
      await write(log, 1n, 0, 2) // 0-1
      assert.equal(log.lastStableOffset, 0)
      await write(log, 2n, 0) // 2
      await write(log, 1n, 2) // 3
      assert.equal(log.lastStableOffset, 0)
      await marker(log, 1n, true) // 4: producer 1 commits; producer 2 still open at 2
      assert.equal(log.lastStableOffset, 2)
      await marker(log, 2n, false) // 5
      assert.equal(log.lastStableOffset, 6)
      assert.equal(log.highWatermark, 6)
      // Lower high watermark bounds it too.
      log.highWatermark = 5
      assert.equal(log.lastStableOffset, 5)
      await log.close()
    })
  })

  it('records aborted transactions in the marker segment .txnindex, which survives restart', async () => {
    await withTempDir(async (dir) => {
      let log = await openLog(dir)
      await write(log, 1n, 0, 2) // 0-1
      await write(log, 2n, 0) // 2
      await log.roll()
      await marker(log, 1n, false) // 3: aborted while producer 2's transaction is open at 2
      await marker(log, 2n, true) // 4: committed, not indexed
      await write(log, 3n, 0) // 5
      await marker(log, 3n, false) // 6
      const expected = [
        { producerId: 1n, firstOffset: 0, lastOffset: 3, lastStableOffset: 2 },
        { producerId: 3n, firstOffset: 5, lastOffset: 6, lastStableOffset: 7 }
      ]
      assert.deepEqual(log.collectAbortedTransactions(0, 7), expected)
      assert.deepEqual(txnIndexFiles(await readdir(dir)), ['00000000000000000003.txnindex'])
      const bytes = await readFile(join(dir, '00000000000000000003.txnindex'))
      assert.equal(bytes.length, 2 * 34)
      assert.equal(bytes.readInt16BE(0), 0)
      assert.equal(bytes.readBigInt64BE(2), 1n)
      assert.equal(bytes.readBigInt64BE(10), 0n)
      assert.equal(bytes.readBigInt64BE(18), 3n)
      assert.equal(bytes.readBigInt64BE(26), 2n)
      await log.close()
      log = await openLog(dir, {}, { highWatermark: 7 })
      assert.deepEqual(log.collectAbortedTransactions(0, 7), expected)
      // Only transactions overlapping the range are returned.
      assert.deepEqual(log.collectAbortedTransactions(4, 7), [expected[1]])
      assert.deepEqual(log.collectAbortedTransactions(0, 2), [expected[0]])
      await log.close()
    })
  })

  it('rebuilds the txnindex and open transactions after a crash, and keeps them in snapshots', async () => {
    await withTempDir(async (dir) => {
      let log = await openLog(dir)
      await write(log, 1n, 0) // 0
      await log.roll() // snapshot at 1 holds producer 1's open transaction
      await write(log, 2n, 0) // 1
      await marker(log, 1n, false) // 2
      // A crash: the active segment is recovered, its txnindex is deleted and derived again.
      await log.closeHandles()
      const { unlink } = await import('node:fs/promises')
      await unlink(join(dir, '00000000000000000001.txnindex'))
      log = await openLog(dir, {}, { highWatermark: 3, recoveryPoint: 0 })
      assert.deepEqual(log.collectAbortedTransactions(0, 3), [
        { producerId: 1n, firstOffset: 0, lastOffset: 2, lastStableOffset: 1 }
      ])
      // Producer 2's transaction is still open after the restart.
      assert.equal(log.lastStableOffset, 1)
      await marker(log, 2n, true)
      assert.equal(log.lastStableOffset, 4)
      await log.close()
    })
  })

  it('truncation drops index entries and reopens transactions whose markers were cut', async () => {
    await withTempDir(async (dir) => {
      const log = await openLog(dir)
      await write(log, 1n, 0) // 0
      await marker(log, 1n, false) // 1
      await write(log, 2n, 0) // 2
      await marker(log, 2n, false) // 3
      assert.equal(log.collectAbortedTransactions(0, 4).length, 2)
      await log.truncateTo(3)
      assert.deepEqual(log.collectAbortedTransactions(0, 3), [
        { producerId: 1n, firstOffset: 0, lastOffset: 1, lastStableOffset: 2 }
      ])
      assert.equal(log.lastStableOffset, 2)
      await log.close()
    })
  })

  it('rejects unverified transactional writes, stale epochs and fenced coordinators', async () => {
    await withTempDir(async (dir) => {
      const log = await openLog(dir)
      // KIP-890: no AddPartitionsToTxn announced producer 7 here.
      await rejects(log.append(await txnBatch(7n, 0, 0), { leaderEpoch: 0 }), ErrorCode.INVALID_TXN_STATE)
      log.beginTxnVerification(7n, 1)
      await rejects(log.append(await txnBatch(7n, 0, 0), { leaderEpoch: 0 }), ErrorCode.INVALID_TXN_STATE)
      await write(log, 7n, 0, 1, 1)
      // Within the open transaction no new verification is needed.
      await log.append(await txnBatch(7n, 1, 1), { leaderEpoch: 0 })
      await marker(log, 7n, true, 5, 1)
      // The transaction ended: the next one needs a new verification.
      await rejects(log.append(await txnBatch(7n, 1, 2), { leaderEpoch: 0 }), ErrorCode.INVALID_TXN_STATE)
      await rejects(marker(log, 7n, false, 4, 1), ErrorCode.TRANSACTION_COORDINATOR_FENCED)
      await rejects(marker(log, 7n, false, 5, 0), ErrorCode.INVALID_PRODUCER_EPOCH)
      await log.close()
    })
  })

  it('read_committed reads stop at the last stable offset', async () => {
    await withTempDir(async (dir) => {
      const log = await openLog(dir)
      await write(log, 1n, 0) // 0
      await marker(log, 1n, true) // 1
      await write(log, 2n, 0) // 2, open
      const read = await log.read(0, 1 << 20, { maxOffset: log.lastStableOffset })
      assert.deepEqual(batchOffsets(read.records), [0, 1])
      await log.close()
    })
  })
})
