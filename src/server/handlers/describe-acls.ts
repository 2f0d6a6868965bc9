/**
 * DescribeAcls (key 29): the bindings a filter selects, from this broker's authorizer (which follows the
 * metadata store), grouped by resource pattern. Needs an authorizer (SECURITY_DISABLED) and DESCRIBE on the
 * cluster (CLUSTER_AUTHORIZATION_FAILED); a filter with an UNKNOWN code is INVALID_REQUEST.
 */

import { ErrorCode } from '../../protocol/error-codes.js'
import {
  type DescribeAclsResponseDescribeAclsResource as AclResource,
  DescribeAclsApi,
  type DescribeAclsRequest,
  type DescribeAclsResponse
} from '../../protocol/messages/describe-acls.js'
import { type AclBindingFilter, invalidFilterReason } from '../../security/authorizer/acl-binding-filter.js'
import { AclOperation, PatternType } from '../../security/authorizer/acl-types.js'
import type { ApiHandler } from '../api-registry.js'
import type { RequestContext } from '../request-context.js'
import { NO_AUTHORIZER } from './create-acls.js'

export const describeAclsHandler: ApiHandler<DescribeAclsRequest, DescribeAclsResponse> = {
  api: DescribeAclsApi,
  minVersion: 0,
  maxVersion: 3,
  handle(request, ctx: RequestContext): DescribeAclsResponse {
    const failed = (errorCode: number, errorMessage: string | null): DescribeAclsResponse => ({
      throttleTimeMs: 0,
      errorCode,
      errorMessage,
      resources: []
    })
    const authorizer = ctx.broker.authorizer?.() ?? null
    if (authorizer === null) return failed(ErrorCode.SECURITY_DISABLED, NO_AUTHORIZER)
    if (!ctx.authorizeCluster(AclOperation.DESCRIBE))
      return failed(ErrorCode.CLUSTER_AUTHORIZATION_FAILED, null)
    const filter: AclBindingFilter = {
      resourceType: request.resourceTypeFilter,
      resourceName: request.resourceNameFilter,
      patternType: request.patternTypeFilter ?? PatternType.LITERAL,
      principal: request.principalFilter,
      host: request.hostFilter,
      operation: request.operation,
      permissionType: request.permissionType
    }
    const invalid = invalidFilterReason(filter)
    if (invalid !== null) return failed(ErrorCode.INVALID_REQUEST, invalid)
    const byPattern = new Map<string, AclResource>()
    for (const acl of authorizer.matching(filter)) {
      const key = `${acl.resourceType}\u0000${acl.patternType}\u0000${acl.resourceName}`
      let resource = byPattern.get(key)
      if (!resource) {
        resource = {
          resourceType: acl.resourceType,
          resourceName: acl.resourceName,
          patternType: acl.patternType,
          acls: []
        }
        byPattern.set(key, resource)
      }
      resource.acls.push({
        principal: acl.principal,
        host: acl.host,
        operation: acl.operation,
        permissionType: acl.permissionType
      })
    }
    return {
      throttleTimeMs: 0,
      errorCode: ErrorCode.NONE,
      errorMessage: null,
      resources: [...byPattern.values()]
    }
  }
}
