import assert from 'node:assert/strict'
import { readdir } from 'node:fs/promises'
import { describe, it } from 'node:test'
import { ErrorCode, KafkaError } from '../../src/protocol/error-codes.js'
import { createRecordBatch, encodeRecordBatch } from '../../src/protocol/records/record-batch.js'
import type { UnifiedLog } from '../../src/storage/unified-log.js'
import { withTempDir } from './batch-fixtures.js'
import { openLog } from './log-helpers.js'

function idempotentBatch(
  producerId: bigint,
  epoch: number,
  baseSequence: number,
  count = 1
): Promise<Buffer> {
  return encodeRecordBatch(
    createRecordBatch({
      producerId,
      producerEpoch: epoch,
      baseSequence,
      baseTimestamp: BigInt(Date.now()),
      records: Array.from({ length: count }, (_, i) => ({
        attributes: 0,
        timestampDelta: 0n,
        offsetDelta: i,
        key: null,
        value: Buffer.from(`v${baseSequence + i}`),
        headers: []
      }))
    })
  )
}

async function append(log: UnifiedLog, pid: bigint, epoch: number, seq: number, count = 1) {
  return log.append(await idempotentBatch(pid, epoch, seq, count), { leaderEpoch: 0 })
}

async function rejects(p: Promise<unknown>, code: number): Promise<void> {
  await assert.rejects(p, (err: unknown) => err instanceof KafkaError && err.code === code)
}

describe('UnifiedLog producer state', () => {
  it('answers a retried batch with its original offsets and writes nothing', async () => {
    await withTempDir(async (dir) => {
      const log = await openLog(dir)
      const first = await append(log, 1n, 0, 0, 3)
      const end = log.logEndOffset
      const size = log.size
      const again = await append(log, 1n, 0, 0, 3)
      assert.equal(again.baseOffset, first.baseOffset)
      assert.equal(again.lastOffset, first.lastOffset)
      assert.equal(log.logEndOffset, end)
      assert.equal(log.size, size)
      const next = await append(log, 1n, 0, 3, 2)
      assert.equal(next.baseOffset, end)
      await rejects(append(log, 1n, 0, 9), ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER)
      await append(log, 1n, 1, 0)
      await rejects(append(log, 1n, 0, 5), ErrorCode.INVALID_PRODUCER_EPOCH)
      assert.equal(log.logEndOffset, end + 3)
      await log.close()
    })
  })

  it('snapshots on roll and close, and recognises retries after a clean reopen', async () => {
    await withTempDir(async (dir) => {
      let log = await openLog(dir)
      await append(log, 7n, 0, 0, 2)
      await log.roll()
      const b = await append(log, 7n, 0, 2, 2)
      assert.ok((await readdir(dir)).includes('00000000000000000002.snapshot'))
      await log.close()
      assert.ok((await readdir(dir)).includes('00000000000000000004.snapshot'))
      log = await openLog(dir)
      assert.equal((await append(log, 7n, 0, 2, 2)).baseOffset, b.baseOffset)
      assert.equal((await append(log, 7n, 0, 4)).baseOffset, 4)
      await log.close()
    })
  })

  it('rebuilds the state after a crash by replaying the log after the latest snapshot', async () => {
    await withTempDir(async (dir) => {
      let log = await openLog(dir)
      await append(log, 7n, 0, 0, 2)
      await log.roll()
      const a = await append(log, 7n, 0, 2)
      const b = await append(log, 8n, 3, 10, 4)
      // No clean close: the state past the roll's snapshot exists only in the log.
      await log.closeHandles()
      log = await openLog(dir)
      assert.equal((await append(log, 7n, 0, 2)).baseOffset, a.baseOffset)
      assert.equal((await append(log, 8n, 3, 10, 4)).baseOffset, b.baseOffset)
      await rejects(append(log, 8n, 3, 20), ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER)
      await rejects(append(log, 8n, 2, 0), ErrorCode.INVALID_PRODUCER_EPOCH)
      assert.equal((await append(log, 8n, 3, 14)).baseOffset, b.lastOffset + 1)
      await log.close()
    })
  })

  it('forgets truncated batches: after truncateTo the same sequence is appended anew', async () => {
    await withTempDir(async (dir) => {
      const log = await openLog(dir)
      await append(log, 5n, 0, 0)
      await log.roll()
      await append(log, 5n, 0, 1)
      await append(log, 5n, 0, 2)
      assert.equal(await log.truncateTo(2), true)
      // Sequence 2 was removed: a re-send is new data at the new log end, not a duplicate.
      const resent = await append(log, 5n, 0, 2)
      assert.equal(resent.baseOffset, 2)
      assert.equal(log.logEndOffset, 3)
      // Sequence 1 survived the truncation and is still a retry.
      assert.equal((await append(log, 5n, 0, 1)).baseOffset, 1)
      await log.close()
    })
  })

  it('expires idle producers', async () => {
    await withTempDir(async (dir) => {
      let now = Date.now()
      const log = await openLog(dir, {}, { time: () => now, producerIdExpirationMs: 1000 })
      await append(log, 9n, 0, 0)
      assert.equal(log.producerStateManager.producerIdCount, 1)
      now += 5000
      await log.removeExpiredProducers()
      assert.equal(log.producerStateManager.producerIdCount, 0)
      // An unknown producer may start at any sequence (KIP-360).
      await append(log, 9n, 0, 7)
      await log.close()
    })
  })
})
