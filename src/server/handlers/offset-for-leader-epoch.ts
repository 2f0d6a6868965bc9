/**
 * OffsetForLeaderEpoch (key 23): the end offset of a leader epoch, from the log's leader epoch cache.
 * Consumers use it to validate their position after a leader change (KIP-320), followers to truncate.
 */

import { ErrorCode, errorCodeOf } from '../../protocol/error-codes.js'
import {
  OffsetForLeaderEpochApi,
  type OffsetForLeaderEpochRequest,
  type OffsetForLeaderEpochRequestOffsetForLeaderPartition,
  type OffsetForLeaderEpochResponse,
  type OffsetForLeaderEpochResponseEpochEndOffset
} from '../../protocol/messages/offset-for-leader-epoch.js'
import { AclOperation, ResourceType } from '../../security/authorizer/acl-types.js'
import type { ApiHandler } from '../api-registry.js'
import type { RequestContext } from '../request-context.js'
import type { HandlerDeps } from './handler-deps.js'

/** Requests before v3 carry no replica id; Kafka reads them as the debugging id, which followers may serve. */
const DEBUGGING_REPLICA_ID = -2

export function createOffsetForLeaderEpochHandler(
  deps: HandlerDeps
): ApiHandler<OffsetForLeaderEpochRequest, OffsetForLeaderEpochResponse> {
  async function endOffset(
    topic: string,
    p: OffsetForLeaderEpochRequestOffsetForLeaderPartition,
    fetchOnlyFromLeader: boolean
  ): Promise<OffsetForLeaderEpochResponseEpochEndOffset> {
    try {
      const partition = await deps.replicaManager.getPartition(topic, p.partition)
      const found = partition.lastOffsetForLeaderEpoch(
        p.currentLeaderEpoch ?? -1,
        p.leaderEpoch,
        fetchOnlyFromLeader
      )
      return {
        errorCode: ErrorCode.NONE,
        partition: p.partition,
        leaderEpoch: found.epoch,
        endOffset: BigInt(found.endOffset)
      }
    } catch (err) {
      return { errorCode: errorCodeOf(err), partition: p.partition, leaderEpoch: -1, endOffset: -1n }
    }
  }

  return {
    api: OffsetForLeaderEpochApi,
    minVersion: 0,
    maxVersion: 4,
    async handle(
      request: OffsetForLeaderEpochRequest,
      ctx: RequestContext
    ): Promise<OffsetForLeaderEpochResponse> {
      const replicaId = ctx.apiVersion >= 3 ? (request.replicaId ?? -1) : DEBUGGING_REPLICA_ID
      const fetchOnlyFromLeader = replicaId !== DEBUGGING_REPLICA_ID
      // Kafka: a follower needs CLUSTER_ACTION, a client DESCRIBE on each topic.
      const clusterAction = replicaId >= 0 && ctx.authorizeCluster(AclOperation.CLUSTER_ACTION)
      const allowed = (topic: string) =>
        replicaId >= 0 ? clusterAction : ctx.authorize(AclOperation.DESCRIBE, ResourceType.TOPIC, topic)
      return {
        throttleTimeMs: 0,
        topics: await Promise.all(
          request.topics.map(async (t) => ({
            topic: t.topic,
            partitions: allowed(t.topic)
              ? await Promise.all(t.partitions.map((p) => endOffset(t.topic, p, fetchOnlyFromLeader)))
              : t.partitions.map((p) => ({
                  errorCode: ErrorCode.TOPIC_AUTHORIZATION_FAILED,
                  partition: p.partition,
                  leaderEpoch: -1,
                  endOffset: -1n
                }))
          }))
        )
      }
    }
  }
}
