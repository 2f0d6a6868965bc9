/**
 * The enums of the config APIs (DescribeConfigs, AlterConfigs, IncrementalAlterConfigs, CreateTopics v5+),
 * with Kafka's ids: ConfigResource.Type, DescribeConfigsResponse.ConfigSource and ConfigType, AlterConfigOp.
 */

import type { ConfigType as KeyType } from '../../config/config-def.js'
import { ErrorCode, KafkaError } from '../../protocol/error-codes.js'

export const ResourceType = { TOPIC: 2, BROKER: 4, BROKER_LOGGER: 8, CLIENT_METRICS: 16, GROUP: 32 } as const

export const ConfigSource = {
  UNKNOWN: 0,
  DYNAMIC_TOPIC_CONFIG: 1,
  DYNAMIC_BROKER_CONFIG: 2,
  DYNAMIC_DEFAULT_BROKER_CONFIG: 3,
  STATIC_BROKER_CONFIG: 4,
  DEFAULT_CONFIG: 5
} as const

export const AlterConfigOp = { SET: 0, DELETE: 1, APPEND: 2, SUBTRACT: 3 } as const

const CONFIG_TYPE_IDS: Readonly<Record<KeyType, number>> = {
  boolean: 1,
  string: 2,
  int: 3,
  short: 4,
  long: 5,
  double: 6,
  list: 7,
  password: 9
}

/** DescribeConfigs v3+ configType; 0 (UNKNOWN) when the key's type is not known. */
export function configTypeId(type: KeyType | undefined): number {
  return type === undefined ? 0 : CONFIG_TYPE_IDS[type]
}

/** A BROKER resource names this broker by its node id (or is empty: the cluster-wide defaults). */
export function checkBrokerResourceName(resourceName: string, nodeId: number): void {
  if (resourceName === '') return
  if (!/^-?\d+$/.test(resourceName)) {
    throw new KafkaError(
      ErrorCode.INVALID_REQUEST,
      `Broker id must be an integer, but it is: ${resourceName}`
    )
  }
  if (Number(resourceName) !== nodeId) {
    throw new KafkaError(
      ErrorCode.INVALID_REQUEST,
      `Unexpected broker id, expected ${nodeId} or empty string, but received ${resourceName}`
    )
  }
}

/** The keys named more than once, in first-seen order. */
export function duplicateNames(names: Iterable<string>): string[] {
  const seen = new Set<string>()
  const duplicates = new Set<string>()
  for (const n of names) {
    if (seen.has(n)) duplicates.add(n)
    seen.add(n)
  }
  return [...duplicates]
}
