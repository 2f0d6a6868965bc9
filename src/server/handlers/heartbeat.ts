/** Heartbeat (key 12): keeps a member's session alive and tells it when to rejoin. */

import type { ClassicGroupCoordinator } from '../../coordinator/group/classic-group-coordinator.js'
import {
  HeartbeatApi,
  type HeartbeatRequest,
  type HeartbeatResponse
} from '../../protocol/messages/heartbeat.js'
import type { ApiHandler } from '../api-registry.js'

export function createHeartbeatHandler(
  classic: ClassicGroupCoordinator
): ApiHandler<HeartbeatRequest, HeartbeatResponse> {
  return {
    api: HeartbeatApi,
    minVersion: 0,
    maxVersion: 4,
    handle(request) {
      return { throttleTimeMs: 0, errorCode: classic.heartbeat(request) }
    }
  }
}
