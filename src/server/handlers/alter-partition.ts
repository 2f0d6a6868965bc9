/**
 * AlterPartition (key 56): a partition leader asks the controller to change its ISR. Only the active
 * controller applies it (NOT_CONTROLLER elsewhere: the leader's AlterPartitionManager retries later).
 */

import { ErrorCode, errorCodeOf } from '../../protocol/error-codes.js'
import {
  AlterPartitionApi,
  type AlterPartitionRequest,
  type AlterPartitionResponse,
  type AlterPartitionResponsePartitionData
} from '../../protocol/messages/alter-partition.js'
import { AclOperation } from '../../security/authorizer/acl-types.js'
import type { ApiHandler } from '../api-registry.js'
import type { RequestContext } from '../request-context.js'
import type { HandlerDeps } from './handler-deps.js'

export function createAlterPartitionHandler(
  deps: HandlerDeps
): ApiHandler<AlterPartitionRequest, AlterPartitionResponse> {
  return {
    api: AlterPartitionApi,
    minVersion: 2,
    maxVersion: 2,
    async handle(request: AlterPartitionRequest, ctx: RequestContext): Promise<AlterPartitionResponse> {
      if (!ctx.authorizeCluster(AclOperation.CLUSTER_ACTION))
        return { throttleTimeMs: 0, errorCode: ErrorCode.CLUSTER_AUTHORIZATION_FAILED, topics: [] }
      if (!deps.controllerChannel.isActiveController()) {
        return { throttleTimeMs: 0, errorCode: ErrorCode.NOT_CONTROLLER, topics: [] }
      }
      const topics = []
      for (const t of request.topics) {
        const partitions: AlterPartitionResponsePartitionData[] = []
        for (const p of t.partitions) {
          try {
            const result = await deps.controller.alterPartitionIsr({
              brokerId: request.brokerId,
              topicId: t.topicId ?? '',
              partitionIndex: p.partitionIndex,
              leaderEpoch: p.leaderEpoch,
              partitionEpoch: p.partitionEpoch,
              newIsr: p.newIsr ?? []
            })
            partitions.push({
              partitionIndex: p.partitionIndex,
              errorCode: ErrorCode.NONE,
              leaderId: result.leader,
              leaderEpoch: result.leaderEpoch,
              isr: [...result.isr],
              leaderRecoveryState: 0,
              partitionEpoch: result.partitionEpoch
            })
          } catch (err) {
            partitions.push({
              partitionIndex: p.partitionIndex,
              errorCode: errorCodeOf(err),
              leaderId: -1,
              leaderEpoch: -1,
              isr: [],
              leaderRecoveryState: 0,
              partitionEpoch: -1
            })
          }
        }
        topics.push({ topicId: t.topicId, partitions })
      }
      return { throttleTimeMs: 0, errorCode: ErrorCode.NONE, topics }
    }
  }
}
