/** OffsetDelete (key 47, KIP-496): removes committed offsets the group no longer needs. */

import type { OffsetCoordinator } from '../../coordinator/group/offset-coordinator.js'
import {
  OffsetDeleteApi,
  type OffsetDeleteRequest,
  type OffsetDeleteResponse
} from '../../protocol/messages/offset-delete.js'
import type { ApiHandler } from '../api-registry.js'

export function createOffsetDeleteHandler(
  offsets: OffsetCoordinator
): ApiHandler<OffsetDeleteRequest, OffsetDeleteResponse> {
  return {
    api: OffsetDeleteApi,
    minVersion: 0,
    maxVersion: 0,
    async handle(request) {
      const r = await offsets.deleteOffsets(request.groupId, request.topics)
      return { errorCode: r.errorCode, throttleTimeMs: 0, topics: r.topics }
    }
  }
}
