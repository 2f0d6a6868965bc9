/**
 * Which broker configs may change at run time (KIP-226), following Kafka's DynamicBrokerConfig: the broker
 * defaults of the topic-level log settings, thread pools, the log cleaner, replication throttles, connection
 * limits, and, per listener and per broker only, the TLS keystore and truststore. Every other broker key is
 * static: an AlterConfigs naming it is refused. A dynamic value is set for one broker (the resource names its
 * node id) or as the cluster-wide default (the empty name); per-broker values win over the default, which
 * wins over server.properties.
 */

import { BROKER_CONFIG_KEYS } from './broker-config-keys.js'
import { type ConfigKey, parseConfigValue } from './config-def.js'
import { ConfigError } from './config-error.js'

/** Broker synonyms of the topic-level log settings (Kafka's DynamicLogConfig reconfigurable set). */
const LOG_DEFAULT_KEYS = [
  'log.segment.bytes',
  'log.roll.ms',
  'log.roll.hours',
  'log.roll.jitter.ms',
  'log.roll.jitter.hours',
  'log.index.size.max.bytes',
  'log.flush.interval.messages',
  'log.flush.interval.ms',
  'log.flush.scheduler.interval.ms',
  'log.retention.bytes',
  'log.retention.ms',
  'log.retention.minutes',
  'log.retention.hours',
  'message.max.bytes',
  'log.index.interval.bytes',
  'log.cleaner.delete.retention.ms',
  'log.cleaner.min.compaction.lag.ms',
  'log.cleaner.max.compaction.lag.ms',
  'log.segment.delete.delay.ms',
  'log.cleaner.min.cleanable.ratio',
  'log.cleanup.policy',
  'unclean.leader.election.enable',
  'min.insync.replicas',
  'compression.type',
  'compression.gzip.level',
  'compression.lz4.level',
  'compression.zstd.level',
  'log.preallocate',
  'log.message.timestamp.type',
  'log.message.timestamp.before.max.ms',
  'log.message.timestamp.after.max.ms',
  'log.message.downconversion.enable',
  'log.local.retention.ms',
  'log.local.retention.bytes'
]

/** Thread pools, the cleaner, replication quotas and connection quotas. */
const OTHER_DYNAMIC_KEYS = [
  'num.io.threads',
  'num.network.threads',
  'num.replica.fetchers',
  'num.recovery.threads.per.data.dir',
  'background.threads',
  'log.cleaner.threads',
  'log.cleaner.dedupe.buffer.size',
  'log.cleaner.io.buffer.load.factor',
  'log.cleaner.io.buffer.size',
  'log.cleaner.io.max.bytes.per.second',
  'log.cleaner.backoff.ms',
  'leader.replication.throttled.rate',
  'follower.replication.throttled.rate',
  'replica.alter.log.dirs.io.max.bytes.per.second',
  'max.connections',
  'max.connections.per.ip',
  'max.connections.per.ip.overrides',
  'max.connection.creation.rate'
]

/** The TLS keys a listener may reload (Kafka's SslConfigs.RECONFIGURABLE_CONFIGS), only listener-prefixed. */
export const RECONFIGURABLE_SSL_KEYS: ReadonlySet<string> = new Set([
  'ssl.keystore.type',
  'ssl.keystore.location',
  'ssl.keystore.password',
  'ssl.key.password',
  'ssl.keystore.key',
  'ssl.keystore.certificate.chain',
  'ssl.truststore.type',
  'ssl.truststore.location',
  'ssl.truststore.password',
  'ssl.truststore.certificates'
])

/** Dynamic keys Samsa's static configuration does not define; Kafka's types, ranges and defaults. */
const EXTRA_KEYS: readonly ConfigKey[] = [
  { name: 'num.replica.fetchers', type: 'int', default: '1', min: 1 },
  { name: 'log.cleaner.dedupe.buffer.size', type: 'long', default: '134217728' },
  { name: 'log.cleaner.io.buffer.load.factor', type: 'double', default: '0.9' },
  { name: 'log.cleaner.io.buffer.size', type: 'int', default: '524288', min: 0 },
  { name: 'log.cleaner.io.max.bytes.per.second', type: 'double', default: '1.7976931348623157E308' },
  {
    name: 'replica.alter.log.dirs.io.max.bytes.per.second',
    type: 'long',
    default: '9223372036854775807',
    min: 1
  },
  { name: 'max.connections', type: 'int', default: '2147483647', min: 0 },
  { name: 'max.connections.per.ip', type: 'int', default: '2147483647', min: 0 },
  { name: 'max.connections.per.ip.overrides', type: 'string', default: '' },
  { name: 'max.connection.creation.rate', type: 'int', default: '2147483647', min: 0 },
  { name: 'log.roll.jitter.ms', type: 'long', default: null },
  { name: 'log.roll.jitter.hours', type: 'int', default: '0', min: 0 },
  { name: 'log.message.downconversion.enable', type: 'boolean', default: 'true' },
  { name: 'compression.gzip.level', type: 'int', default: '-1', min: -1, max: 9 },
  { name: 'compression.lz4.level', type: 'int', default: '9', min: 1, max: 17 },
  { name: 'compression.zstd.level', type: 'int', default: '3', min: -131072, max: 22 },
  { name: 'log.local.retention.ms', type: 'long', default: '-2', min: -2 },
  { name: 'log.local.retention.bytes', type: 'long', default: '-2', min: -2 },
  { name: 'log.message.timestamp.before.max.ms', type: 'long', default: '9223372036854775807', min: 0 },
  { name: 'log.message.timestamp.after.max.ms', type: 'long', default: '9223372036854775807', min: 0 }
]

const STATIC_KEYS: ReadonlyMap<string, ConfigKey> = new Map(BROKER_CONFIG_KEYS.map((k) => [k.name, k]))

/** The definition of every dynamic key that is not listener-prefixed. */
export const DYNAMIC_BROKER_KEYS: ReadonlyMap<string, ConfigKey> = new Map(
  [...LOG_DEFAULT_KEYS, ...OTHER_DYNAMIC_KEYS].flatMap((name) => {
    const key = STATIC_KEYS.get(name) ?? EXTRA_KEYS.find((k) => k.name === name)
    return key ? [[name, key] as const] : []
  })
)

const LISTENER_KEY = /^listener\.name\.([^.]+)\.(.+)$/

/** A listener-prefixed reconfigurable TLS key: its listener (lower case) and key, else null. */
export function listenerSslKey(name: string): { listener: string; key: string } | null {
  const m = LISTENER_KEY.exec(name)
  if (!m || !RECONFIGURABLE_SSL_KEYS.has(m[2]!)) return null
  return { listener: m[1]!, key: m[2]! }
}

/** The definition a dynamic key is validated with, or undefined when the key is not dynamic. */
export function dynamicBrokerKey(name: string): ConfigKey | undefined {
  const own = DYNAMIC_BROKER_KEYS.get(name)
  if (own) return own
  const ssl = listenerSslKey(name)
  const base = ssl ? STATIC_KEYS.get(ssl.key) : undefined
  return base && { ...base, name }
}

/** Whether a key may be set only for one broker, not as the cluster-wide default (Kafka's PerBrokerConfigs). */
export function isPerBrokerOnly(name: string): boolean {
  return listenerSslKey(name) !== null
}

/** Scala's rendering of a set, which Kafka's messages quote. */
const scalaSet = (names: readonly string[]): string => `Set(${names.join(', ')})`

/**
 * Kafka's DynamicBrokerConfig.validateConfigs: static keys, TLS keys without a listener prefix, per-broker
 * keys at the default level, then each value against its type. Throws ConfigError with Kafka's messages.
 */
export function validateDynamicBrokerConfigs(props: ReadonlyMap<string, string>, perBroker: boolean): void {
  const names = [...props.keys()]
  const unprefixedSsl = names.filter((n) => RECONFIGURABLE_SSL_KEYS.has(n))
  const nonDynamic = names.filter((n) => dynamicBrokerKey(n) === undefined && !unprefixedSsl.includes(n))
  if (nonDynamic.length > 0) {
    throw new ConfigError(`Cannot update these configs dynamically: ${scalaSet(nonDynamic)}`)
  }
  if (unprefixedSsl.length > 0) {
    throw new ConfigError(
      `These security configs can be dynamically updated only per-listener using the listener prefix: ${scalaSet(unprefixedSsl)}`
    )
  }
  const perBrokerOnly = names.filter(isPerBrokerOnly)
  if (!perBroker && perBrokerOnly.length > 0) {
    throw new ConfigError(
      `Cannot update these configs at default cluster level, broker id must be specified: ${scalaSet(perBrokerOnly)}`
    )
  }
  for (const [name, value] of props) parseConfigValue(dynamicBrokerKey(name)!, value)
}
