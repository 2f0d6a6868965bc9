/** DescribeGroups (key 15): state, protocol and members of each requested group. */

import type { GroupAdmin } from '../../coordinator/group/group-admin.js'
import { ErrorCode } from '../../protocol/error-codes.js'
import {
  DescribeGroupsApi,
  type DescribeGroupsRequest,
  type DescribeGroupsResponse
} from '../../protocol/messages/describe-groups.js'
import { AclOperation, ResourceType } from '../../security/authorizer/acl-types.js'
import type { ApiHandler } from '../api-registry.js'

/** Kafka's "not requested" marker for authorized operations (Integer.MIN_VALUE). */
const OPERATIONS_NOT_REQUESTED = -2147483648
/**
 * Without ACLs every principal may do everything a group supports: READ (3), DELETE (6), DESCRIBE (8),
 * as a bit field indexed by Kafka's AclOperation codes.
 */
const ALL_GROUP_OPERATIONS = (1 << 3) | (1 << 6) | (1 << 8)

export function createDescribeGroupsHandler(
  admin: GroupAdmin
): ApiHandler<DescribeGroupsRequest, DescribeGroupsResponse> {
  return {
    api: DescribeGroupsApi,
    minVersion: 0,
    maxVersion: 5,
    handle(request, ctx) {
      const ops = (groupId: string) =>
        request.includeAuthorizedOperations
          ? ctx.authorizedOperations(ResourceType.GROUP, groupId, ALL_GROUP_OPERATIONS)
          : OPERATIONS_NOT_REQUESTED
      // Kafka: DESCRIBE on each group.
      const allowed = request.groups.filter((g) =>
        ctx.authorize(AclOperation.DESCRIBE, ResourceType.GROUP, g)
      )
      const described = admin.describeGroups(allowed)
      const groups = request.groups.map((groupId) => {
        const g = described.find((d) => d.groupId === groupId)
        return g
          ? { ...g, authorizedOperations: ops(groupId) }
          : {
              errorCode: ErrorCode.GROUP_AUTHORIZATION_FAILED,
              groupId,
              groupState: '',
              protocolType: '',
              protocolData: '',
              members: [],
              authorizedOperations: OPERATIONS_NOT_REQUESTED
            }
      })
      return { throttleTimeMs: 0, groups }
    }
  }
}
