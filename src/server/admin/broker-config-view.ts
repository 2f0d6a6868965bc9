/**
 * The broker's configuration as DescribeConfigs sees it: where each broker-level value comes from, in Kafka's
 * precedence order (DynamicBrokerConfig): a dynamic value for this broker (DYNAMIC_BROKER_CONFIG), the
 * dynamic cluster-wide default (DYNAMIC_DEFAULT_BROKER_CONFIG), server.properties or an --override
 * (STATIC_BROKER_CONFIG), Kafka's default (DEFAULT_CONFIG).
 */

import { BROKER_CONFIG_KEYS } from '../../config/broker-config-keys.js'
import { DYNAMIC_BROKER_KEYS } from '../../config/dynamic-broker-config-keys.js'
import type { KafkaConfig } from '../../config/kafka-config.js'
import { ConfigSource } from './config-resource.js'

export interface BrokerConfigView {
  /** server.properties and overrides, as the broker started with them. */
  readonly staticConfig: KafkaConfig
  /** Everything applied: static, then the cluster-wide default, then this broker's dynamic values. */
  readonly effective: KafkaConfig
  readonly perBroker: ReadonlyMap<string, string>
  readonly clusterDefault: ReadonlyMap<string, string>
}

/** A broker without dynamic configs. */
export function staticView(config: KafkaConfig): BrokerConfigView {
  return { staticConfig: config, effective: config, perBroker: new Map(), clusterDefault: new Map() }
}

const DEFAULTS: ReadonlyMap<string, string | null> = new Map([
  ...[...DYNAMIC_BROKER_KEYS.values()].map((k) => [k.name, k.default] as const),
  ...BROKER_CONFIG_KEYS.map((k) => [k.name, k.default] as const)
])

/** Kafka's default of a broker key, or null. */
export function brokerKeyDefault(name: string): string | null {
  return DEFAULTS.get(name) ?? null
}

export interface SourcedValue {
  readonly name: string
  readonly value: string
  readonly source: number
}

/**
 * Every value set for `names` (synonyms of one setting, in their own precedence order), highest source
 * first and, within a source, in the order of `names`: what DescribeConfigs lists as synonyms.
 */
export function sourcedValues(view: BrokerConfigView, names: readonly string[]): SourcedValue[] {
  const layers: readonly [ReadonlyMap<string, string>, number][] = [
    [view.perBroker, ConfigSource.DYNAMIC_BROKER_CONFIG],
    [view.clusterDefault, ConfigSource.DYNAMIC_DEFAULT_BROKER_CONFIG],
    [view.staticConfig.originals, ConfigSource.STATIC_BROKER_CONFIG]
  ]
  const found: SourcedValue[] = []
  for (const [layer, source] of layers) {
    for (const name of names) {
      const raw = layer.get(name)
      if (raw !== undefined) found.push({ name, value: raw.trim(), source })
    }
  }
  for (const name of names) {
    const def = DEFAULTS.get(name)
    if (def !== null && def !== undefined)
      found.push({ name, value: def, source: ConfigSource.DEFAULT_CONFIG })
  }
  return found
}
