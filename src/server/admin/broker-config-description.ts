/**
 * The broker's own configs as DescribeConfigs reports them for a BROKER resource naming this node: every
 * key Samsa knows, set statically (server.properties or --override: STATIC_BROKER_CONFIG) or by default
 * (DEFAULT_CONFIG). Samsa has no dynamic broker configs, so every entry is read-only.
 */

import { BROKER_CONFIG_KEYS } from '../../config/broker-config-keys.js'
import type { KafkaConfig } from '../../config/kafka-config.js'
import { ConfigSource, configTypeId } from './config-resource.js'
import type { ConfigDescription, ConfigSynonym } from './topic-config-description.js'

/** Keys that stand for one setting in several units (Kafka's DynamicBrokerConfig.brokerConfigSynonyms). */
const SYNONYM_GROUPS: readonly (readonly string[])[] = [
  ['log.roll.ms', 'log.roll.hours'],
  ['log.flush.interval.ms', 'log.flush.scheduler.interval.ms'],
  ['log.retention.ms', 'log.retention.minutes', 'log.retention.hours']
]

const DEFAULTS: ReadonlyMap<string, string | null> = new Map(
  BROKER_CONFIG_KEYS.map((k) => [k.name, k.default])
)

function synonymsOf(config: KafkaConfig, name: string, sensitive: boolean): ConfigSynonym[] {
  const group = SYNONYM_GROUPS.find((g) => g.includes(name)) ?? [name]
  const found: ConfigSynonym[] = []
  const shown = (v: string): string | null => (sensitive ? null : v)
  for (const n of group) {
    const raw = config.originals.get(n)
    if (raw !== undefined)
      found.push({ name: n, value: shown(raw.trim()), source: ConfigSource.STATIC_BROKER_CONFIG })
  }
  for (const n of group) {
    const def = DEFAULTS.get(n)
    if (def !== null && def !== undefined)
      found.push({ name: n, value: shown(def), source: ConfigSource.DEFAULT_CONFIG })
  }
  // Kafka starts the chain at the described key: describing log.retention.hours does not list log.retention.ms.
  const start = found.findIndex((s) => s.name === name)
  return start < 0 ? [] : found.slice(start)
}

export function describeBrokerConfigs(config: KafkaConfig, names?: ReadonlySet<string>): ConfigDescription[] {
  const out: ConfigDescription[] = []
  for (const key of BROKER_CONFIG_KEYS) {
    if (names && !names.has(key.name)) continue
    const sensitive = key.type === 'password'
    const raw = config.originals.get(key.name)?.trim() ?? key.default
    const synonyms = synonymsOf(config, key.name, sensitive)
    out.push({
      name: key.name,
      value: sensitive ? null : raw,
      source: synonyms[0]?.source ?? ConfigSource.DEFAULT_CONFIG,
      readOnly: true,
      isSensitive: sensitive,
      configType: configTypeId(key.type),
      synonyms
    })
  }
  return out
}
