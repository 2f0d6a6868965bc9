/** DescribeGroups (key 15): state, protocol and members of each requested group. */

import type { GroupAdmin } from '../../coordinator/group/group-admin.js'
import {
  DescribeGroupsApi,
  type DescribeGroupsRequest,
  type DescribeGroupsResponse
} from '../../protocol/messages/describe-groups.js'
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
    handle(request) {
      const ops = request.includeAuthorizedOperations ? ALL_GROUP_OPERATIONS : OPERATIONS_NOT_REQUESTED
      const groups = admin.describeGroups(request.groups).map((g) => ({ ...g, authorizedOperations: ops }))
      return { throttleTimeMs: 0, groups }
    }
  }
}
