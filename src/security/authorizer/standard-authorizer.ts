/**
 * Kafka's StandardAuthorizer decision over an AclIndex: super users may do anything; otherwise every ACL
 * whose pattern matches the resource (LITERAL name, LITERAL `*`, PREFIXED prefix) and whose principal
 * (exact or `User:*`) and host (exact or `*`) match is considered, and any matching DENY beats any ALLOW.
 * Implications hold for ALLOW only: READ, WRITE, DELETE and ALTER imply DESCRIBE; ALTER_CONFIGS implies
 * DESCRIBE_CONFIGS; ALL matches every operation. A resource with no ACL at all (for anyone) is allowed only
 * with allow.everyone.if.no.acl.found; a resource with ACLs, none of them matching, is denied.
 */

import { type AclBindingFilter, filterMatches } from './acl-binding-filter.js'
import { AclIndex } from './acl-index.js'
import {
  AclOperation,
  AclPermissionType,
  OPERATIONS_BY_RESOURCE,
  PatternType,
  type StandardAcl,
  WILDCARD,
  WILDCARD_PRINCIPAL
} from './acl-types.js'

export interface AuthorizerSettings {
  /** Principals (`User:admin`) allowed everything, whatever the ACLs say. */
  readonly superUsers: ReadonlySet<string>
  readonly allowEveryoneIfNoAclFound: boolean
}

/** Who asks: the principal as `Type:name` and the client's IP address. */
export interface AuthorizationSubject {
  readonly principal: string
  readonly host: string
}

const IMPLIES_DESCRIBE = new Set<number>([
  AclOperation.DESCRIBE,
  AclOperation.READ,
  AclOperation.WRITE,
  AclOperation.DELETE,
  AclOperation.ALTER
])
const IMPLIES_DESCRIBE_CONFIGS = new Set<number>([AclOperation.DESCRIBE_CONFIGS, AclOperation.ALTER_CONFIGS])

/** Whether an ACL's operation covers the one asked for (the implications apply to ALLOW ACLs only). */
function operationMatches(acl: StandardAcl, operation: number): boolean {
  if (acl.operation === AclOperation.ALL || acl.operation === operation) return true
  if (acl.permissionType !== AclPermissionType.ALLOW) return false
  if (operation === AclOperation.DESCRIBE) return IMPLIES_DESCRIBE.has(acl.operation)
  if (operation === AclOperation.DESCRIBE_CONFIGS) return IMPLIES_DESCRIBE_CONFIGS.has(acl.operation)
  return false
}

const subjectMatches = (acl: StandardAcl, s: AuthorizationSubject): boolean =>
  (acl.principal === s.principal || acl.principal === WILDCARD_PRINCIPAL) &&
  (acl.host === WILDCARD || acl.host === s.host)

export class StandardAuthorizer {
  private index = new AclIndex([])
  private acls: readonly StandardAcl[] = []

  constructor(readonly settings: AuthorizerSettings) {}

  /** Replaces the ACLs (the whole set the metadata store holds). */
  load(acls: readonly StandardAcl[]): void {
    this.index = new AclIndex(acls)
    this.acls = acls
  }

  get aclCount(): number {
    return this.index.size
  }

  isSuperUser(principal: string): boolean {
    return this.settings.superUsers.has(principal)
  }

  authorize(subject: AuthorizationSubject, operation: number, resourceType: number, name: string): boolean {
    if (this.isSuperUser(subject.principal)) return true
    let hasResourceAcls = false
    let allowed = false
    let denied = false
    this.index.forEachMatching(resourceType, name, (acls) => {
      hasResourceAcls = true
      for (const acl of acls) {
        if (!subjectMatches(acl, subject) || !operationMatches(acl, operation)) continue
        if (acl.permissionType === AclPermissionType.DENY) {
          denied = true
          return true
        }
        allowed = true
      }
      return false
    })
    if (denied) return false
    if (allowed) return true
    return !hasResourceAcls && this.settings.allowEveryoneIfNoAclFound
  }

  /**
   * Whether the subject may do `operation` on at least one resource of the type (Kafka's
   * authorizeByResourceType, used by KIP-679's idempotent producers with WRITE on any topic): some ALLOW
   * for the operation, on a pattern no DENY of the subject covers (a DENY on LITERAL `*` covers all).
   */
  authorizeByResourceType(subject: AuthorizationSubject, operation: number, resourceType: number): boolean {
    // A name no ACL can be written for: super users and allow.everyone.if.no.acl.found, as Kafka does.
    if (this.authorize(subject, operation, resourceType, 'hardcode')) return true
    const deniedLiteral = new Set<string>()
    const deniedPrefixes: string[] = []
    const allows: StandardAcl[] = []
    for (const acl of this.index.ofType(resourceType)) {
      if (!subjectMatches(acl, subject)) continue
      if (acl.operation !== operation && acl.operation !== AclOperation.ALL) continue
      if (acl.permissionType === AclPermissionType.ALLOW) allows.push(acl)
      else if (acl.patternType === PatternType.PREFIXED) deniedPrefixes.push(acl.resourceName)
      else deniedLiteral.add(acl.resourceName)
    }
    if (deniedLiteral.has(WILDCARD)) return false
    return allows.some((allow) => {
      if (deniedPrefixes.some((prefix) => allow.resourceName.startsWith(prefix))) return false
      return allow.patternType === PatternType.PREFIXED || !deniedLiteral.has(allow.resourceName)
    })
  }

  /** The bitfield of authorized operations (bit n = AclOperation n) a Metadata or Describe* answer carries. */
  authorizedOperations(subject: AuthorizationSubject, resourceType: number, name: string): number {
    const ops = OPERATIONS_BY_RESOURCE.get(resourceType) ?? []
    // One walk of the index collects the subject's ACLs on the resource; each operation is decided on those.
    let hasResourceAcls = false
    const mine: StandardAcl[] = []
    this.index.forEachMatching(resourceType, name, (acls) => {
      hasResourceAcls = true
      for (const acl of acls) if (subjectMatches(acl, subject)) mine.push(acl)
      return false
    })
    const superUser = this.isSuperUser(subject.principal)
    let bits = 0
    for (const op of ops) {
      const matching = mine.filter((acl) => operationMatches(acl, op))
      const allowed =
        superUser ||
        (matching.length > 0
          ? matching.every((acl) => acl.permissionType === AclPermissionType.ALLOW)
          : !hasResourceAcls && this.settings.allowEveryoneIfNoAclFound)
      if (allowed) bits |= 1 << op
    }
    return bits
  }

  /** The bindings a DescribeAcls or DeleteAcls filter selects. */
  matching(filter: AclBindingFilter): StandardAcl[] {
    return this.acls.filter((acl) => filterMatches(filter, acl))
  }
}
