/** DeleteGroups (key 42): deletes Empty groups and their committed offsets. */

import type { GroupAdmin } from '../../coordinator/group/group-admin.js'
import { ErrorCode } from '../../protocol/error-codes.js'
import {
  DeleteGroupsApi,
  type DeleteGroupsRequest,
  type DeleteGroupsResponse
} from '../../protocol/messages/delete-groups.js'
import { AclOperation, ResourceType } from '../../security/authorizer/acl-types.js'
import type { ApiHandler } from '../api-registry.js'

export function createDeleteGroupsHandler(
  admin: GroupAdmin
): ApiHandler<DeleteGroupsRequest, DeleteGroupsResponse> {
  return {
    api: DeleteGroupsApi,
    minVersion: 0,
    maxVersion: 2,
    async handle(request, ctx) {
      // Kafka: DELETE on each group.
      const allowed = request.groupsNames.filter((g) =>
        ctx.authorize(AclOperation.DELETE, ResourceType.GROUP, g)
      )
      const results = allowed.length > 0 ? await admin.deleteGroups(allowed) : []
      for (const groupId of request.groupsNames)
        if (!allowed.includes(groupId))
          results.push({ groupId, errorCode: ErrorCode.GROUP_AUTHORIZATION_FAILED })
      return { throttleTimeMs: 0, results }
    }
  }
}
