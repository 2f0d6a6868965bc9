/** LeaveGroup (key 13): one member (v0-v2) or a batch of members (v3+, KIP-345) leave a group. */

import type { ClassicGroupCoordinator } from '../../coordinator/group/classic-group-coordinator.js'
import { ErrorCode } from '../../protocol/error-codes.js'
import {
  LeaveGroupApi,
  type LeaveGroupRequest,
  type LeaveGroupResponse
} from '../../protocol/messages/leave-group.js'
import { AclOperation, ResourceType } from '../../security/authorizer/acl-types.js'
import type { ApiHandler } from '../api-registry.js'

const BATCHED_VERSION = 3

export function createLeaveGroupHandler(
  classic: ClassicGroupCoordinator
): ApiHandler<LeaveGroupRequest, LeaveGroupResponse> {
  return {
    api: LeaveGroupApi,
    minVersion: 0,
    maxVersion: 5,
    handle(request, ctx) {
      if (!ctx.authorize(AclOperation.READ, ResourceType.GROUP, request.groupId))
        return { throttleTimeMs: 0, errorCode: ErrorCode.GROUP_AUTHORIZATION_FAILED, members: [] }
      if (ctx.apiVersion >= BATCHED_VERSION) {
        const response = classic.leaveGroup(request.groupId, request.members ?? [])
        return { ...response, throttleTimeMs: 0 }
      }
      const response = classic.leaveGroup(request.groupId, [
        { memberId: request.memberId ?? '', groupInstanceId: null }
      ])
      // Before v3 there is no per-member result: the single member's error is the response's error.
      const memberError = response.members?.[0]?.errorCode ?? 0
      return { throttleTimeMs: 0, errorCode: response.errorCode !== 0 ? response.errorCode : memberError }
    }
  }
}
