/**
 * Fetch (key 1): reads whole record batches from partition leaders, up to the high watermark (or the last
 * stable offset for read_committed). A follower's fetch (replica id >= 0) reads up to the log end offset and
 * tells the leader the follower's log end offset (its fetch offset), which moves the ISR and high watermark.
 * A fetch that finds fewer than min.bytes waits in the replica manager's
 * purgatory until appends bring enough bytes or max.wait.ms passes; appends wake it, no timer polls.
 */

import type { FetchIsolation, Partition } from '../../cluster/partition.js'
import { partitionKey } from '../../cluster/replica-manager.js'
import { ErrorCode, errorCodeOf, KafkaError } from '../../protocol/error-codes.js'
import type {
  FetchRequest,
  FetchResponse,
  FetchResponseFetchableTopicResponse,
  FetchResponsePartitionData
} from '../../protocol/messages/fetch.js'
import { fetchReadPool } from '../../storage/buffer-pool.js'
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
/** From v15 the replica id moves into ReplicaState (KIP-903). */
const REPLICA_STATE_VERSION = 15

type FetchTarget = SessionPartitionRequest

interface ReadOutcome {
  data: FetchResponsePartitionData[]
  bytes: number
  failed: boolean
}

export function createFetchHandler(deps: HandlerDeps): ApiHandler<FetchRequest, FetchResponse> {
  const sessions = new FetchSessionCache()
  function errorData(partition: number, err: unknown): FetchResponsePartitionData {
    return {
      partitionIndex: partition,
      errorCode: errorCodeOf(err),
      highWatermark: -1n,
      lastStableOffset: -1n,
      logStartOffset: -1n,
      abortedTransactions: null,
      preferredReadReplica: -1,
      records: EMPTY
    }
  }

  async function readOne(
    target: FetchTarget,
    maxBytes: number,
    minOneMessage: boolean,
    isolation: FetchIsolation,
    replicaId: number
  ): Promise<{ data: FetchResponsePartitionData; bytes: number }> {
    if (target.topic === undefined) {
      return { data: errorData(target.partition, new KafkaError(ErrorCode.UNKNOWN_TOPIC_ID)), bytes: 0 }
    }
    try {
      const partition: Partition = await deps.replicaManager.getPartition(target.topic, target.partition)
      if (!partition.isLeader) {
        throw new KafkaError(
          ErrorCode.NOT_LEADER_OR_FOLLOWER,
          `not the leader of ${target.topic}-${target.partition}`
        )
      }
      partition.checkLeaderEpoch(target.currentLeaderEpoch)
      if (replicaId >= 0) partition.updateFollowerFetchState(replicaId, target.fetchOffset)
      const limit = Math.min(maxBytes, target.partitionMaxBytes)
      // Large reads land in pooled buffers; the connection releases them once the response is written.
      const result = await partition.read(target.fetchOffset, limit, isolation, minOneMessage, fetchReadPool)
      const records = result.info.records
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
        bytes: records.length
      }
    } catch (err) {
      return { data: errorData(target.partition, err), bytes: 0 }
    }
  }

  async function readAll(
    targets: readonly FetchTarget[],
    maxBytes: number,
    isolation: FetchIsolation,
    replicaId: number
  ) {
    const data: FetchResponsePartitionData[] = []
    let bytes = 0
    let failed = false
    for (const target of targets) {
      const remaining = Math.max(0, maxBytes - bytes)
      const one = await readOne(target, remaining, bytes === 0, isolation, replicaId)
      data.push(one.data)
      bytes += one.bytes
      if (one.data.errorCode !== ErrorCode.NONE) failed = true
    }
    return { data, bytes, failed } satisfies ReadOutcome
  }

  /** Waits until appends to the fetched partitions could bring `needed` more bytes, or the deadline. */
  function waitForData(targets: readonly FetchTarget[], needed: number, maxWaitMs: number): Promise<void> {
    const watched = targets.flatMap((t) => {
      const p = t.topic === undefined ? undefined : deps.replicaManager.onlinePartition(t.topic, t.partition)
      return p ? [{ partition: p, sizeAtStart: p.log.size, epochAtStart: p.leaderEpoch }] : []
    })
    return new Promise((resolve) => {
      deps.replicaManager.fetchPurgatory.tryCompleteElseWatch(
        {
          deadline: Date.now() + maxWaitMs,
          tryComplete: () => {
            let grown = 0
            for (const w of watched) {
              // A leadership change must answer now, so that the client learns the new leader.
              if (!w.partition.isLeader || w.partition.leaderEpoch !== w.epochAtStart) return true
              grown += w.partition.log.size - w.sizeAtStart
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
    apiKey: 1,
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
            currentLeaderEpoch: p.currentLeaderEpoch ?? -1
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

      let outcome = await readAll(targets, maxBytes, isolation, replicaId)
      const mustAnswerNow =
        request.maxWaitMs <= 0 || targets.length === 0 || outcome.bytes >= request.minBytes || outcome.failed
      if (!mustAnswerNow) {
        await waitForData(targets, request.minBytes - outcome.bytes, request.maxWaitMs)
        // The first read is answered by the second: its pooled bytes are never written anywhere.
        for (const d of outcome.data) if (d.records) fetchReadPool.release(d.records)
        outcome = await readAll(targets, maxBytes, isolation, replicaId)
      }

      const incremental = sessionEpoch > INITIAL_EPOCH
      const responses: FetchResponseFetchableTopicResponse[] = []
      const byTopic = new Map<string, FetchResponseFetchableTopicResponse>()
      targets.forEach((target, i) => {
        const data = outcome.data[i]!
        const changed = session?.recordResponse(keyOf(target.topic, target.topicId, target.partition), {
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
