/** OffsetCommit (key 8): see OffsetCoordinator.commitOffsets for the member and generation rules. */

import type { OffsetCoordinator } from '../../coordinator/group/offset-coordinator.js'
import { ErrorCode } from '../../protocol/error-codes.js'
import {
  OffsetCommitApi,
  type OffsetCommitRequest,
  type OffsetCommitResponse
} from '../../protocol/messages/offset-commit.js'
import { AclOperation, ResourceType } from '../../security/authorizer/acl-types.js'
import type { ApiHandler } from '../api-registry.js'

export function createOffsetCommitHandler(
  offsets: OffsetCoordinator
): ApiHandler<OffsetCommitRequest, OffsetCommitResponse> {
  return {
    api: OffsetCommitApi,
    minVersion: 0,
    maxVersion: 9,
    async handle(request, ctx) {
      // Kafka: READ on the group (every partition fails without), then READ on each topic.
      const failedTopic = (t: OffsetCommitRequest['topics'][number], errorCode: number) => ({
        name: t.name,
        partitions: t.partitions.map((p) => ({ partitionIndex: p.partitionIndex, errorCode }))
      })
      if (!ctx.authorize(AclOperation.READ, ResourceType.GROUP, request.groupId))
        return {
          throttleTimeMs: 0,
          topics: request.topics.map((t) => failedTopic(t, ErrorCode.GROUP_AUTHORIZATION_FAILED))
        }
      const readable = request.topics.filter((t) =>
        ctx.authorize(AclOperation.READ, ResourceType.TOPIC, t.name)
      )
      const denied = request.topics.filter((t) => !readable.includes(t))
      const response = await offsets.commitOffsets({ ...request, topics: readable }, ctx.apiVersion)
      const topics = [
        ...response.topics,
        ...denied.map((t) => failedTopic(t, ErrorCode.TOPIC_AUTHORIZATION_FAILED))
      ]
      return { ...response, topics, throttleTimeMs: 0 }
    }
  }
}
