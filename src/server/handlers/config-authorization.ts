/**
 * Who may describe or alter a config resource, as Kafka's KafkaApis decides: a TOPIC needs DESCRIBE_CONFIGS
 * or ALTER_CONFIGS on the topic (TOPIC_AUTHORIZATION_FAILED), a BROKER or BROKER_LOGGER on the cluster
 * (CLUSTER_AUTHORIZATION_FAILED), a GROUP on the group (GROUP_AUTHORIZATION_FAILED).
 */

import { ErrorCode } from '../../protocol/error-codes.js'
import { ResourceType as AclResourceType, CLUSTER_NAME } from '../../security/authorizer/acl-types.js'
import { ResourceType as ConfigResourceType } from '../admin/config-resource.js'
import type { RequestContext } from '../request-context.js'

/** The error a denied config resource answers with, or null when the operation is allowed. */
export function configResourceDenial(
  ctx: RequestContext,
  operation: number,
  resourceType: number,
  resourceName: string
): number | null {
  switch (resourceType) {
    case ConfigResourceType.TOPIC:
      return ctx.authorize(operation, AclResourceType.TOPIC, resourceName)
        ? null
        : ErrorCode.TOPIC_AUTHORIZATION_FAILED
    case ConfigResourceType.GROUP:
      return ctx.authorize(operation, AclResourceType.GROUP, resourceName)
        ? null
        : ErrorCode.GROUP_AUTHORIZATION_FAILED
    default:
      return ctx.authorize(operation, AclResourceType.CLUSTER, CLUSTER_NAME)
        ? null
        : ErrorCode.CLUSTER_AUTHORIZATION_FAILED
  }
}

/** Splits an alteration's resources into those it may alter and the answers of those it may not. */
export function authorizeAlterations<R extends { resourceType: number; resourceName: string }>(
  ctx: RequestContext,
  operation: number,
  resources: readonly R[]
): {
  allowed: R[]
  denied: { resourceType: number; resourceName: string; errorCode: number; errorMessage: string | null }[]
} {
  const allowed: R[] = []
  const denied = []
  for (const r of resources) {
    const errorCode = configResourceDenial(ctx, operation, r.resourceType, r.resourceName)
    if (errorCode === null) allowed.push(r)
    else
      denied.push({
        resourceType: r.resourceType,
        resourceName: r.resourceName,
        errorCode,
        errorMessage: null
      })
  }
  return { allowed, denied }
}
