/**
 * The broker's own configs as DescribeConfigs reports them for a BROKER resource. Naming this node: every key
 * Samsa knows plus the listener-prefixed ones set dynamically, each with its value and source (see
 * broker-config-view.ts); keys that may change at run time (KIP-226) are not read-only. The empty name (the
 * cluster-wide default): only the dynamic defaults that are set, as Kafka answers it.
 */

import { BROKER_CONFIG_KEYS } from '../../config/broker-config-keys.js'
import type { ConfigKey } from '../../config/config-def.js'
import { DYNAMIC_BROKER_KEYS, dynamicBrokerKey } from '../../config/dynamic-broker-config-keys.js'
import { type BrokerConfigView, sourcedValues } from './broker-config-view.js'
import { ConfigSource, configTypeId } from './config-resource.js'
import type { ConfigDescription, ConfigSynonym } from './topic-config-description.js'

/** Keys that stand for one setting in several units (Kafka's DynamicBrokerConfig.brokerConfigSynonyms). */
const SYNONYM_GROUPS: readonly (readonly string[])[] = [
  ['log.roll.ms', 'log.roll.hours'],
  ['log.roll.jitter.ms', 'log.roll.jitter.hours'],
  ['log.flush.interval.ms', 'log.flush.scheduler.interval.ms'],
  ['log.retention.ms', 'log.retention.minutes', 'log.retention.hours']
]

function synonymsOf(view: BrokerConfigView, name: string, sensitive: boolean): ConfigSynonym[] {
  const group = SYNONYM_GROUPS.find((g) => g.includes(name)) ?? [name]
  const found = sourcedValues(view, group).map((s) => ({ ...s, value: sensitive ? null : s.value }))
  // Kafka starts the chain at the described key: describing log.retention.hours does not list log.retention.ms.
  const start = found.findIndex((s) => s.name === name)
  return start < 0 ? [] : found.slice(start)
}

function describeKey(view: BrokerConfigView, key: ConfigKey): ConfigDescription {
  const sensitive = key.type === 'password'
  const synonyms = synonymsOf(view, key.name, sensitive)
  const own = synonyms[0]?.name === key.name ? synonyms[0] : undefined
  return {
    name: key.name,
    value: sensitive ? null : (own?.value ?? key.default),
    source: synonyms[0]?.source ?? ConfigSource.DEFAULT_CONFIG,
    readOnly: dynamicBrokerKey(key.name) === undefined,
    isSensitive: sensitive,
    configType: configTypeId(key.type),
    synonyms
  }
}

/** The keys a BROKER resource describes: the static ones, the dynamic-only ones, listener-prefixed ones set. */
function describedKeys(view: BrokerConfigView): ConfigKey[] {
  const keys = new Map<string, ConfigKey>(BROKER_CONFIG_KEYS.map((k) => [k.name, k]))
  for (const k of DYNAMIC_BROKER_KEYS.values()) if (!keys.has(k.name)) keys.set(k.name, k)
  for (const name of [...view.perBroker.keys(), ...view.clusterDefault.keys()]) {
    const k = dynamicBrokerKey(name)
    if (k && !keys.has(name)) keys.set(name, k)
  }
  return [...keys.values()]
}

export function describeBrokerConfigs(
  view: BrokerConfigView,
  names?: ReadonlySet<string>
): ConfigDescription[] {
  return describedKeys(view)
    .filter((k) => !names || names.has(k.name))
    .map((k) => describeKey(view, k))
}

/** The cluster-wide default resource: each dynamic default that is set, as its only synonym. */
export function describeDefaultBrokerConfigs(
  view: BrokerConfigView,
  names?: ReadonlySet<string>
): ConfigDescription[] {
  const out: ConfigDescription[] = []
  for (const [name, raw] of view.clusterDefault) {
    if (names && !names.has(name)) continue
    const key = dynamicBrokerKey(name)
    const sensitive = key?.type === 'password'
    const value = sensitive ? null : raw
    const source = ConfigSource.DYNAMIC_DEFAULT_BROKER_CONFIG
    out.push({
      name,
      value,
      source,
      readOnly: false,
      isSensitive: sensitive,
      configType: configTypeId(key?.type),
      synonyms: [{ name, value, source }]
    })
  }
  return out
}
