/**
 * The filters of DescribeAcls and DeleteAcls (Kafka's AclBindingFilter): a null name, principal or host and
 * the ANY codes match everything; pattern type MATCH finds every binding that would apply to the named
 * resource (the LITERAL name itself, the LITERAL `*`, and each PREFIXED pattern the name starts with).
 */

import {
  AclOperation,
  AclPermissionType,
  PatternType,
  ResourceType,
  type StandardAcl,
  WILDCARD
} from './acl-types.js'

export interface AclBindingFilter {
  readonly resourceType: number
  readonly resourceName: string | null
  readonly patternType: number
  readonly principal: string | null
  readonly host: string | null
  readonly operation: number
  readonly permissionType: number
}

/** Why a filter can match nothing Kafka would accept (an UNKNOWN code), or null. */
export function invalidFilterReason(f: AclBindingFilter): string | null {
  if (f.resourceType === ResourceType.UNKNOWN) return 'Resource type UNKNOWN is not valid in a filter'
  if (f.patternType === PatternType.UNKNOWN) return 'Pattern type UNKNOWN is not valid in a filter'
  if (f.operation === AclOperation.UNKNOWN) return 'Operation UNKNOWN is not valid in a filter'
  if (f.permissionType === AclPermissionType.UNKNOWN)
    return 'Permission type UNKNOWN is not valid in a filter'
  return null
}

function patternMatches(f: AclBindingFilter, acl: StandardAcl): boolean {
  if (f.resourceType !== ResourceType.ANY && f.resourceType !== acl.resourceType) return false
  const exactType = f.patternType !== PatternType.ANY && f.patternType !== PatternType.MATCH
  if (exactType && f.patternType !== acl.patternType) return false
  if (f.resourceName === null) return true
  if (f.patternType !== PatternType.MATCH) return f.resourceName === acl.resourceName
  if (acl.patternType === PatternType.PREFIXED) return f.resourceName.startsWith(acl.resourceName)
  return f.resourceName === acl.resourceName || acl.resourceName === WILDCARD
}

export function filterMatches(f: AclBindingFilter, acl: StandardAcl): boolean {
  return (
    patternMatches(f, acl) &&
    (f.principal === null || f.principal === acl.principal) &&
    (f.host === null || f.host === acl.host) &&
    (f.operation === AclOperation.ANY || f.operation === acl.operation) &&
    (f.permissionType === AclPermissionType.ANY || f.permissionType === acl.permissionType)
  )
}
