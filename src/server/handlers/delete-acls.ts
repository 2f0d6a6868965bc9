/**
 * DeleteAcls (key 31): removes every binding each filter selects, in one metadata write on the controller
 * (other brokers forward), and lists them per filter. Needs an authorizer (SECURITY_DISABLED) and ALTER on
 * the cluster (CLUSTER_AUTHORIZATION_FAILED); a filter with an UNKNOWN code is INVALID_REQUEST.
 */

import { ErrorCode, KafkaError } from '../../protocol/error-codes.js'
import {
  DeleteAclsApi,
  type DeleteAclsRequest,
  type DeleteAclsResponse,
  type DeleteAclsResponseDeleteAclsFilterResult as FilterResult
} from '../../protocol/messages/delete-acls.js'
import {
  type AclBindingFilter,
  filterMatches,
  invalidFilterReason
} from '../../security/authorizer/acl-binding-filter.js'
import { AclOperation, PatternType } from '../../security/authorizer/acl-types.js'
import type { ApiHandler } from '../api-registry.js'
import type { RequestContext } from '../request-context.js'
import { type AclHandlerDeps, NO_AUTHORIZER } from './create-acls.js'

export function createDeleteAclsHandler(
  deps: AclHandlerDeps
): ApiHandler<DeleteAclsRequest, DeleteAclsResponse> {
  return {
    api: DeleteAclsApi,
    minVersion: 0,
    maxVersion: 3,
    async handle(request, ctx: RequestContext): Promise<DeleteAclsResponse> {
      const all = (errorCode: number, errorMessage: string | null): DeleteAclsResponse => ({
        throttleTimeMs: 0,
        filterResults: request.filters.map(() => ({ errorCode, errorMessage, matchingAcls: [] }))
      })
      if (!ctx.authorizerEnabled) return all(ErrorCode.SECURITY_DISABLED, NO_AUTHORIZER)
      if (!ctx.authorizeCluster(AclOperation.ALTER)) return all(ErrorCode.CLUSTER_AUTHORIZATION_FAILED, null)
      const remote = await deps
        .controllerChannel()
        .forwardUnlessController<DeleteAclsResponse>(ctx.forwardingHeader, request, (message) =>
          all(ErrorCode.NOT_CONTROLLER, message)
        )
      if (remote) return remote

      const store = deps.acls()
      const { acls } = await store.acls()
      const deleted = new Set<string>()
      const filterResults: FilterResult[] = request.filters.map((f) => {
        const filter: AclBindingFilter = {
          resourceType: f.resourceTypeFilter,
          resourceName: f.resourceNameFilter,
          patternType: f.patternTypeFilter ?? PatternType.LITERAL,
          principal: f.principalFilter,
          host: f.hostFilter,
          operation: f.operation,
          permissionType: f.permissionType
        }
        const invalid = invalidFilterReason(filter)
        if (invalid !== null)
          return { errorCode: ErrorCode.INVALID_REQUEST, errorMessage: invalid, matchingAcls: [] }
        const matching = acls.filter((acl) => filterMatches(filter, acl))
        for (const acl of matching) deleted.add(acl.id)
        return {
          errorCode: ErrorCode.NONE,
          errorMessage: null,
          matchingAcls: matching.map(({ id: _id, ...acl }) => ({
            errorCode: ErrorCode.NONE,
            errorMessage: null,
            ...acl
          }))
        }
      })
      try {
        await store.alterAcls([], [...deleted])
      } catch (err) {
        const [errorCode, errorMessage] =
          err instanceof KafkaError
            ? [err.code, err.message]
            : [ErrorCode.UNKNOWN_SERVER_ERROR, 'The metadata write failed']
        return all(errorCode, errorMessage)
      }
      return { throttleTimeMs: 0, filterResults }
    }
  }
}
