import assert from 'node:assert/strict'
import { test } from 'node:test'
import type { PartitionRegistration } from '../../src/cluster/metadata-store.js'
import { DelayedFetch } from '../../src/replica/delayed-fetch.js'
import { DelayedOperationPurgatory } from '../../src/replica/delayed-operation-purgatory.js'
import { type FetchIsolation, Partition } from '../../src/replica/partition.js'
import { partitionKey } from '../../src/replica/partition-key.js'
import { makeBatch, withTempDir } from '../storage/batch-fixtures.js'
import { openLog, TP } from '../storage/log-helpers.js'

/**
 * DelayedFetch against real logs: a parked fetch completes when appends bring min.bytes within reach of
 * what it may read, when max.wait.ms passes, and at once on a leadership change or a truncated log.
 */

const LOCAL = 1
const KEY = partitionKey(TP.topic, TP.partition)

interface Setup {
  partition: Partition
  purgatory: DelayedOperationPurgatory
  batch: Buffer
}

/** A partition led by this broker over a real log; high watermark moves wake the purgatory, as in ReplicaManager. */
async function withPartition(replicas: number[], fn: (s: Setup) => Promise<void>): Promise<void> {
  await withTempDir(async (dir) => {
    const log = await openLog(dir)
    const purgatory = new DelayedOperationPurgatory()
    const registration: PartitionRegistration = {
      partitionIndex: TP.partition,
      replicas,
      isr: replicas,
      leader: LOCAL,
      leaderEpoch: 0,
      partitionEpoch: 0
    }
    const partition = new Partition(TP.topic, 'topic-id', LOCAL, log, registration, () =>
      purgatory.checkAndComplete(KEY)
    )
    try {
      await fn({ partition, purgatory, batch: await makeBatch(['x'.repeat(40)]) })
    } finally {
      purgatory.shutdown()
      await log.close()
    }
  })
}

interface Parked {
  completed: boolean
  expired: boolean | undefined
  finished: Promise<void>
}

/** Parks a fetch that has read everything it may read at `isolation`, as fetchMessages does after its first read. */
function park(s: Setup, isolation: FetchIsolation, neededBytes: number, maxWaitMs: number): Parked {
  const parked: Parked = { completed: false, expired: undefined, finished: Promise.resolve() }
  parked.finished = new Promise((resolve) => {
    const status = DelayedFetch.statusOf([s.partition], [s.partition.readableEnd(isolation)])
    const op = new DelayedFetch(status, isolation, neededBytes, maxWaitMs, (expired) => {
      parked.completed = true
      parked.expired = expired
      resolve()
    })
    assert.deepEqual(op.keys, [KEY])
    s.purgatory.tryCompleteElseWatch(op, op.keys)
  })
  return parked
}

test('a consumer fetch completes once appends bring min.bytes, not before', async () => {
  await withPartition([LOCAL], async (s) => {
    const fetch = park(s, 'high-watermark', Math.ceil(s.batch.length * 1.5), 60_000)
    assert.equal(fetch.completed, false)
    // A cluster of one: the append moves the high watermark, which wakes the fetch; one batch is too little.
    await s.partition.appendRecordsToLeader(s.batch, 1)
    assert.equal(s.partition.highWatermark, 1)
    assert.equal(fetch.completed, false, 'one batch is below min.bytes')
    assert.equal(s.purgatory.size, 1)
    await s.partition.appendRecordsToLeader(s.batch, 1)
    assert.equal(fetch.completed, true, 'two batches reach min.bytes')
    assert.equal(fetch.expired, false)
    assert.equal(s.purgatory.size, 0)
  })
})

test('an append wakes a parked follower fetch while consumers wait for the high watermark', async () => {
  await withPartition([LOCAL, 2], async (s) => {
    const consumer = park(s, 'high-watermark', 1, 60_000)
    const follower = park(s, 'log-end', 1, 60_000)
    // Follower 2 has not fetched: the append leaves the high watermark at 0. The replica manager wakes the
    // purgatory after every leader append.
    await s.partition.appendRecordsToLeader(s.batch, 1)
    s.purgatory.checkAndComplete(KEY)
    assert.equal(s.partition.highWatermark, 0)
    assert.equal(follower.completed, true, 'the log end moved')
    assert.equal(follower.expired, false)
    assert.equal(consumer.completed, false, 'the high watermark did not move')
    // The follower's next fetch tells the leader it holds the batch: the high watermark moves and wakes it.
    s.partition.updateFollowerFetchState(2, 1)
    assert.equal(s.partition.highWatermark, 1)
    assert.equal(consumer.completed, true)
    assert.equal(consumer.expired, false)
  })
})

test('a fetch that gets nothing completes as expired after max.wait.ms', async () => {
  await withPartition([LOCAL], async (s) => {
    const started = Date.now()
    const fetch = park(s, 'high-watermark', 1, 80)
    assert.equal(fetch.completed, false)
    await fetch.finished
    assert.equal(fetch.expired, true)
    assert.ok(Date.now() - started >= 70, 'not before max.wait.ms')
    assert.equal(s.purgatory.size, 0)
  })
})

test('a leadership change completes a parked fetch at once', async () => {
  await withPartition([LOCAL, 2], async (s) => {
    const fetch = park(s, 'high-watermark', 1, 60_000)
    s.partition.updateRegistration({
      ...s.partition.registration,
      leader: 2,
      leaderEpoch: 1,
      partitionEpoch: 1
    })
    assert.equal(fetch.completed, false, 'only a purgatory check completes it')
    s.purgatory.checkAndComplete(KEY)
    assert.equal(fetch.completed, true)
    assert.equal(fetch.expired, false)
  })
})

test('a log truncated below what the fetch read completes it at once', async () => {
  await withPartition([LOCAL, 2], async (s) => {
    await s.partition.appendRecordsToLeader(s.batch, 1)
    await s.partition.appendRecordsToLeader(s.batch, 1)
    const fetch = park(s, 'log-end', 1, 60_000)
    s.purgatory.checkAndComplete(KEY)
    assert.equal(fetch.completed, false, 'nothing changed yet')
    // The fetch offset may be out of range now: the fetcher must hear it rather than wait.
    await s.partition.log.truncateTo(1)
    s.purgatory.checkAndComplete(KEY)
    assert.equal(fetch.completed, true)
    assert.equal(fetch.expired, false)
  })
})
