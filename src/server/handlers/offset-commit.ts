/** OffsetCommit (key 8): see OffsetCoordinator.commitOffsets for the member and generation rules. */

import type { OffsetCoordinator } from '../../coordinator/group/offset-coordinator.js'
import {
  OffsetCommitApi,
  type OffsetCommitRequest,
  type OffsetCommitResponse
} from '../../protocol/messages/offset-commit.js'
import type { ApiHandler } from '../api-registry.js'

export function createOffsetCommitHandler(
  offsets: OffsetCoordinator
): ApiHandler<OffsetCommitRequest, OffsetCommitResponse> {
  return {
    api: OffsetCommitApi,
    minVersion: 0,
    maxVersion: 9,
    async handle(request, ctx) {
      const response = await offsets.commitOffsets(request, ctx.apiVersion)
      return { ...response, throttleTimeMs: 0 }
    }
  }
}
