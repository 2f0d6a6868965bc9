/** OffsetCommit (key 8): see OffsetCoordinator.commitOffsets for the member and generation rules. */

import type { GroupCoordinator } from '../../coordinator/group/group-coordinator.js'
import {
  OffsetCommitApi,
  type OffsetCommitRequest,
  type OffsetCommitResponse
} from '../../protocol/messages/offset-commit.js'
import type { ApiHandler } from '../api-registry.js'

export function createOffsetCommitHandler(
  coordinator: GroupCoordinator
): ApiHandler<OffsetCommitRequest, OffsetCommitResponse> {
  return {
    api: OffsetCommitApi,
    minVersion: 0,
    maxVersion: 9,
    async handle(request, ctx) {
      const response = await coordinator.offsets.commitOffsets(request, ctx.apiVersion)
      return { ...response, throttleTimeMs: 0 }
    }
  }
}
