/** ListPartitionReassignments (key 46): the controller's ongoing reassignments with adding/removing replicas. */

import { ErrorCode } from '../../protocol/error-codes.js'
import {
  ListPartitionReassignmentsApi,
  type ListPartitionReassignmentsRequest,
  type ListPartitionReassignmentsResponse,
  type ListPartitionReassignmentsResponseOngoingTopicReassignment
} from '../../protocol/messages/list-partition-reassignments.js'
import { AclOperation } from '../../security/authorizer/acl-types.js'
import type { ApiHandler } from '../api-registry.js'
import type { RequestContext } from '../request-context.js'
import type { HandlerDeps } from './handler-deps.js'

export function createListPartitionReassignmentsHandler(
  deps: HandlerDeps
): ApiHandler<ListPartitionReassignmentsRequest, ListPartitionReassignmentsResponse> {
  return {
    api: ListPartitionReassignmentsApi,
    minVersion: 0,
    maxVersion: 0,
    async handle(
      request: ListPartitionReassignmentsRequest,
      ctx: RequestContext
    ): Promise<ListPartitionReassignmentsResponse> {
      if (!ctx.authorizeCluster(AclOperation.DESCRIBE)) {
        return {
          throttleTimeMs: 0,
          errorCode: ErrorCode.CLUSTER_AUTHORIZATION_FAILED,
          errorMessage: null,
          topics: []
        }
      }
      const remote = await deps.controllerChannel.forwardUnlessController<ListPartitionReassignmentsResponse>(
        ctx.forwardingHeader,
        request,
        (errorMessage) => ({
          throttleTimeMs: 0,
          errorCode: ErrorCode.NOT_CONTROLLER,
          errorMessage,
          topics: []
        })
      )
      if (remote) return remote
      const ongoing = await deps.controller.listPartitionReassignments(
        request.topics === null
          ? null
          : request.topics.map((t) => ({ topic: t.name, partitionIndexes: t.partitionIndexes }))
      )
      const byTopic = new Map<string, ListPartitionReassignmentsResponseOngoingTopicReassignment>()
      for (const r of ongoing) {
        let topic = byTopic.get(r.topic)
        if (!topic) {
          topic = { name: r.topic, partitions: [] }
          byTopic.set(r.topic, topic)
        }
        topic.partitions.push({
          partitionIndex: r.partitionIndex,
          replicas: [...r.replicas],
          addingReplicas: [...r.addingReplicas],
          removingReplicas: [...r.removingReplicas]
        })
      }
      return {
        throttleTimeMs: 0,
        errorCode: ErrorCode.NONE,
        errorMessage: null,
        topics: [...byTopic.values()]
      }
    }
  }
}
