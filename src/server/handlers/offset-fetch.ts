/** OffsetFetch (key 9): one group per request up to v7, several groups from v8 (KIP-709). */

import type { FetchedTopic, OffsetCoordinator } from '../../coordinator/group/offset-coordinator.js'
import {
  OffsetFetchApi,
  type OffsetFetchRequest,
  type OffsetFetchResponse,
  type OffsetFetchResponseOffsetFetchResponseTopic
} from '../../protocol/messages/offset-fetch.js'
import type { ApiHandler } from '../api-registry.js'

const MULTI_GROUP_VERSION = 8
/** v0 and v1 have no top-level error code: a group-level error is repeated in every partition. */
const TOP_LEVEL_ERROR_VERSION = 2

export function createOffsetFetchHandler(
  offsets: OffsetCoordinator
): ApiHandler<OffsetFetchRequest, OffsetFetchResponse> {
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
            const r = offsets.fetchOffsets(g.groupId, g.topics, requireStable, member)
            return { groupId: g.groupId, errorCode: r.errorCode, topics: r.topics }
          })
        }
      }
      const groupId = request.groupId ?? ''
      const topics = request.topics ?? null
      const r = offsets.fetchOffsets(groupId, topics, requireStable)
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
