/**
 * AlterConfigs and IncrementalAlterConfigs on the resources whose configs live in the MetadataStore's
 * dynamic configs rather than in topic overrides: BROKER (KIP-226), GROUP and CLIENT_METRICS. A BROKER
 * resource is checked and applied by the broker it names (the empty name, the cluster-wide default, by any
 * broker; the others follow the store). As Kafka's ConfigAdminManager does, a refused broker config fails
 * with INVALID_REQUEST (KAFKA-13609 keeps that code), a refused group or client-metrics config with
 * INVALID_CONFIG.
 */

import type { DynamicConfigRecordStore } from '../../cluster/metadata-store.js'
import { ConfigError } from '../../config/config-error.js'
import { dynamicBrokerKey } from '../../config/dynamic-broker-config-keys.js'
import { ErrorCode, KafkaError } from '../../protocol/error-codes.js'
import { brokerKeyDefault } from './broker-config-view.js'
import { checkBrokerResourceName, ResourceType } from './config-resource.js'
import type { DynamicBrokerConfig } from './dynamic-broker-config.js'
import { isListKey, keyDefault, validateGroupOrClientMetricsConfigs } from './group-config-resources.js'

/** What the flow needs for these resources; absent on a broker without a metadata store (unit tests). */
export interface DynamicConfigServices {
  readonly dynamicConfig: DynamicBrokerConfig
  readonly store: DynamicConfigRecordStore
}

/** How the key of a resource type is described to APPEND/SUBTRACT. */
export interface KeyTypes {
  isList(name: string): boolean
  defaultOf(name: string): string | null
}

export function keyTypesOf(resourceType: number): KeyTypes {
  if (resourceType === ResourceType.BROKER) {
    return {
      isList: (name) => dynamicBrokerKey(name)?.type === 'list',
      defaultOf: (name) => brokerKeyDefault(dynamicBrokerKey(name)?.name ?? name)
    }
  }
  return {
    isList: (name) => isListKey(resourceType, name),
    defaultOf: (name) => keyDefault(resourceType, name)
  }
}

export function isDynamicConfigResource(resourceType: number): boolean {
  return (
    resourceType === ResourceType.BROKER ||
    resourceType === ResourceType.GROUP ||
    resourceType === ResourceType.CLIENT_METRICS
  )
}

function asInvalidRequest(err: unknown): unknown {
  return err instanceof ConfigError ? new KafkaError(ErrorCode.INVALID_REQUEST, err.message) : err
}

/**
 * Alters one BROKER, GROUP or CLIENT_METRICS resource: the changes `changesFor` gives (null: remove) for its
 * current configs. `nodeId` is this broker's.
 */
export async function alterDynamicConfigResource(
  services: DynamicConfigServices | undefined,
  nodeId: number,
  resourceType: number,
  resourceName: string,
  changesFor: (current: Readonly<Record<string, string>>) => Readonly<Record<string, string | null>>,
  validateOnly: boolean
): Promise<void> {
  if (resourceType === ResourceType.BROKER) checkBrokerResourceName(resourceName, nodeId)
  if (services === undefined) {
    throw new KafkaError(ErrorCode.INVALID_REQUEST, 'Dynamic configs need the metadata store')
  }
  const current =
    resourceType === ResourceType.BROKER
      ? Object.fromEntries(services.dynamicConfig.layer(resourceName))
      : await storedConfigs(services.store, resourceType, resourceName)
  const changes = changesFor(current)
  const next: Record<string, string> = { ...current }
  for (const [k, v] of Object.entries(changes)) {
    if (v === null) delete next[k]
    else next[k] = v
  }
  const touched = Object.keys(changes)
  if (resourceType === ResourceType.BROKER) {
    try {
      services.dynamicConfig.validate(resourceName, new Map(Object.entries(next)), touched)
    } catch (err) {
      throw asInvalidRequest(err)
    }
  } else {
    validateGroupOrClientMetricsConfigs(resourceType, resourceName, next)
  }
  if (validateOnly) return
  const stored = await services.store.alterDynamicConfigs(resourceType, resourceName, changes, false)
  if (resourceType === ResourceType.BROKER) {
    services.dynamicConfig.applyStored(resourceName, new Map(Object.entries(stored)), touched)
  }
}

async function storedConfigs(
  store: DynamicConfigRecordStore,
  resourceType: number,
  resourceName: string
): Promise<Readonly<Record<string, string>>> {
  const image = await store.dynamicConfigs()
  const found = image.resources.find(
    (r) => r.resourceType === resourceType && r.resourceName === resourceName
  )
  return found?.configs ?? {}
}
