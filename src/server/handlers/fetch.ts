/**
 * Fetch (key 1): the protocol side of a fetch. The request's versions, sessions (KIP-227, in the fetch
 * session cache) and topic ids are resolved here; the reads, the long poll and the follower bookkeeping are
 * the replica manager's (fetchMessages), whose per-partition answers are translated back to the response.
 */

import { ErrorCode, errorCodeOf } from '../../protocol/error-codes.js'
import type {
  FetchRequest,
  FetchResponse,
  FetchResponseFetchableTopicResponse,
  FetchResponsePartitionData
} from '../../protocol/messages/fetch.js'
import { FetchApi } from '../../protocol/messages/fetch.js'
import type { FetchParams, FetchPartitionData } from '../../replica/fetch-params.js'
import type { FetchIsolation } from '../../replica/partition.js'
import { AclOperation, ResourceType } from '../../security/authorizer/acl-types.js'
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

const READ_COMMITTED = 1
const TOPIC_IDS_VERSION = 13
/** From v11 consumers send their rack and may read from followers (KIP-392). */
const RACK_ID_VERSION = 11
/** From v15 the replica id moves into ReplicaState (KIP-903). */
const REPLICA_STATE_VERSION = 15

/** A partition the fetcher may not read (Kafka answers it without reading). */
const denied = (partition: number, errorCode: number): FetchPartitionData => ({
  partition,
  errorCode,
  highWatermark: -1,
  lastStableOffset: -1,
  logStartOffset: -1,
  abortedTransactions: null,
  preferredReadReplica: -1,
  records: Buffer.alloc(0)
})

/**
 * Reads the partitions the fetcher may read, as Kafka's handleFetchRequest: a follower needs CLUSTER_ACTION
 * (every partition is TOPIC_AUTHORIZATION_FAILED without), a consumer READ on each topic.
 */
async function fetchAuthorized(
  deps: HandlerDeps,
  ctx: RequestContext,
  params: FetchParams,
  targets: SessionPartitionRequest[]
): Promise<FetchPartitionData[]> {
  const follower = params.replicaId >= 0
  const clusterAllowed = follower && ctx.authorizeCluster(AclOperation.CLUSTER_ACTION)
  const readable = new Map<string, boolean>()
  const allowed = (topic: string | undefined): boolean => {
    if (follower) return clusterAllowed
    if (topic === undefined) return true
    let ok = readable.get(topic)
    if (ok === undefined) {
      ok = ctx.authorize(AclOperation.READ, ResourceType.TOPIC, topic)
      readable.set(topic, ok)
    }
    return ok
  }
  const permitted = targets.filter((t) => allowed(t.topic))
  // Purgatory waits are Kafka's remote time in the request metrics.
  const recordWait = (start: number, end: number) => ctx.recordWait(start, end)
  if (permitted.length === targets.length)
    return deps.replicaManager.fetchMessages(params, targets, recordWait)
  const fetched =
    permitted.length > 0 ? await deps.replicaManager.fetchMessages(params, permitted, recordWait) : []
  let next = 0
  return targets.map((t) =>
    allowed(t.topic) ? fetched[next++]! : denied(t.partition, ErrorCode.TOPIC_AUTHORIZATION_FAILED)
  )
}

/** The data plane's answer for one partition in the wire's shape. */
function toResponseData(d: FetchPartitionData): FetchResponsePartitionData {
  const data: FetchResponsePartitionData = {
    partitionIndex: d.partition,
    errorCode: d.errorCode,
    highWatermark: BigInt(d.highWatermark),
    lastStableOffset: BigInt(d.lastStableOffset),
    logStartOffset: BigInt(d.logStartOffset),
    abortedTransactions:
      d.abortedTransactions?.map((t) => ({ producerId: t.producerId, firstOffset: BigInt(t.firstOffset) })) ??
      null,
    preferredReadReplica: d.preferredReadReplica,
    records: d.records
  }
  if (d.divergingEpoch !== undefined) {
    data.divergingEpoch = { epoch: d.divergingEpoch.epoch, endOffset: BigInt(d.divergingEpoch.endOffset) }
  }
  return data
}

export function createFetchHandler(deps: HandlerDeps): ApiHandler<FetchRequest, FetchResponse> {
  const sessions = new FetchSessionCache()

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

      const params: FetchParams = {
        replicaId,
        maxWaitMs: request.maxWaitMs,
        minBytes: request.minBytes,
        maxBytes,
        isolation,
        clientRack
      }
      const fetched = await fetchAuthorized(deps, ctx, params, targets)

      const incremental = sessionEpoch > INITIAL_EPOCH
      const responses: FetchResponseFetchableTopicResponse[] = []
      const byTopic = new Map<string, FetchResponseFetchableTopicResponse>()
      targets.forEach((target, i) => {
        const d = fetched[i]!
        const changed = session?.recordResponse(keyOf(target.topic, target.topicId, target.partition), {
          diverging: d.divergingEpoch !== undefined,
          errorCode: d.errorCode,
          records: d.records.length,
          highWatermark: d.highWatermark,
          lastStableOffset: d.lastStableOffset,
          logStartOffset: d.logStartOffset
        })
        if (incremental && changed === false) return
        const topicKey = useTopicIds ? (target.topicId ?? '') : (target.topic ?? '')
        let topic = byTopic.get(topicKey)
        if (topic === undefined) {
          topic = { topic: target.topic ?? '', topicId: target.topicId, partitions: [] }
          byTopic.set(topicKey, topic)
          responses.push(topic)
        }
        topic.partitions.push(toResponseData(d))
      })
      return { throttleTimeMs: 0, errorCode: ErrorCode.NONE, sessionId: session?.id ?? 0, responses }
    }
  }
}
