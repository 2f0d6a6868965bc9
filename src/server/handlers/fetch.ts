/**
 * Fetch (key 1): reads whole record batches from partition leaders, up to the high watermark (or the last
 * stable offset for read_committed). A follower's fetch (replica id >= 0) reads up to the log end offset and
 * tells the leader the follower's log end offset (its fetch offset), which moves the ISR and high watermark.
 * A fetch that finds fewer than min.bytes waits in the replica manager's
 * purgatory until appends bring enough bytes or max.wait.ms passes; appends wake it, no timer polls.
 */

import type { BufferPool } from '../../common/buffer-pool.js'
import { ErrorCode, errorCodeOf, KafkaError } from '../../protocol/error-codes.js'
import type {
  FetchRequest,
  FetchResponse,
  FetchResponseFetchableTopicResponse,
  FetchResponsePartitionData
} from '../../protocol/messages/fetch.js'
import { FetchApi } from '../../protocol/messages/fetch.js'
import type { FetchIsolation, Partition } from '../../replica/partition.js'
import { partitionKey } from '../../replica/replica-manager.js'
import { type ReplicaSelector, type ReplicaView, replicaSelectorFor } from '../../replica/replica-selector.js'
import type { ApiHandler } from '../api-registry.js'
import {
  type FetchSession,
  FetchSessionCache,
  FINAL_EPOCH,
  INITIAL_EPOCH,
  type SessionPartitionRequest
} from '../fetch-session-cache.js'
import type { RequestContext } from '../request-context.js'
import type { HandlerDeps } from './handler-deps.js'

const EMPTY = Buffer.alloc(0)
const READ_COMMITTED = 1
const TOPIC_IDS_VERSION = 13
/** From v11 consumers send their rack and may read from followers (KIP-392). */
const RACK_ID_VERSION = 11
/** From v15 the replica id moves into ReplicaState (KIP-903). */
const REPLICA_STATE_VERSION = 15

type FetchTarget = SessionPartitionRequest

interface PartitionRead {
  data: FetchResponsePartitionData
  bytes: number
  /**
   * The offset this read could reach (log end for a follower, high watermark or last stable offset for a
   * consumer), taken before reading; -1 when it failed. A parked fetch wakes only once it moves.
   */
  endOffset: number
}

interface ReadOutcome {
  reads: PartitionRead[]
  bytes: number
  /** An error or a diverging epoch: the fetcher must hear it now, not after max.wait.ms. */
  answerNow: boolean
}

interface WatchedPartition {
  partition: Partition
  endOffset: number
  sizeAtStart: number
  epochAtStart: number
  wasLeader: boolean
}

/** What a fetch at `isolation` may read up to: Kafka's FetchIsolation bound. */
function readableEnd(partition: Partition, isolation: FetchIsolation): number {
  return isolation === 'log-end'
    ? partition.log.logEndOffset
    : isolation === 'txn-committed'
      ? partition.lastStableOffset
      : partition.highWatermark
}

/**
 * KIP-320 (Kafka's Partition.readRecords): a fetcher whose last fetched epoch ends, in the leader's epoch
 * cache, before its fetch offset (or is not the leader's at all) holds records the leader does not; it is
 * told where the shared history ends instead of being sent records. An epoch the cache cannot place, or an
 * offset below the log start, is OFFSET_OUT_OF_RANGE.
 */
function divergingEpochOf(
  partition: Partition,
  lastFetchedEpoch: number,
  fetchOffset: number
): { epoch: number; endOffset: bigint } | undefined {
  const log = partition.log
  const end = log.leaderEpochCache.endOffsetFor(lastFetchedEpoch, log.logEndOffset)
  if (end.epoch < 0 || end.endOffset < 0) {
    throw new KafkaError(
      ErrorCode.OFFSET_OUT_OF_RANGE,
      `cannot find the end offset of epoch ${lastFetchedEpoch} in ${partition.topic}-${partition.partitionIndex}`
    )
  }
  if (fetchOffset < log.logStartOffset) {
    throw new KafkaError(
      ErrorCode.OFFSET_OUT_OF_RANGE,
      `offset ${fetchOffset} is below the log start ${log.logStartOffset} of ${partition.topic}-${partition.partitionIndex}`
    )
  }
  if (end.epoch < lastFetchedEpoch || end.endOffset < fetchOffset) {
    return { epoch: end.epoch, endOffset: BigInt(end.endOffset) }
  }
  return undefined
}

/** An error, a diverging epoch or a preferred read replica: the fetcher must hear it now, not after max.wait.ms. */
function mustAnswerNow(one: PartitionRead): boolean {
  const d = one.data
  return (
    d.errorCode !== ErrorCode.NONE || d.divergingEpoch !== undefined || (d.preferredReadReplica ?? -1) >= 0
  )
}

export function createFetchHandler(
  deps: HandlerDeps,
  fetchReadPool: BufferPool
): ApiHandler<FetchRequest, FetchResponse> {
  const sessions = new FetchSessionCache()
  let selector: ReplicaSelector | undefined | null = null
  const replicaSelector = (): ReplicaSelector | undefined => {
    if (selector === null) selector = replicaSelectorFor(deps.config.getString('replica.selector.class'))
    return selector
  }

  /**
   * KIP-392 (Kafka's ReplicaManager.findPreferredReadReplica): the replica the leader sends this consumer
   * to, or -1 to read here. Candidates are live ISR members whose log already holds the fetch offset.
   */
  function preferredReadReplica(partition: Partition, clientRack: string, fetchOffset: number): number {
    const select = replicaSelector()
    if (select === undefined || clientRack === '') return -1
    const cache = deps.metadataCache
    const local = partition.localBrokerId
    const leader: ReplicaView = {
      brokerId: local,
      rack: cache.broker(local)?.rack ?? null,
      logEndOffset: partition.log.logEndOffset
    }
    const candidates: ReplicaView[] = []
    for (const id of partition.registration.isr) {
      if (id === local) continue
      const broker = cache.broker(id)
      const logEndOffset = partition.followerLogEndOffset(id)
      if (broker === undefined || broker.fenced || logEndOffset < fetchOffset) continue
      candidates.push({ brokerId: id, rack: broker.rack, logEndOffset })
    }
    const chosen = select.select(clientRack, leader, candidates)
    return chosen.brokerId === local ? -1 : chosen.brokerId
  }

  function errorData(
    partitionIndex: number,
    err: unknown,
    partition?: Partition
  ): FetchResponsePartitionData {
    const errorCode = errorCodeOf(err)
    // An out-of-range follower learns the leader's log start here, to start over there when it is behind.
    const known = errorCode === ErrorCode.OFFSET_OUT_OF_RANGE && partition !== undefined
    return {
      partitionIndex,
      errorCode,
      highWatermark: known ? BigInt(partition.highWatermark) : -1n,
      lastStableOffset: -1n,
      logStartOffset: known ? BigInt(partition.log.logStartOffset) : -1n,
      abortedTransactions: null,
      preferredReadReplica: -1,
      records: EMPTY
    }
  }

  /** A successful answer without records: the partition's offsets plus what tells the fetcher to go elsewhere. */
  function noRecords(
    partitionIndex: number,
    partition: Partition,
    extra: Pick<FetchResponsePartitionData, 'divergingEpoch'> | { preferredReadReplica: number }
  ): PartitionRead {
    return {
      data: {
        partitionIndex,
        errorCode: ErrorCode.NONE,
        highWatermark: BigInt(partition.highWatermark),
        lastStableOffset: BigInt(partition.lastStableOffset),
        logStartOffset: BigInt(partition.log.logStartOffset),
        abortedTransactions: null,
        preferredReadReplica: -1,
        records: EMPTY,
        ...extra
      },
      bytes: 0,
      endOffset: -1
    }
  }

  async function readOne(
    target: FetchTarget,
    maxBytes: number,
    minOneMessage: boolean,
    isolation: FetchIsolation,
    replicaId: number,
    clientRack: string | undefined
  ): Promise<PartitionRead> {
    if (target.topic === undefined) {
      return {
        data: errorData(target.partition, new KafkaError(ErrorCode.UNKNOWN_TOPIC_ID)),
        bytes: 0,
        endOffset: -1
      }
    }
    let partition: Partition | undefined
    try {
      partition = await deps.replicaManager.getPartition(target.topic, target.partition)
      // Consumers that know of KIP-392 (Fetch v11+, so clientRack is set) may read from a follower.
      const followerRead = clientRack !== undefined && partition.isFollower
      if (!partition.isLeader && !followerRead) {
        throw new KafkaError(
          ErrorCode.NOT_LEADER_OR_FOLLOWER,
          `not the leader of ${target.topic}-${target.partition}`
        )
      }
      partition.checkLeaderEpoch(target.currentLeaderEpoch)
      if (target.lastFetchedEpoch >= 0) {
        const divergingEpoch = divergingEpochOf(partition, target.lastFetchedEpoch, target.fetchOffset)
        // A diverged follower's fetch offset is not its position in the leader's log: it is not recorded.
        if (divergingEpoch !== undefined) return noRecords(target.partition, partition, { divergingEpoch })
      }
      if (replicaId >= 0) partition.updateFollowerFetchState(replicaId, target.fetchOffset)
      const preferred =
        clientRack !== undefined && partition.isLeader
          ? preferredReadReplica(partition, clientRack, target.fetchOffset)
          : -1
      if (preferred >= 0) {
        // No records: the consumer goes to the preferred replica for them.
        return noRecords(target.partition, partition, { preferredReadReplica: preferred })
      }
      const quota = deps.replicaManager.leaderReplicationQuota
      const limit = quota.fetchLimit(partition, replicaId, Math.min(maxBytes, target.partitionMaxBytes))
      const endOffset = readableEnd(partition, isolation)
      // Large reads land in pooled buffers; the connection releases them once the response is written.
      const result = await partition.read(
        target.fetchOffset,
        limit,
        isolation,
        minOneMessage && limit > 0,
        fetchReadPool
      )
      const records = result.info.records
      quota.record(partition, replicaId, records.length)
      return {
        data: {
          partitionIndex: target.partition,
          errorCode: ErrorCode.NONE,
          highWatermark: BigInt(result.highWatermark),
          lastStableOffset: BigInt(result.lastStableOffset),
          logStartOffset: BigInt(result.logStartOffset),
          abortedTransactions:
            result.abortedTransactions?.map((t) => ({
              producerId: t.producerId,
              firstOffset: BigInt(t.firstOffset)
            })) ?? null,
          preferredReadReplica: -1,
          records
        },
        bytes: records.length,
        endOffset
      }
    } catch (err) {
      return { data: errorData(target.partition, err, partition), bytes: 0, endOffset: -1 }
    }
  }

  async function readAll(
    targets: readonly FetchTarget[],
    maxBytes: number,
    isolation: FetchIsolation,
    replicaId: number,
    clientRack: string | undefined
  ): Promise<ReadOutcome> {
    if (replicaId < 0 && targets.length > 1) {
      const together = await readTogether(targets, maxBytes, isolation, replicaId, clientRack)
      if (together !== undefined) return together
    }
    const reads: PartitionRead[] = []
    let bytes = 0
    let answerNow = false
    for (const target of targets) {
      const remaining = Math.max(0, maxBytes - bytes)
      const one = await readOne(target, remaining, bytes === 0, isolation, replicaId, clientRack)
      reads.push(one)
      bytes += one.bytes
      if (mustAnswerNow(one)) answerNow = true
    }
    return { reads, bytes, answerNow }
  }

  /**
   * A consumer's partitions read at once rather than one thread-pool round trip after another (W5: a fetch
   * over 16 partitions waited for 16 sequential reads). Each read may return up to its partition limit with
   * one oversized batch allowed; the result is kept only when it equals what the sequential loop would
   * return (every read fits the budget left after the ones before it, and only a read with nothing before it
   * returned an oversized batch). Otherwise the buffers go back and undefined sends the caller to the loop.
   */
  async function readTogether(
    targets: readonly FetchTarget[],
    maxBytes: number,
    isolation: FetchIsolation,
    replicaId: number,
    clientRack: string | undefined
  ): Promise<ReadOutcome | undefined> {
    const reads = await Promise.all(
      targets.map((t) => readOne(t, maxBytes, true, isolation, replicaId, clientRack))
    )
    let bytes = 0
    let answerNow = false
    let same = true
    targets.forEach((t, i) => {
      const one = reads[i]!
      const limit = Math.min(Math.max(0, maxBytes - bytes), t.partitionMaxBytes)
      if (bytes > 0 && one.bytes > limit) same = false
      bytes += one.bytes
      if (mustAnswerNow(one)) answerNow = true
    })
    if (same) return { reads, bytes, answerNow }
    for (const r of reads) if (r.data.records) fetchReadPool.release(r.data.records)
    return undefined
  }

  /**
   * Waits until the fetched partitions could give `needed` more bytes, or the deadline (Kafka's
   * DelayedFetch). Appends and high watermark moves wake it (ReplicaManager), and it completes only when
   * what this fetch may read grew: a follower's log end, a consumer's high watermark or last stable offset.
   * So an append wakes a parked follower at once, while consumers at the high watermark sleep on until the
   * ISR has the records. The bytes are the log's growth, an estimate (Kafka counts file positions).
   */
  function waitForData(
    targets: readonly FetchTarget[],
    reads: readonly PartitionRead[],
    isolation: FetchIsolation,
    needed: number,
    maxWaitMs: number
  ): Promise<void> {
    const watched: WatchedPartition[] = []
    targets.forEach((t, i) => {
      const p = t.topic === undefined ? undefined : deps.replicaManager.onlinePartition(t.topic, t.partition)
      if (p === undefined) return
      const endOffset = reads[i]?.endOffset ?? -1
      watched.push({
        partition: p,
        endOffset,
        sizeAtStart: p.log.size,
        epochAtStart: p.leaderEpoch,
        wasLeader: p.isLeader
      })
    })
    return new Promise((resolve) => {
      deps.replicaManager.fetchPurgatory.tryCompleteElseWatch(
        {
          deadline: Date.now() + maxWaitMs,
          tryComplete: () => {
            let grown = 0
            for (const w of watched) {
              // A leadership change must answer now, so that the client learns the new leader.
              const p = w.partition
              if (p.isLeader !== w.wasLeader || p.leaderEpoch !== w.epochAtStart) return true
              const end = readableEnd(p, isolation)
              // Truncated below what was read: the fetch offset may be out of range now.
              if (end < w.endOffset) return true
              if (end > w.endOffset) grown += Math.max(1, p.log.size - w.sizeAtStart)
            }
            return grown >= needed
          },
          onComplete: () => resolve()
        },
        watched.map((w) => partitionKey(w.partition.topic, w.partition.partitionIndex))
      )
    })
  }

  return {
    api: FetchApi,
    minVersion: 4,
    maxVersion: 17,
    async handle(request: FetchRequest, ctx: RequestContext): Promise<FetchResponse> {
      const version = ctx.apiVersion
      const useTopicIds = version >= TOPIC_IDS_VERSION
      const replicaId =
        version >= REPLICA_STATE_VERSION ? (request.replicaState?.replicaId ?? -1) : (request.replicaId ?? -1)
      const isolation: FetchIsolation =
        replicaId >= 0
          ? 'log-end'
          : request.isolationLevel === READ_COMMITTED
            ? 'txn-committed'
            : 'high-watermark'
      // Kafka's ClientMetadata: a consumer on v11+ names its rack (maybe empty) and may read from followers.
      const clientRack = replicaId < 0 && version >= RACK_ID_VERSION ? (request.rackId ?? '') : undefined
      const maxBytes = request.maxBytes ?? Number.MAX_SAFE_INTEGER
      const sessionId = request.sessionId ?? 0
      const sessionEpoch = request.sessionEpoch ?? FINAL_EPOCH
      const keyOf = (topic: string | undefined, topicId: string | undefined, partition: number) =>
        `${useTopicIds ? topicId : topic}:${partition}`

      const requested: SessionPartitionRequest[] = []
      for (const t of request.topics) {
        const name = useTopicIds ? deps.metadataCache.topicById(t.topicId ?? '')?.name : t.topic
        for (const p of t.partitions) {
          requested.push({
            topic: name,
            topicId: t.topicId,
            partition: p.partition,
            fetchOffset: Number(p.fetchOffset),
            partitionMaxBytes: p.partitionMaxBytes,
            currentLeaderEpoch: p.currentLeaderEpoch ?? -1,
            lastFetchedEpoch: p.lastFetchedEpoch ?? -1
          })
        }
      }

      // KIP-227: epoch -1 is sessionless, 0 opens a session, > 0 continues one with only the changes.
      let session: FetchSession | undefined
      let targets: SessionPartitionRequest[] = requested
      if (sessionEpoch > INITIAL_EPOCH) {
        try {
          session = sessions.incremental(sessionId, sessionEpoch)
        } catch (err) {
          return { throttleTimeMs: 0, errorCode: errorCodeOf(err), sessionId: 0, responses: [] }
        }
        for (const f of request.forgottenTopicsData ?? []) {
          const name = useTopicIds ? deps.metadataCache.topicById(f.topicId ?? '')?.name : f.topic
          for (const partition of f.partitions) session.forget(keyOf(name, f.topicId, partition))
        }
        for (const r of requested) session.upsert(keyOf(r.topic, r.topicId, r.partition), r)
        targets = [...session.partitions.values()]
      } else {
        if (sessionId !== 0) sessions.remove(sessionId)
        if (sessionEpoch === INITIAL_EPOCH) {
          session = sessions.create()
          for (const r of requested) session.upsert(keyOf(r.topic, r.topicId, r.partition), r)
        }
      }

      let outcome = await readAll(targets, maxBytes, isolation, replicaId, clientRack)
      const mustAnswerNow =
        request.maxWaitMs <= 0 ||
        targets.length === 0 ||
        outcome.bytes >= request.minBytes ||
        outcome.answerNow
      if (!mustAnswerNow) {
        await waitForData(
          targets,
          outcome.reads,
          isolation,
          request.minBytes - outcome.bytes,
          request.maxWaitMs
        )
        // The first read is answered by the second: its pooled bytes are never written anywhere.
        for (const r of outcome.reads) if (r.data.records) fetchReadPool.release(r.data.records)
        outcome = await readAll(targets, maxBytes, isolation, replicaId, clientRack)
      }

      const incremental = sessionEpoch > INITIAL_EPOCH
      const responses: FetchResponseFetchableTopicResponse[] = []
      const byTopic = new Map<string, FetchResponseFetchableTopicResponse>()
      targets.forEach((target, i) => {
        const data = outcome.reads[i]!.data
        const changed = session?.recordResponse(keyOf(target.topic, target.topicId, target.partition), {
          diverging: data.divergingEpoch !== undefined,
          errorCode: data.errorCode,
          records: data.records?.length ?? 0,
          highWatermark: Number(data.highWatermark),
          lastStableOffset: Number(data.lastStableOffset ?? -1n),
          logStartOffset: Number(data.logStartOffset ?? -1n)
        })
        if (incremental && changed === false) return
        const topicKey = useTopicIds ? (target.topicId ?? '') : (target.topic ?? '')
        let topic = byTopic.get(topicKey)
        if (topic === undefined) {
          topic = { topic: target.topic ?? '', topicId: target.topicId, partitions: [] }
          byTopic.set(topicKey, topic)
          responses.push(topic)
        }
        topic.partitions.push(data)
      })
      return { throttleTimeMs: 0, errorCode: ErrorCode.NONE, sessionId: session?.id ?? 0, responses }
    }
  }
}
