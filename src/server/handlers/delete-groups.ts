/** DeleteGroups (key 42): deletes Empty groups and their committed offsets. */

import type { GroupAdmin } from '../../coordinator/group/group-admin.js'
import {
  DeleteGroupsApi,
  type DeleteGroupsRequest,
  type DeleteGroupsResponse
} from '../../protocol/messages/delete-groups.js'
import type { ApiHandler } from '../api-registry.js'

export function createDeleteGroupsHandler(
  admin: GroupAdmin
): ApiHandler<DeleteGroupsRequest, DeleteGroupsResponse> {
  return {
    api: DeleteGroupsApi,
    minVersion: 0,
    maxVersion: 2,
    async handle(request) {
      return { throttleTimeMs: 0, results: await admin.deleteGroups(request.groupsNames) }
    }
  }
}
