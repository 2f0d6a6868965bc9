/** ListGroups (key 16): the groups this broker coordinates, filtered by state (v4+) and type (v5+). */

import type { GroupAdmin } from '../../coordinator/group/group-admin.js'
import {
  ListGroupsApi,
  type ListGroupsRequest,
  type ListGroupsResponse
} from '../../protocol/messages/list-groups.js'
import { AclOperation, ResourceType } from '../../security/authorizer/acl-types.js'
import type { ApiHandler } from '../api-registry.js'

export function createListGroupsHandler(
  admin: GroupAdmin
): ApiHandler<ListGroupsRequest, ListGroupsResponse> {
  return {
    api: ListGroupsApi,
    minVersion: 0,
    maxVersion: 5,
    handle(request, ctx) {
      const r = admin.listGroups(request.statesFilter ?? [], request.typesFilter ?? [])
      // Kafka: DESCRIBE on the cluster lists every group, otherwise those the principal may DESCRIBE.
      const groups = ctx.authorizeCluster(AclOperation.DESCRIBE, false)
        ? r.groups
        : r.groups.filter((g) => ctx.authorize(AclOperation.DESCRIBE, ResourceType.GROUP, g.groupId, false))
      return { throttleTimeMs: 0, errorCode: r.errorCode, groups }
    }
  }
}
