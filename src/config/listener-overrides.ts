/**
 * Per-listener configuration, as Kafka's `listener.name.<listener name>.<key>` (the listener name in lower
 * case). SASL login settings are per mechanism as well: `listener.name.<name>.<mechanism>.sasl.jaas.config`,
 * the mechanism in lower case. A listener without an override uses the broker-wide key.
 */

import { type ConfigKey, type ConfigValue, parseConfigValue } from './config-def.js'
import { LISTENER_PREFIXABLE_KEYS } from './security-config-keys.js'

const PREFIX = /^listener\.name\.([^.]+)\.(.+)$/
const MECHANISM_KEY = /^([^.]+)\.(sasl\.jaas\.config)$/

export interface ListenerOverride {
  /** Lower-case listener name. */
  readonly listener: string
  /** The key's name without the listener prefix (a mechanism prefix is kept: `plain.sasl.jaas.config`). */
  readonly key: string
  readonly value: ConfigValue
}

/**
 * Parses one `listener.name.*` pair, validated as the key it overrides; null when the name is not a
 * listener override Samsa knows (the caller reports it as unknown).
 */
export function parseListenerOverride(
  name: string,
  raw: string,
  keysByName: ReadonlyMap<string, ConfigKey>
): ListenerOverride | null {
  const m = PREFIX.exec(name)
  if (!m) return null
  const listener = m[1]!.toLowerCase()
  const rest = m[2]!
  const base = MECHANISM_KEY.exec(rest)?.[2] ?? rest
  if (!LISTENER_PREFIXABLE_KEYS.has(base)) return null
  const key = keysByName.get(base)
  if (!key) return null
  // Errors name the key as written, so the operator finds the line at fault.
  const value = parseConfigValue({ ...key, name }, raw)
  const mechanism = MECHANISM_KEY.exec(rest)?.[1]
  return { listener, key: mechanism ? `${mechanism.toLowerCase()}.${base}` : base, value }
}
