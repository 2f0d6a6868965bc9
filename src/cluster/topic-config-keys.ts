import type { ConfigKey } from '../config/config-def.js'
import { parseConfigValue } from '../config/config-def.js'
import { ConfigError } from '../config/config-error.js'
import { TOPIC_CONFIG_DEFS } from '../storage/log-config.js'

/**
 * Topic-level config keys a topic may override, as ConfigDef keys for the controller's validation, so
 * CreateTopics and AlterConfigs reject what Kafka rejects (INVALID_CONFIG). The definitions (types, ranges,
 * Kafka's defaults) belong to the storage layer's TOPIC_CONFIG_DEFS. Defaults are null here: a topic's
 * effective value falls back to the broker's log.* default, which the broker config owns.
 */
export const TOPIC_CONFIG_KEYS: readonly ConfigKey[] = TOPIC_CONFIG_DEFS.map((def) => ({
  name: def.name,
  type: def.type,
  default: null,
  ...(def.min === undefined ? {} : { min: def.min }),
  ...(def.max === undefined ? {} : { max: def.max }),
  ...(def.validValues === undefined ? {} : { validValues: def.validValues })
}))

const BY_NAME: ReadonlyMap<string, ConfigKey> = new Map(TOPIC_CONFIG_KEYS.map((k) => [k.name, k]))

export function topicConfigKey(name: string): ConfigKey | undefined {
  return BY_NAME.get(name)
}

/** Returns why the overrides are not acceptable, or null. A null value (a delete) is checked by name only. */
export function topicConfigsError(configs: Readonly<Record<string, string | null>>): string | null {
  for (const [name, value] of Object.entries(configs)) {
    const key = BY_NAME.get(name)
    if (!key) return `Unknown topic config name: ${name}`
    if (value === null) continue
    try {
      parseConfigValue(key, value)
    } catch (err) {
      if (err instanceof ConfigError) return err.message
      throw err
    }
  }
  return null
}
