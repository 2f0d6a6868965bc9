/**
 * Kafka's ACL vocabulary with its wire codes (org.apache.kafka.common.resource / .acl): resource types,
 * pattern types, operations and permission types, as CreateAcls, DescribeAcls and DeleteAcls carry them.
 */

export const ResourceType = {
  UNKNOWN: 0,
  ANY: 1,
  TOPIC: 2,
  GROUP: 3,
  CLUSTER: 4,
  TRANSACTIONAL_ID: 5,
  DELEGATION_TOKEN: 6,
  USER: 7
} as const
export type ResourceTypeCode = (typeof ResourceType)[keyof typeof ResourceType]

export const PatternType = { UNKNOWN: 0, ANY: 1, MATCH: 2, LITERAL: 3, PREFIXED: 4 } as const

export const AclOperation = {
  UNKNOWN: 0,
  ANY: 1,
  ALL: 2,
  READ: 3,
  WRITE: 4,
  CREATE: 5,
  DELETE: 6,
  ALTER: 7,
  DESCRIBE: 8,
  CLUSTER_ACTION: 9,
  DESCRIBE_CONFIGS: 10,
  ALTER_CONFIGS: 11,
  IDEMPOTENT_WRITE: 12,
  CREATE_TOKENS: 13,
  DESCRIBE_TOKENS: 14
} as const
export type AclOperationCode = (typeof AclOperation)[keyof typeof AclOperation]

export const AclPermissionType = { UNKNOWN: 0, ANY: 1, DENY: 2, ALLOW: 3 } as const

/** The resource name of the cluster, the one CLUSTER resource there is. */
export const CLUSTER_NAME = 'kafka-cluster'
/** A LITERAL name, principal or host that matches every one. */
export const WILDCARD = '*'
export const WILDCARD_PRINCIPAL = 'User:*'

const names = <T extends Record<string, number>>(table: T): Map<number, string> =>
  new Map(Object.entries(table).map(([k, v]) => [v, k]))
const RESOURCE_NAMES = names(ResourceType)
const OPERATION_NAMES = names(AclOperation)

export const resourceTypeName = (code: number): string => RESOURCE_NAMES.get(code) ?? `UNKNOWN(${code})`
export const operationName = (code: number): string => OPERATION_NAMES.get(code) ?? `UNKNOWN(${code})`

/**
 * The operations that apply to each resource type, as Kafka's docs list them: the bits of the
 * authorized-operations fields (Metadata, DescribeCluster, DescribeGroups) are drawn from these.
 */
export const OPERATIONS_BY_RESOURCE: ReadonlyMap<number, readonly number[]> = new Map([
  [
    ResourceType.TOPIC,
    [
      AclOperation.READ,
      AclOperation.WRITE,
      AclOperation.CREATE,
      AclOperation.DELETE,
      AclOperation.ALTER,
      AclOperation.DESCRIBE,
      AclOperation.DESCRIBE_CONFIGS,
      AclOperation.ALTER_CONFIGS
    ]
  ],
  [ResourceType.GROUP, [AclOperation.READ, AclOperation.DELETE, AclOperation.DESCRIBE]],
  [
    ResourceType.CLUSTER,
    [
      AclOperation.CREATE,
      AclOperation.ALTER,
      AclOperation.DESCRIBE,
      AclOperation.CLUSTER_ACTION,
      AclOperation.DESCRIBE_CONFIGS,
      AclOperation.ALTER_CONFIGS,
      AclOperation.IDEMPOTENT_WRITE
    ]
  ],
  [ResourceType.TRANSACTIONAL_ID, [AclOperation.WRITE, AclOperation.DESCRIBE]],
  [ResourceType.DELEGATION_TOKEN, [AclOperation.DESCRIBE]],
  [ResourceType.USER, [AclOperation.CREATE_TOKENS, AclOperation.DESCRIBE_TOKENS]]
])

/** One ACL as the authorizer holds it (Kafka's StandardAcl); the store adds an id. */
export interface StandardAcl {
  readonly resourceType: number
  readonly resourceName: string
  /** LITERAL or PREFIXED: a binding is never stored with a filter-only pattern type. */
  readonly patternType: number
  /** `Type:name`, e.g. `User:alice`, or `User:*`. */
  readonly principal: string
  /** `*` or an IP address. */
  readonly host: string
  readonly operation: number
  /** ALLOW or DENY. */
  readonly permissionType: number
}

export const sameAcl = (a: StandardAcl, b: StandardAcl): boolean =>
  a.resourceType === b.resourceType &&
  a.resourceName === b.resourceName &&
  a.patternType === b.patternType &&
  a.principal === b.principal &&
  a.host === b.host &&
  a.operation === b.operation &&
  a.permissionType === b.permissionType

const CONCRETE_RESOURCE_TYPES = new Set<number>([
  ResourceType.TOPIC,
  ResourceType.GROUP,
  ResourceType.CLUSTER,
  ResourceType.TRANSACTIONAL_ID,
  ResourceType.DELEGATION_TOKEN,
  ResourceType.USER
])

/**
 * Why Kafka's controller refuses to store a binding (AclControlManager.validateNewAcl), or null. Every field
 * must be concrete (no ANY, MATCH or UNKNOWN), the principal `Type:name`, and a CLUSTER resource is named
 * `kafka-cluster` with a LITERAL pattern.
 */
export function invalidAclReason(acl: StandardAcl): string | null {
  if (!CONCRETE_RESOURCE_TYPES.has(acl.resourceType)) return 'Invalid resourceType'
  if (acl.patternType !== PatternType.LITERAL && acl.patternType !== PatternType.PREFIXED)
    return 'Invalid patternType'
  if (acl.operation <= AclOperation.ANY || !OPERATION_NAMES.has(acl.operation)) return 'Invalid operation'
  if (acl.permissionType !== AclPermissionType.ALLOW && acl.permissionType !== AclPermissionType.DENY)
    return 'Invalid permissionType'
  if (acl.resourceName === '') return 'Resource name should not be empty'
  const colon = acl.principal.indexOf(':')
  if (colon <= 0)
    return `Could not parse principal from \`${acl.principal}\` (no colon is present separating the principal type from the principal name)`
  if (acl.host === '') return 'Invalid host'
  if (
    acl.resourceType === ResourceType.CLUSTER &&
    (acl.resourceName !== CLUSTER_NAME || acl.patternType !== PatternType.LITERAL)
  )
    return 'The only valid name for the CLUSTER resource is kafka-cluster'
  return null
}
