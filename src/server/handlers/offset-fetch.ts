/** OffsetFetch (key 9): one group per request up to v7, several groups from v8 (KIP-709). */

import type {
  FetchedTopic,
  OffsetCoordinator,
  OffsetFetchResult
} from '../../coordinator/group/offset-coordinator.js'
import { ErrorCode } from '../../protocol/error-codes.js'
import {
  OffsetFetchApi,
  type OffsetFetchRequest,
  type OffsetFetchResponse,
  type OffsetFetchResponseOffsetFetchResponseTopic
} from '../../protocol/messages/offset-fetch.js'
import { AclOperation, ResourceType } from '../../security/authorizer/acl-types.js'
import type { ApiHandler } from '../api-registry.js'
import type { RequestContext } from '../request-context.js'

const MULTI_GROUP_VERSION = 8
/** v0 and v1 have no top-level error code: a group-level error is repeated in every partition. */
const TOP_LEVEL_ERROR_VERSION = 2

export function createOffsetFetchHandler(
  offsets: OffsetCoordinator
): ApiHandler<OffsetFetchRequest, OffsetFetchResponse> {
  /**
   * Kafka's checks: DESCRIBE on the group (GROUP_AUTHORIZATION_FAILED), DESCRIBE on each topic: a named
   * topic without it answers TOPIC_AUTHORIZATION_FAILED, and a fetch of all topics leaves it out.
   */
  const fetchAuthorized = (
    ctx: RequestContext,
    groupId: string,
    topics: readonly { name: string; partitionIndexes: readonly number[] }[] | null,
    requireStable: boolean,
    member?: { memberId: string; memberEpoch: number }
  ): OffsetFetchResult => {
    if (!ctx.authorize(AclOperation.DESCRIBE, ResourceType.GROUP, groupId))
      return { errorCode: ErrorCode.GROUP_AUTHORIZATION_FAILED, topics: [] }
    const describable = (name: string, log: boolean) =>
      ctx.authorize(AclOperation.DESCRIBE, ResourceType.TOPIC, name, log)
    if (topics === null) {
      const r = offsets.fetchOffsets(groupId, null, requireStable, member)
      return { ...r, topics: r.topics.filter((t) => describable(t.name, false)) }
    }
    const allowed = topics.filter((t) => describable(t.name, true))
    const r = offsets.fetchOffsets(groupId, allowed, requireStable, member)
    const denied = topics
      .filter((t) => !allowed.includes(t))
      .map((t) => ({
        name: t.name,
        partitions: t.partitionIndexes.map((partitionIndex) => ({
          partitionIndex,
          committedOffset: -1n,
          committedLeaderEpoch: -1,
          metadata: '',
          errorCode: ErrorCode.TOPIC_AUTHORIZATION_FAILED
        }))
      }))
    return denied.length === 0 || r.errorCode !== ErrorCode.NONE
      ? r
      : { ...r, topics: [...r.topics, ...denied] }
  }

  return {
    api: OffsetFetchApi,
    minVersion: 0,
    maxVersion: 9,
    handle(request, ctx) {
      const requireStable = request.requireStable ?? false
      if (ctx.apiVersion >= MULTI_GROUP_VERSION) {
        return {
          throttleTimeMs: 0,
          groups: (request.groups ?? []).map((g) => {
            // v9+: KIP-848 members identify themselves so that stale epochs are refused.
            const member =
              g.memberId == null ? undefined : { memberId: g.memberId, memberEpoch: g.memberEpoch ?? -1 }
            const r = fetchAuthorized(ctx, g.groupId, g.topics, requireStable, member)
            return { groupId: g.groupId, errorCode: r.errorCode, topics: r.topics }
          })
        }
      }
      const groupId = request.groupId ?? ''
      const topics = request.topics ?? null
      const r = fetchAuthorized(ctx, groupId, topics, requireStable)
      if (ctx.apiVersion < TOP_LEVEL_ERROR_VERSION && r.errorCode !== 0) {
        const failed = (topics ?? []).map((t) => ({
          name: t.name,
          partitions: t.partitionIndexes.map((p) => ({
            partitionIndex: p,
            committedOffset: -1n,
            committedLeaderEpoch: -1,
            metadata: '',
            errorCode: r.errorCode
          }))
        }))
        return { throttleTimeMs: 0, errorCode: r.errorCode, topics: failed }
      }
      return { throttleTimeMs: 0, errorCode: r.errorCode, topics: singleGroupTopics(r.topics) }
    }
  }
}

function singleGroupTopics(topics: FetchedTopic[]): OffsetFetchResponseOffsetFetchResponseTopic[] {
  return topics.map((t) => ({ name: t.name, partitions: t.partitions.map((p) => ({ ...p })) }))
}
