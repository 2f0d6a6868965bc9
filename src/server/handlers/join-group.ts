/** JoinGroup (key 11): the classic group membership protocol's first phase; see ClassicGroupCoordinator. */

import type { ClassicGroupCoordinator } from '../../coordinator/group/classic-group-coordinator.js'
import type { GroupRequestContext } from '../../coordinator/group/group-request-context.js'
import { ErrorCode } from '../../protocol/error-codes.js'
import {
  defaultJoinGroupResponse,
  JoinGroupApi,
  type JoinGroupRequest,
  type JoinGroupResponse
} from '../../protocol/messages/join-group.js'
import { AclOperation, ResourceType } from '../../security/authorizer/acl-types.js'
import type { ApiHandler } from '../api-registry.js'
import type { RequestContext } from '../request-context.js'

/** The protocol name became nullable in v7; older versions encode "no protocol" as an empty string. */
const NULLABLE_PROTOCOL_NAME_VERSION = 7

export function createJoinGroupHandler(
  classic: ClassicGroupCoordinator
): ApiHandler<JoinGroupRequest, JoinGroupResponse> {
  return {
    api: JoinGroupApi,
    minVersion: 0,
    maxVersion: 9,
    async handle(request, ctx) {
      const response = ctx.authorize(AclOperation.READ, ResourceType.GROUP, request.groupId)
        ? await classic.joinGroup(request, groupRequestContext(ctx))
        : {
            ...defaultJoinGroupResponse(),
            errorCode: ErrorCode.GROUP_AUTHORIZATION_FAILED,
            memberId: request.memberId
          }
      const nullable = ctx.apiVersion >= NULLABLE_PROTOCOL_NAME_VERSION
      return {
        ...response,
        throttleTimeMs: 0,
        protocolName: nullable ? response.protocolName : (response.protocolName ?? '')
      }
    }
  }
}

/** What the group coordinator needs from a broker request context (also used by SyncGroup). */
export function groupRequestContext(ctx: RequestContext): GroupRequestContext {
  // Kafka reports client hosts as InetAddress.toString(), i.e. with a leading slash.
  return {
    apiVersion: ctx.apiVersion,
    clientId: ctx.clientId ?? '',
    clientHost: `/${ctx.connection.clientAddress}`
  }
}
