/**
 * The follower's truncation decisions in ReplicaFetcher, against a real leader over loopback: an in-process
 * server with the broker's own Fetch and OffsetForLeaderEpoch handlers over a real ReplicaManager and log.
 * The follower side is a real Partition on a real log; nothing under test is replaced.
 */

import assert from 'node:assert/strict'
import { mkdir, mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, it } from 'node:test'
import { setTimeout as sleep } from 'node:timers/promises'
import { FileMetadataStore } from '../../src/cluster/file-metadata-store.js'
import { randomUuid } from '../../src/cluster/kafka-uuid.js'
import { MetadataCache } from '../../src/cluster/metadata-cache.js'
import type { PartitionRegistration } from '../../src/cluster/metadata-store.js'
import { KafkaConfig } from '../../src/config/kafka-config.js'
import type { FetchRequest, FetchResponse } from '../../src/protocol/messages/fetch.js'
import type {
  OffsetForLeaderEpochRequest,
  OffsetForLeaderEpochResponse
} from '../../src/protocol/messages/offset-for-leader-epoch.js'
import { Partition } from '../../src/replica/partition.js'
import { ReplicaFetcher } from '../../src/replica/replica-fetcher.js'
import { ReplicaManager } from '../../src/replica/replica-manager.js'
import type { ApiHandler } from '../../src/server/api-registry.js'
import { createFetchHandler } from '../../src/server/handlers/fetch.js'
import type { HandlerDeps } from '../../src/server/handlers/handler-deps.js'
import { createOffsetForLeaderEpochHandler } from '../../src/server/handlers/offset-for-leader-epoch.js'
import type { KafkaServer } from '../../src/server/kafka-server.js'
import { LogConfig } from '../../src/storage/log-config.js'
import { LogManager } from '../../src/storage/log-manager.js'
import type { UnifiedLog } from '../../src/storage/unified-log.js'
import { startInProcessBroker } from '../helpers/in-process-broker.js'
import { openLog, produce, TP } from '../storage/log-helpers.js'

const LEADER = 1
const FOLLOWER = 2

interface Cluster {
  /** The leader's log of orders-0 (broker 1, leader epoch 2). */
  leaderLog: UnifiedLog
  leaderPartition: Partition
  /** The follower's partition (broker 2) on its own log, following broker 1 at epoch 2. */
  follower: Partition
  /** Every offset the follower's log was truncated to, in order. */
  cuts: number[]
  /** What the leader answered: OffsetForLeaderEpoch end offsets and Fetch diverging epochs. */
  epochAnswers: { leaderEpoch: number; endOffset: bigint }[]
  divergingAnswers: { epoch: number; endOffset: bigint }[]
  fetcherErrors: unknown[]
  start(): ReplicaFetcher
  close(): Promise<void>
}

/**
 * orders-0 with replicas [1, 2], led by broker 1 at `leaderEpoch` (even, default 2: broker 1 led the even
 * epochs, broker 2 the odd ones). `afterEpochAnswer` runs on the leader after it answers the first
 * OffsetForLeaderEpoch, before the follower can fetch: the leader appending right then is a race made
 * deterministic.
 */
async function cluster(
  opts: { leaderEpoch?: number; afterEpochAnswer?: (leaderLog: UnifiedLog) => Promise<void> } = {}
): Promise<Cluster> {
  const root = await mkdtemp(join(tmpdir(), 'samsa-replica-fetcher-'))
  const cleanups: (() => Promise<void> | void)[] = [() => rm(root, { recursive: true, force: true })]
  const close = async () => {
    for (const c of cleanups.reverse()) await c()
  }
  try {
    const metaDir = join(root, 'meta')
    await mkdir(metaDir)
    const store = await FileMetadataStore.open({ logDirs: [metaDir], nodeId: LEADER })
    cleanups.push(() => store.close())
    const created = await store.createTopic({
      name: TP.topic,
      topicId: randomUuid(),
      partitions: [{ replicas: [LEADER, FOLLOWER], isr: [LEADER, FOLLOWER], leader: LEADER }],
      configs: {}
    })
    let registration = created.partitions[0]!
    while (registration.leaderEpoch < (opts.leaderEpoch ?? 2)) {
      registration = await store.alterPartition(created.topicId, 0, registration.partitionEpoch, {
        leader: registration.leader === LEADER ? FOLLOWER : LEADER
      })
    }
    assert.equal(registration.leader, LEADER)
    const metadataCache = await MetadataCache.start(store)
    cleanups.push(() => metadataCache.close())

    const logManager = new LogManager({ logDirs: [join(root, 'leader')] })
    await logManager.startup()
    cleanups.push(() => logManager.shutdown())
    const replicaManager = new ReplicaManager({
      localBrokerId: LEADER,
      logManager,
      metadataCache,
      logConfigFor: () => new LogConfig()
    })
    await replicaManager.startup()
    cleanups.push(() => replicaManager.shutdown())
    const leaderPartition = await replicaManager.getPartition(TP.topic, 0)

    const config = new KafkaConfig(new Map([['listeners', 'PLAINTEXT://127.0.0.1:0']]))
    const deps: HandlerDeps = {
      config,
      metadataCache,
      replicaManager,
      controller: undefined as never,
      controllerChannel: undefined as never,
      advertisedEndPoints: () => []
    }
    const epochAnswers: Cluster['epochAnswers'] = []
    const divergingAnswers: Cluster['divergingAnswers'] = []
    const realEpochs = createOffsetForLeaderEpochHandler(deps)
    let answered = false
    const offsetForLeaderEpoch: ApiHandler<OffsetForLeaderEpochRequest, OffsetForLeaderEpochResponse> = {
      ...realEpochs,
      async handle(request, ctx) {
        const response = (await realEpochs.handle(request, ctx)) as OffsetForLeaderEpochResponse
        for (const t of response.topics) {
          for (const p of t.partitions)
            epochAnswers.push({ leaderEpoch: p.leaderEpoch ?? -1, endOffset: p.endOffset })
        }
        if (!answered) {
          answered = true
          await opts.afterEpochAnswer?.(leaderPartition.log)
        }
        return response
      }
    }
    const realFetch = createFetchHandler(deps)
    const fetch: ApiHandler<FetchRequest, FetchResponse> = {
      ...realFetch,
      async handle(request, ctx) {
        const response = (await realFetch.handle(request, ctx)) as FetchResponse
        for (const t of response.responses) {
          for (const p of t.partitions) {
            if (p.divergingEpoch && p.divergingEpoch.epoch >= 0) divergingAnswers.push(p.divergingEpoch)
          }
        }
        return response
      }
    }
    const { server, port } = await startInProcessBroker({ handlers: [fetch, offsetForLeaderEpoch] })
    cleanups.push(() => (server as KafkaServer).shutdown())

    const followerLog = await openLog(join(root, 'follower'))
    cleanups.push(() => followerLog.close())
    const cuts: number[] = []
    const truncateTo = followerLog.truncateTo.bind(followerLog)
    followerLog.truncateTo = (offset: number) => {
      cuts.push(offset)
      return truncateTo(offset)
    }
    const followerState: PartitionRegistration = { ...registration }
    const follower = new Partition(TP.topic, created.topicId, FOLLOWER, followerLog, followerState, () => {})
    const fetcherErrors: unknown[] = []
    const start = () => {
      const fetcher = new ReplicaFetcher(
        FOLLOWER,
        LEADER,
        () => ({ host: '127.0.0.1', port }),
        (err) => fetcherErrors.push(err),
        { maxWaitMs: 20, partitionMaxBytes: 1_048_576, maxBytes: 10_485_760, backoffMs: 20 }
      )
      cleanups.push(() => fetcher.shutdown())
      fetcher.addPartition(follower)
      return fetcher
    }
    return {
      leaderLog: leaderPartition.log,
      leaderPartition,
      follower,
      cuts,
      epochAnswers,
      divergingAnswers,
      fetcherErrors,
      start,
      close
    }
  } catch (err) {
    await close()
    throw err
  }
}

async function waitFor(what: string, condition: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await sleep(5)
  }
}

/** The follower's log matches the leader's byte for byte: same offsets, epochs and records. */
async function assertReplicated(c: Cluster): Promise<void> {
  await waitFor('the follower to catch up and take the high watermark', () => {
    const end = c.leaderLog.logEndOffset
    return c.follower.log.logEndOffset === end && c.follower.highWatermark === end
  })
  const end = c.leaderLog.logEndOffset
  const start = c.leaderLog.logStartOffset
  assert.equal(c.follower.log.logStartOffset, start)
  const leader = await c.leaderLog.read(start, 1 << 20)
  const follower = await c.follower.log.read(start, 1 << 20)
  assert.ok(follower.records.equals(leader.records), 'the follower holds exactly the leader log')
  assert.equal(c.leaderPartition.highWatermark, end, 'the follower fetch moved the leader high watermark')
  assert.equal(c.leaderPartition.followerLogEndOffset(FOLLOWER), end)
}

/** Epoch cache entries as [epoch, startOffset]. */
function epochs(log: UnifiedLog): [number, number][] {
  return log.leaderEpochCache.epochEntries.map((e) => [e.epoch, e.startOffset])
}

describe('ReplicaFetcher truncation', () => {
  it('cuts the records of an epoch the leader never had, where OffsetForLeaderEpoch says, and no further', async () => {
    const c = await cluster()
    try {
      // Shared history: epoch 0, offsets 0-4. Broker 2 then led epoch 1 and wrote 5-7 that nobody copied;
      // broker 1 leads epoch 2 and wrote 5-9.
      await produce(c.leaderLog, 5, { leaderEpoch: 0 })
      await produce(c.leaderLog, 5, { leaderEpoch: 2 })
      await produce(c.follower.log, 5, { leaderEpoch: 0 })
      await produce(c.follower.log, 3, { leaderEpoch: 1, valueBytes: 30 })
      c.start()
      await assertReplicated(c)
      assert.deepEqual(c.fetcherErrors, [], 'no fetch failed on the way')
      assert.deepEqual(c.epochAnswers.slice(0, 1), [{ leaderEpoch: 0, endOffset: 5n }])
      assert.deepEqual(c.cuts, [5], 'one cut, at the end of the shared epoch 0')
      assert.deepEqual(epochs(c.follower.log), [
        [0, 0],
        [2, 5]
      ])
      assert.deepEqual(c.divergingAnswers, [])
    } finally {
      await c.close()
    }
  })

  it('keeps a log that is a prefix of the leader log and fetches the rest', async () => {
    const c = await cluster()
    try {
      await produce(c.leaderLog, 4, { leaderEpoch: 0 })
      await produce(c.leaderLog, 3, { leaderEpoch: 2 })
      await produce(c.follower.log, 4, { leaderEpoch: 0 })
      c.start()
      await assertReplicated(c)
      assert.deepEqual(c.fetcherErrors, [], 'no fetch failed on the way')
      assert.deepEqual(c.cuts, [], 'nothing to cut')
      assert.equal(c.follower.log.logEndOffset, 7)
    } finally {
      await c.close()
    }
  })

  it('walks down the epochs when the follower lacks the epoch the leader answers with', async () => {
    const c = await cluster({ leaderEpoch: 4 })
    try {
      // Shared: epoch 0, offsets 0-2. Broker 1 wrote 3-4 in epoch 1 that broker 2 never copied; broker 2
      // wrote 3-5 in epoch 3 that broker 1 never copied; broker 1 leads epoch 4 and wrote 5-7.
      await produce(c.leaderLog, 3, { leaderEpoch: 0 })
      await produce(c.leaderLog, 2, { leaderEpoch: 1 })
      await produce(c.leaderLog, 3, { leaderEpoch: 4 })
      await produce(c.follower.log, 3, { leaderEpoch: 0 })
      await produce(c.follower.log, 3, { leaderEpoch: 3, valueBytes: 30 })
      c.start()
      await assertReplicated(c)
      assert.deepEqual(c.fetcherErrors, [], 'no fetch failed on the way')
      // Asked for epoch 3, the leader answers epoch 1 ending at 5. The follower lacks epoch 1: it cuts to the
      // end of its own epoch before it (0, at 3) and asks again with epoch 0, which the leader ends at 3.
      assert.deepEqual(c.epochAnswers.slice(0, 2), [
        { leaderEpoch: 1, endOffset: 5n },
        { leaderEpoch: 0, endOffset: 3n }
      ])
      assert.deepEqual(c.cuts, [3])
      assert.deepEqual(epochs(c.follower.log), [
        [0, 0],
        [1, 3],
        [4, 5]
      ])
    } finally {
      await c.close()
    }
  })

  it('cuts where the fetch response says the logs diverge', async () => {
    // The leader has not appended under its new epoch 2 when the follower asks for the end of epoch 1: it
    // cannot place epoch 1 (no later epoch in its cache) and answers an unknown end offset, so the follower
    // keeps what it holds as committed (its high watermark 8, from when it led epoch 1 alone). The leader
    // then appends 5-9 under epoch 2, and the follower's fetch at 8 with last fetched epoch 1 is answered
    // with the diverging epoch: epoch 0 ends at 5.
    const c = await cluster({
      afterEpochAnswer: (leaderLog) => produce(leaderLog, 5, { leaderEpoch: 2 })
    })
    try {
      await produce(c.leaderLog, 5, { leaderEpoch: 0 })
      await produce(c.follower.log, 5, { leaderEpoch: 0 })
      await produce(c.follower.log, 3, { leaderEpoch: 1, valueBytes: 30 })
      c.follower.log.highWatermark = 8
      c.start()
      await assertReplicated(c)
      assert.deepEqual(c.fetcherErrors, [], 'no fetch failed on the way')
      assert.deepEqual(c.epochAnswers.slice(0, 1), [{ leaderEpoch: -1, endOffset: -1n }])
      assert.equal(c.leaderLog.logEndOffset, 10)
      assert.deepEqual(c.divergingAnswers.slice(0, 1), [{ epoch: 0, endOffset: 5n }])
      assert.deepEqual(c.cuts, [5], 'the diverging epoch, not OffsetForLeaderEpoch, made the cut')
      assert.deepEqual(epochs(c.follower.log), [
        [0, 0],
        [2, 5]
      ])
    } finally {
      await c.close()
    }
  })

  it('drops its whole log and starts at the leader log start when it ends below it', async () => {
    const c = await cluster()
    try {
      // The leader deleted records below 8 (DeleteRecords, retention) while broker 2 was away at offset 3.
      await produce(c.leaderLog, 5, { leaderEpoch: 0 })
      await produce(c.leaderLog, 5, { leaderEpoch: 2 })
      c.leaderLog.highWatermark = 10
      assert.equal(await c.leaderLog.deleteRecordsBefore(8), 8)
      await produce(c.follower.log, 3, { leaderEpoch: 0 })
      c.start()
      await assertReplicated(c)
      assert.deepEqual(c.cuts, [], 'not a truncation to an offset: the log starts over')
      assert.equal(c.follower.log.logStartOffset, 8)
      assert.deepEqual(epochs(c.follower.log), [[2, 8]])
      assert.equal(c.fetcherErrors.length, 1, 'the restart is reported')
      assert.match(String(c.fetcherErrors[0]), /below the leader's log start 8/)
    } finally {
      await c.close()
    }
  })
})
