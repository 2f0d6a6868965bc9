import type { TopicConfigs } from '../../cluster/metadata-store.js'
import type { KafkaConfig } from '../../config/kafka-config.js'
import { type ConfigValue, LogConfig } from '../../storage/log-config.js'

/** Kafka's broker-level synonyms of the topic-level log settings (KafkaConfig's log.* defaults). */
const BROKER_SYNONYMS: ReadonlyArray<readonly [topicKey: string, brokerKey: string]> = [
  ['segment.bytes', 'log.segment.bytes'],
  ['retention.bytes', 'log.retention.bytes'],
  ['cleanup.policy', 'log.cleanup.policy'],
  ['flush.messages', 'log.flush.interval.messages'],
  ['max.message.bytes', 'message.max.bytes'],
  ['min.insync.replicas', 'min.insync.replicas'],
  ['unclean.leader.election.enable', 'unclean.leader.election.enable'],
  ['compression.type', 'compression.type'],
  ['index.interval.bytes', 'log.index.interval.bytes'],
  ['segment.index.bytes', 'log.index.size.max.bytes'],
  ['message.timestamp.type', 'log.message.timestamp.type'],
  ['preallocate', 'log.preallocate'],
  ['delete.retention.ms', 'log.cleaner.delete.retention.ms'],
  ['min.compaction.lag.ms', 'log.cleaner.min.compaction.lag.ms'],
  ['max.compaction.lag.ms', 'log.cleaner.max.compaction.lag.ms'],
  ['min.cleanable.dirty.ratio', 'log.cleaner.min.cleanable.ratio'],
  ['file.delete.delay.ms', 'log.segment.delete.delay.ms']
]

/** Numbers at or beyond 2^53 are Kafka's Long.MAX_VALUE ("never") as the broker config stores it. */
function asLogValue(v: ConfigValue): ConfigValue | undefined {
  if (v === null || v === undefined) return undefined
  if (typeof v === 'number' && v >= Number.MAX_SAFE_INTEGER) return '9223372036854775807'
  return v as ConfigValue
}

/** The topic-level defaults implied by the broker's configuration. */
export function brokerLogConfig(config: KafkaConfig): LogConfig {
  const props: Record<string, ConfigValue> = {}
  for (const [topicKey, brokerKey] of BROKER_SYNONYMS) {
    const v = asLogValue(config.get(brokerKey) as ConfigValue)
    if (v !== undefined) props[topicKey] = v
  }
  props['segment.ms'] = asLogValue(config.logRollMs) ?? config.logRollMs
  props['retention.ms'] = asLogValue(config.logRetentionMs) ?? config.logRetentionMs
  props['flush.ms'] = asLogValue(config.logFlushIntervalMs) ?? config.logFlushIntervalMs
  return new LogConfig(props)
}

/** A topic's effective config: its overrides (only the log settings) over the broker defaults. */
export function topicLogConfig(defaults: LogConfig, overrides: TopicConfigs): LogConfig {
  const known = new Set(LogConfig.names)
  const props: Record<string, string> = {}
  for (const [k, v] of Object.entries(overrides)) if (known.has(k)) props[k] = v
  return Object.keys(props).length === 0 ? defaults : new LogConfig(props, defaults)
}
