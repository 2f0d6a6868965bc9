/**
 * Typed definitions of broker configuration keys, in the style of Kafka's ConfigDef: each key has a type, a
 * default (written as the string a properties file would contain, so defaults go through the same parser)
 * and an optional range or set of allowed values.
 */

import { ConfigError } from './config-error.js'

export type ConfigType = 'int' | 'short' | 'long' | 'double' | 'boolean' | 'string' | 'list' | 'password'

export type ConfigValue = number | boolean | string | string[] | null

export interface ConfigKey {
  readonly name: string
  readonly type: ConfigType
  /** null: no default, the key is unset unless configured. */
  readonly default: string | null
  readonly min?: number
  readonly max?: number
  /** Allowed values for string keys, or for each element of list keys. */
  readonly validValues?: readonly string[]
  /** Accepted for compatibility with Kafka's server.properties, but has no effect in Samsa. */
  readonly ignored?: boolean
  /**
   * Changeable at run time (AlterConfigs on the broker resource). Samsa has no dynamic broker configs yet,
   * so no key sets it; docs/configuration.md reports it.
   */
  readonly dynamic?: boolean
}

const INT_RANGE = { int: [-(2 ** 31), 2 ** 31 - 1], short: [-(2 ** 15), 2 ** 15 - 1] } as const
const LONG_MAX = 9223372036854775807n
const LONG_MIN = -9223372036854775808n

function numberKind(type: ConfigType): string {
  return type === 'double' ? 'a number' : 'an integer'
}

function rangeReason(key: ConfigKey): string {
  const kind = numberKind(key.type)
  if (key.min !== undefined && key.max !== undefined)
    return `must be ${kind} between ${key.min} and ${key.max}`
  if (key.min !== undefined) return `must be ${kind} >= ${key.min}`
  if (key.max !== undefined) return `must be ${kind} <= ${key.max}`
  return `must be ${kind}`
}

function parseInteger(key: ConfigKey, raw: string): number {
  const fail = () => ConfigError.invalidValue(key.name, raw, rangeReason(key))
  if (!/^[+-]?\d+$/.test(raw)) throw fail()
  const big = BigInt(raw)
  if (key.type === 'long') {
    if (big > LONG_MAX || big < LONG_MIN) throw fail()
    // Kafka uses Long.MAX_VALUE for "never"; beyond 2^53 the exact value is irrelevant, so clamp.
    if (big > BigInt(Number.MAX_SAFE_INTEGER)) return Number.MAX_SAFE_INTEGER
    if (big < BigInt(Number.MIN_SAFE_INTEGER)) return Number.MIN_SAFE_INTEGER
    return Number(big)
  }
  const [lo, hi] = INT_RANGE[key.type === 'short' ? 'short' : 'int']
  if (big < BigInt(lo) || big > BigInt(hi)) throw fail()
  return Number(big)
}

function checkRange(key: ConfigKey, raw: string, n: number): number {
  if ((key.min !== undefined && n < key.min) || (key.max !== undefined && n > key.max)) {
    throw ConfigError.invalidValue(key.name, raw, rangeReason(key))
  }
  return n
}

/** Parses and validates one raw value; throws ConfigError naming the key, the value and what is allowed. */
export function parseConfigValue(key: ConfigKey, rawValue: string): ConfigValue {
  const raw = rawValue.trim()
  switch (key.type) {
    case 'int':
    case 'short':
    case 'long':
      return checkRange(key, raw, parseInteger(key, raw))
    case 'double': {
      const n = raw === '' ? Number.NaN : Number(raw)
      if (!Number.isFinite(n)) throw ConfigError.invalidValue(key.name, raw, rangeReason(key))
      return checkRange(key, raw, n)
    }
    case 'boolean': {
      const lower = raw.toLowerCase()
      if (lower === 'true') return true
      if (lower === 'false') return false
      throw ConfigError.invalidValue(key.name, raw, 'must be true or false')
    }
    case 'list': {
      const items = raw
        .split(',')
        .map((s) => s.trim())
        .filter((s) => s !== '')
      const allowed = key.validValues
      if (allowed) {
        for (const item of items) {
          if (!allowed.includes(item)) {
            throw ConfigError.invalidValue(key.name, raw, `each item must be one of [${allowed.join(', ')}]`)
          }
        }
      }
      return items
    }
    case 'string':
    case 'password': {
      const allowed = key.validValues
      if (allowed && !allowed.includes(raw)) {
        throw ConfigError.invalidValue(key.name, raw, `must be one of [${allowed.join(', ')}]`)
      }
      return raw
    }
  }
}
