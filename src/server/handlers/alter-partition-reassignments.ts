/** AlterPartitionReassignments (key 45): starts or cancels partition reassignments through the controller. */

import { ErrorCode } from '../../protocol/error-codes.js'
import {
  AlterPartitionReassignmentsApi,
  type AlterPartitionReassignmentsRequest,
  type AlterPartitionReassignmentsResponse,
  type AlterPartitionReassignmentsResponseReassignableTopicResponse
} from '../../protocol/messages/alter-partition-reassignments.js'
import { AclOperation } from '../../security/authorizer/acl-types.js'
import type { ApiHandler } from '../api-registry.js'
import type { RequestContext } from '../request-context.js'
import type { HandlerDeps } from './handler-deps.js'

export function createAlterPartitionReassignmentsHandler(
  deps: HandlerDeps
): ApiHandler<AlterPartitionReassignmentsRequest, AlterPartitionReassignmentsResponse> {
  return {
    api: AlterPartitionReassignmentsApi,
    minVersion: 0,
    maxVersion: 0,
    async handle(
      request: AlterPartitionReassignmentsRequest,
      ctx: RequestContext
    ): Promise<AlterPartitionReassignmentsResponse> {
      if (!ctx.authorizeCluster(AclOperation.ALTER)) {
        return {
          throttleTimeMs: 0,
          errorCode: ErrorCode.CLUSTER_AUTHORIZATION_FAILED,
          errorMessage: null,
          responses: []
        }
      }
      const remote =
        await deps.controllerChannel.forwardUnlessController<AlterPartitionReassignmentsResponse>(
          ctx.forwardingHeader,
          request,
          (errorMessage) => ({
            throttleTimeMs: 0,
            errorCode: ErrorCode.NOT_CONTROLLER,
            errorMessage,
            responses: []
          })
        )
      if (remote) return remote
      const results = await deps.controller.alterPartitionReassignments(
        request.topics.flatMap((t) =>
          t.partitions.map((p) => ({ topic: t.name, partitionIndex: p.partitionIndex, replicas: p.replicas }))
        )
      )
      const byTopic = new Map<string, AlterPartitionReassignmentsResponseReassignableTopicResponse>()
      for (const r of results) {
        let topic = byTopic.get(r.topic)
        if (!topic) {
          topic = { name: r.topic, partitions: [] }
          byTopic.set(r.topic, topic)
        }
        topic.partitions.push({
          partitionIndex: r.partitionIndex,
          errorCode: r.errorCode,
          errorMessage: r.errorMessage
        })
      }
      return {
        throttleTimeMs: 0,
        errorCode: ErrorCode.NONE,
        errorMessage: null,
        responses: [...byTopic.values()]
      }
    }
  }
}
