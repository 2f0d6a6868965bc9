/** Heartbeat (key 12): keeps a member's session alive and tells it when to rejoin. */

import type { ClassicGroupCoordinator } from '../../coordinator/group/classic-group-coordinator.js'
import { ErrorCode } from '../../protocol/error-codes.js'
import {
  HeartbeatApi,
  type HeartbeatRequest,
  type HeartbeatResponse
} from '../../protocol/messages/heartbeat.js'
import { AclOperation, ResourceType } from '../../security/authorizer/acl-types.js'
import type { ApiHandler } from '../api-registry.js'

export function createHeartbeatHandler(
  classic: ClassicGroupCoordinator
): ApiHandler<HeartbeatRequest, HeartbeatResponse> {
  return {
    api: HeartbeatApi,
    minVersion: 0,
    maxVersion: 4,
    handle(request, ctx) {
      if (!ctx.authorize(AclOperation.READ, ResourceType.GROUP, request.groupId))
        return { throttleTimeMs: 0, errorCode: ErrorCode.GROUP_AUTHORIZATION_FAILED }
      return { throttleTimeMs: 0, errorCode: classic.heartbeat(request) }
    }
  }
}
