import assert from 'node:assert/strict'
import { dirname } from 'node:path'
import { test } from 'node:test'
import type { PartitionRegistration } from '../../src/cluster/metadata-store.js'
import { ErrorCode, errorCodeOf } from '../../src/protocol/error-codes.js'
import { createRecordBatch, encodeRecordBatch } from '../../src/protocol/records/record-batch.js'
import { Partition } from '../../src/replica/partition.js'
import { makeBatch, withTempDir } from '../storage/batch-fixtures.js'
import { openLog, TP } from '../storage/log-helpers.js'

/**
 * What the ListOffsets, OffsetForLeaderEpoch, DeleteRecords, DescribeProducers and DescribeLogDirs handlers
 * ask of a Partition, against a real log: leader and epoch checks, visible ends, policies.
 */

const LOCAL = 1
const T0 = 1_700_000_000_000

async function withPartition(
  props: Record<string, string | number>,
  fn: (p: Partition, dir: string) => Promise<void>
): Promise<void> {
  await withTempDir(async (dir) => {
    const log = await openLog(dir, props)
    const registration: PartitionRegistration = {
      partitionIndex: TP.partition,
      replicas: [LOCAL, 2],
      isr: [LOCAL],
      leader: LOCAL,
      leaderEpoch: 0,
      partitionEpoch: 0
    }
    const partition = new Partition(TP.topic, 'topic-id', LOCAL, log, registration, () => {})
    try {
      await fn(partition, dir)
    } finally {
      await log.close()
    }
  })
}

/** Three batches of one record at T0, T0+10, T0+20, the last two under leader epoch 1. */
async function appendThree(p: Partition): Promise<void> {
  await p.appendRecordsToLeader(await makeBatch({ values: ['a'], timestamp: T0 }), 1)
  p.updateRegistration({ ...p.registration, leaderEpoch: 1, partitionEpoch: 1 })
  await p.appendRecordsToLeader(await makeBatch({ values: ['b'], timestamp: T0 + 10 }), 1)
  await p.appendRecordsToLeader(await makeBatch({ values: ['c'], timestamp: T0 + 20 }), 1)
}

/** One record with a key, as a compacted topic requires. */
function keyedBatch(): Promise<Buffer> {
  return encodeRecordBatch(
    createRecordBatch({
      baseTimestamp: BigInt(T0),
      records: [
        { attributes: 0, timestampDelta: 0n, offsetDelta: 0, key: Buffer.from('k'), value: null, headers: [] }
      ]
    })
  )
}

function becomeFollower(p: Partition): void {
  p.updateRegistration({ ...p.registration, leader: 2, leaderEpoch: p.leaderEpoch + 1 })
}

async function codeOf(work: () => unknown): Promise<number> {
  try {
    await work()
  } catch (err) {
    return errorCodeOf(err)
  }
  return ErrorCode.NONE
}

test('ListOffsets: special timestamps, lookups below the visible end, leader and epoch checks', async () => {
  await withPartition({}, async (p) => {
    await appendThree(p)
    assert.equal(p.highWatermark, 3)
    assert.deepEqual(await p.fetchOffsetForTimestamp(-1, 'high-watermark', -1), {
      offset: 3,
      timestamp: -1,
      leaderEpoch: 1
    })
    assert.deepEqual(await p.fetchOffsetForTimestamp(-5, 'txn-committed', 1), {
      offset: 3,
      timestamp: -1,
      leaderEpoch: 1
    })
    assert.deepEqual(await p.fetchOffsetForTimestamp(-2, 'high-watermark', -1), {
      offset: 0,
      timestamp: -1,
      leaderEpoch: 0
    })
    assert.deepEqual(await p.fetchOffsetForTimestamp(T0 + 5, 'high-watermark', -1), {
      offset: 1,
      timestamp: T0 + 10,
      leaderEpoch: 1
    })
    assert.deepEqual(await p.fetchOffsetForTimestamp(-3, 'high-watermark', -1), {
      offset: 2,
      timestamp: T0 + 20,
      leaderEpoch: 1
    })
    assert.deepEqual(await p.fetchOffsetForTimestamp(T0 + 30, 'high-watermark', -1), {
      offset: -1,
      timestamp: -1,
      leaderEpoch: -1
    })
    assert.equal(
      await codeOf(() => p.fetchOffsetForTimestamp(-6, 'high-watermark', -1)),
      ErrorCode.UNSUPPORTED_VERSION
    )
    assert.equal(
      await codeOf(() => p.fetchOffsetForTimestamp(-1, 'high-watermark', 0)),
      ErrorCode.FENCED_LEADER_EPOCH
    )
    becomeFollower(p)
    assert.equal(
      await codeOf(() => p.fetchOffsetForTimestamp(-1, 'high-watermark', -1)),
      ErrorCode.NOT_LEADER_OR_FOLLOWER
    )
  })
})

test('ListOffsets: a record above the high watermark is not found', async () => {
  await withPartition({}, async (p) => {
    // Follower 2 joins the ISR without having fetched: the high watermark stays at 0.
    p.updateRegistration({ ...p.registration, isr: [LOCAL, 2], partitionEpoch: 1 })
    await p.appendRecordsToLeader(await makeBatch({ values: ['a'], timestamp: T0 }), 1)
    assert.equal(p.highWatermark, 0)
    assert.equal((await p.fetchOffsetForTimestamp(T0, 'high-watermark', -1)).offset, -1)
    assert.equal((await p.fetchOffsetForTimestamp(-1, 'high-watermark', -1)).offset, 0)
  })
})

test('OffsetForLeaderEpoch: epoch end offsets, and a follower answers only when allowed', async () => {
  await withPartition({}, async (p) => {
    await appendThree(p)
    assert.deepEqual(p.lastOffsetForLeaderEpoch(-1, 0, true), { epoch: 0, endOffset: 1 })
    assert.deepEqual(p.lastOffsetForLeaderEpoch(1, 1, true), { epoch: 1, endOffset: 3 })
    assert.equal(await codeOf(() => p.lastOffsetForLeaderEpoch(2, 1, true)), ErrorCode.UNKNOWN_LEADER_EPOCH)
    becomeFollower(p)
    assert.equal(
      await codeOf(() => p.lastOffsetForLeaderEpoch(-1, 0, true)),
      ErrorCode.NOT_LEADER_OR_FOLLOWER
    )
    assert.deepEqual(p.lastOffsetForLeaderEpoch(-1, 0, false), { epoch: 0, endOffset: 1 })
  })
})

test('DeleteRecords: up to an offset or the high watermark, only as leader of a delete-policy log', async () => {
  await withPartition({}, async (p) => {
    await appendThree(p)
    assert.equal(await codeOf(() => p.deleteRecordsBefore(-2)), ErrorCode.OFFSET_OUT_OF_RANGE)
    assert.equal(await codeOf(() => p.deleteRecordsBefore(4)), ErrorCode.OFFSET_OUT_OF_RANGE)
    assert.equal(await p.deleteRecordsBefore(1), 1)
    assert.equal(p.logStartOffset, 1)
    assert.equal(await p.deleteRecordsBefore(-1), 3)
    becomeFollower(p)
    assert.equal(await codeOf(() => p.deleteRecordsBefore(-1)), ErrorCode.NOT_LEADER_OR_FOLLOWER)
  })
  await withPartition({ 'cleanup.policy': 'compact' }, async (p) => {
    // Compacted records need keys; the policy refuses before any offset is looked at.
    await p.appendRecordsToLeader(await keyedBatch(), 1)
    assert.equal(await codeOf(() => p.deleteRecordsBefore(1)), ErrorCode.POLICY_VIOLATION)
    assert.equal(p.logStartOffset, 0)
  })
})

test('DescribeProducers and DescribeLogDirs: active producers, log dir and size', async () => {
  await withPartition({}, async (p, dir) => {
    assert.equal(p.activeProducers.length, 0)
    assert.equal(p.logSize, 0)
    const batch = await encodeRecordBatch(
      createRecordBatch({
        baseTimestamp: BigInt(T0),
        producerId: 42n,
        producerEpoch: 3,
        baseSequence: 0,
        records: [{ attributes: 0, timestampDelta: 0n, offsetDelta: 0, key: null, value: null, headers: [] }]
      })
    )
    await p.appendRecordsToLeader(batch, 1)
    const producers = p.activeProducers
    assert.equal(producers.length, 1)
    assert.equal(producers[0]?.producerId, 42n)
    assert.equal(producers[0]?.producerEpoch, 3)
    assert.equal(producers[0]?.lastSeq, 0)
    assert.equal(p.logSize, batch.length)
    assert.equal(p.logDir, dirname(dir))
  })
})
