/**
 * Per-listener configuration, as Kafka's `listener.name.<listener name>.<key>` (the listener name in lower
 * case). SASL settings may be per mechanism as well: `listener.name.<name>.<mechanism>.sasl.jaas.config`, the
 * mechanism in lower case, and likewise the OAUTHBEARER validation keys and its server callback handler class.
 * A listener without an override uses the broker-wide key.
 */

import { type ConfigKey, type ConfigValue, parseConfigValue } from './config-def.js'
import { QUOTA_LISTENER_PREFIXABLE_KEYS } from './quota-config-keys.js'
import { SASL_OAUTHBEARER_CONFIG_NAMES } from './sasl-oauthbearer-config-keys.js'
import { LISTENER_PREFIXABLE_KEYS } from './security-config-keys.js'

const PREFIX = /^listener\.name\.([^.]+)\.(.+)$/
const MECHANISM_KEY = /^([^.]+)\.(sasl\..+)$/

/** Keys that may carry a mechanism prefix after the listener's: `listener.name.<l>.<mechanism>.<key>`. */
export const MECHANISM_PREFIXABLE_KEYS: ReadonlySet<string> = new Set([
  'sasl.jaas.config',
  ...SASL_OAUTHBEARER_CONFIG_NAMES
])

/** The key without its mechanism prefix, or null when `key` has none. */
export function withoutMechanismPrefix(key: string): string | null {
  const base = MECHANISM_KEY.exec(key)?.[2]
  return base !== undefined && MECHANISM_PREFIXABLE_KEYS.has(base) ? base : null
}

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
  const unprefixed = withoutMechanismPrefix(rest)
  const base = unprefixed ?? rest
  const prefixable =
    LISTENER_PREFIXABLE_KEYS.has(base) ||
    SASL_OAUTHBEARER_CONFIG_NAMES.has(base) ||
    QUOTA_LISTENER_PREFIXABLE_KEYS.has(base)
  if (!prefixable) return null
  const key = keysByName.get(base)
  if (!key) return null
  // Errors name the key as written, so the operator finds the line at fault.
  const value = parseConfigValue({ ...key, name }, raw)
  const mechanism = unprefixed === null ? undefined : MECHANISM_KEY.exec(rest)?.[1]
  return { listener, key: mechanism ? `${mechanism.toLowerCase()}.${base}` : base, value }
}
