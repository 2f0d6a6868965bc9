/** OffsetDelete (key 47, KIP-496): removes committed offsets the group no longer needs. */

import type { OffsetCoordinator } from '../../coordinator/group/offset-coordinator.js'
import { ErrorCode } from '../../protocol/error-codes.js'
import {
  OffsetDeleteApi,
  type OffsetDeleteRequest,
  type OffsetDeleteResponse
} from '../../protocol/messages/offset-delete.js'
import { AclOperation, ResourceType } from '../../security/authorizer/acl-types.js'
import type { ApiHandler } from '../api-registry.js'

export function createOffsetDeleteHandler(
  offsets: OffsetCoordinator
): ApiHandler<OffsetDeleteRequest, OffsetDeleteResponse> {
  return {
    api: OffsetDeleteApi,
    minVersion: 0,
    maxVersion: 0,
    async handle(request, ctx) {
      // Kafka: DELETE on the group, READ on each topic.
      if (!ctx.authorize(AclOperation.DELETE, ResourceType.GROUP, request.groupId))
        return { errorCode: ErrorCode.GROUP_AUTHORIZATION_FAILED, throttleTimeMs: 0, topics: [] }
      const readable = request.topics.filter((t) =>
        ctx.authorize(AclOperation.READ, ResourceType.TOPIC, t.name)
      )
      const r = await offsets.deleteOffsets(request.groupId, readable)
      const denied = request.topics
        .filter((t) => !readable.includes(t))
        .map((t) => ({
          name: t.name,
          partitions: t.partitions.map((p) => ({
            partitionIndex: p.partitionIndex,
            errorCode: ErrorCode.TOPIC_AUTHORIZATION_FAILED
          }))
        }))
      return { errorCode: r.errorCode, throttleTimeMs: 0, topics: [...r.topics, ...denied] }
    }
  }
}
