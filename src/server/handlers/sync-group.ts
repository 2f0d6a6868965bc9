/** SyncGroup (key 14): the leader hands out assignments, every member receives its own. */

import type { ClassicGroupCoordinator } from '../../coordinator/group/classic-group-coordinator.js'
import { ErrorCode } from '../../protocol/error-codes.js'
import {
  defaultSyncGroupResponse,
  SyncGroupApi,
  type SyncGroupRequest,
  type SyncGroupResponse
} from '../../protocol/messages/sync-group.js'
import { AclOperation, ResourceType } from '../../security/authorizer/acl-types.js'
import type { ApiHandler } from '../api-registry.js'
import { groupRequestContext } from './join-group.js'

export function createSyncGroupHandler(
  classic: ClassicGroupCoordinator
): ApiHandler<SyncGroupRequest, SyncGroupResponse> {
  return {
    api: SyncGroupApi,
    minVersion: 0,
    maxVersion: 5,
    async handle(request, ctx) {
      const response = ctx.authorize(AclOperation.READ, ResourceType.GROUP, request.groupId)
        ? await classic.syncGroup(request, groupRequestContext(ctx))
        : { ...defaultSyncGroupResponse(), errorCode: ErrorCode.GROUP_AUTHORIZATION_FAILED }
      return { ...response, throttleTimeMs: 0 }
    }
  }
}
