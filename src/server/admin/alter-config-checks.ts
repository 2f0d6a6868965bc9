/**
 * Checks AlterConfigs and IncrementalAlterConfigs share before touching any resource (Kafka's
 * ConfigAdminManager.preprocess): each resource at most once, each key at most once per resource, no null
 * values except for deletes.
 */

import { ErrorCode, KafkaError } from '../../protocol/error-codes.js'
import { duplicateNames } from './config-resource.js'

interface NamedResource {
  readonly resourceType: number
  readonly resourceName: string
}

/** The resources that appear more than once; every occurrence of them fails with INVALID_REQUEST. */
export function duplicateResources(resources: readonly NamedResource[]): Set<string> {
  return new Set(duplicateNames(resources.map(resourceKey)))
}

export function resourceKey(r: NamedResource): string {
  return `${r.resourceType}:${r.resourceName}`
}

export const DUPLICATE_RESOURCE_MESSAGE = 'Each resource must appear at most once.'

export function checkConfigKeys(
  configs: readonly { readonly name: string; readonly value: string | null }[],
  nullAllowed: (index: number) => boolean
): void {
  if (duplicateNames(configs.map((c) => c.name)).length > 0) {
    throw new KafkaError(ErrorCode.INVALID_REQUEST, 'Error due to duplicate config keys')
  }
  const nulls = configs.filter((c, i) => c.value === null && !nullAllowed(i)).map((c) => c.name)
  if (nulls.length > 0) {
    throw new KafkaError(ErrorCode.INVALID_REQUEST, `Null value not supported for : ${nulls.join(', ')}`)
  }
}
