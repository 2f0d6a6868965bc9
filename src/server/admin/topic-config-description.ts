/**
 * A topic's configs as DescribeConfigs (and CreateTopics v5+) report them: every topic-level key with its
 * effective value and where that value comes from, following Kafka's ConfigHelper: the topic's override
 * (DYNAMIC_TOPIC_CONFIG), else the broker setting it inherits (a dynamic one, DYNAMIC_BROKER_CONFIG or
 * DYNAMIC_DEFAULT_BROKER_CONFIG; STATIC_BROKER_CONFIG when server.properties or an --override set it),
 * else the broker default (DEFAULT_CONFIG).
 */

import type { TopicConfigs } from '../../cluster/metadata-store.js'
import type { KafkaConfig } from '../../config/kafka-config.js'
import { TOPIC_CONFIG_DEFS, topicConfigDef } from '../../storage/log-config.js'
import { type BrokerConfigView, sourcedValues, staticView } from './broker-config-view.js'
import { brokerLogConfig, topicLogConfig } from './broker-log-config.js'
import { ConfigSource, configTypeId } from './config-resource.js'

export interface ConfigSynonym {
  readonly name: string
  readonly value: string | null
  readonly source: number
}

export interface ConfigDescription {
  readonly name: string
  readonly value: string | null
  readonly source: number
  readonly readOnly: boolean
  readonly isSensitive: boolean
  readonly configType: number
  /** Highest precedence first; the first one is where the value comes from. */
  readonly synonyms: readonly ConfigSynonym[]
}

/**
 * The broker settings each topic key inherits (Kafka's ServerTopicConfigSynonyms), in precedence order;
 * the first one is the key's own broker-level name.
 */
const BROKER_SYNONYMS: Readonly<Record<string, readonly string[]>> = {
  'segment.bytes': ['log.segment.bytes'],
  'segment.ms': ['log.roll.ms', 'log.roll.hours'],
  'segment.jitter.ms': ['log.roll.jitter.ms', 'log.roll.jitter.hours'],
  'segment.index.bytes': ['log.index.size.max.bytes'],
  'flush.messages': ['log.flush.interval.messages'],
  'flush.ms': ['log.flush.interval.ms', 'log.flush.scheduler.interval.ms'],
  'retention.bytes': ['log.retention.bytes'],
  'retention.ms': ['log.retention.ms', 'log.retention.minutes', 'log.retention.hours'],
  'max.message.bytes': ['message.max.bytes'],
  'index.interval.bytes': ['log.index.interval.bytes'],
  'delete.retention.ms': ['log.cleaner.delete.retention.ms'],
  'min.compaction.lag.ms': ['log.cleaner.min.compaction.lag.ms'],
  'max.compaction.lag.ms': ['log.cleaner.max.compaction.lag.ms'],
  'file.delete.delay.ms': ['log.segment.delete.delay.ms'],
  'min.cleanable.dirty.ratio': ['log.cleaner.min.cleanable.ratio'],
  'cleanup.policy': ['log.cleanup.policy'],
  'unclean.leader.election.enable': ['unclean.leader.election.enable'],
  'min.insync.replicas': ['min.insync.replicas'],
  'compression.type': ['compression.type'],
  'compression.gzip.level': ['compression.gzip.level'],
  'compression.lz4.level': ['compression.lz4.level'],
  'compression.zstd.level': ['compression.zstd.level'],
  preallocate: ['log.preallocate'],
  'message.timestamp.type': ['log.message.timestamp.type'],
  'message.timestamp.before.max.ms': ['log.message.timestamp.before.max.ms'],
  'message.timestamp.after.max.ms': ['log.message.timestamp.after.max.ms'],
  'local.retention.ms': ['log.local.retention.ms'],
  'local.retention.bytes': ['log.local.retention.bytes']
}

/** Every key a topic may set, sorted by name (the order Kafka returns them in). */
export const TOPIC_CONFIG_NAMES: readonly string[] = TOPIC_CONFIG_DEFS.map((k) => k.name).sort()

/** Kafka's default of a topic key, before broker settings apply (APPEND/SUBTRACT start from it). */
export function topicKeyDefault(name: string): string | null {
  return topicConfigDef(name)?.default ?? null
}

/**
 * The broker settings behind a topic key that are actually set (dynamically, statically, then by default),
 * starting at the key's own broker-level name as Kafka does: `log.retention.hours=168` alone is not a
 * synonym of retention.ms, whose broker-level name is log.retention.ms.
 */
function brokerSynonyms(view: BrokerConfigView, topicKey: string): ConfigSynonym[] {
  const names = BROKER_SYNONYMS[topicKey] ?? []
  const found = sourcedValues(view, names)
  const primary = names[0]
  const start = found.findIndex((s) => s.name === primary)
  return start < 0 ? [] : found.slice(start)
}

/** Describes a topic's configs: `overrides` are its DYNAMIC_TOPIC_CONFIG entries, the rest is inherited. */
export function describeTopicConfigs(
  config: KafkaConfig | BrokerConfigView,
  overrides: TopicConfigs,
  names: readonly string[] = TOPIC_CONFIG_NAMES
): ConfigDescription[] {
  const view = 'effective' in config ? config : staticView(config)
  const effective = topicLogConfig(brokerLogConfig(view.effective), overrides).toProperties()
  const out: ConfigDescription[] = []
  for (const name of names) {
    const override = overrides[name]
    const value = effective[name] ?? override ?? topicKeyDefault(name)
    const synonyms = brokerSynonyms(view, name)
    if (override !== undefined) {
      synonyms.unshift({ name, value, source: ConfigSource.DYNAMIC_TOPIC_CONFIG })
    }
    out.push({
      name,
      value,
      source: synonyms[0]?.source ?? ConfigSource.DEFAULT_CONFIG,
      readOnly: false,
      isSensitive: false,
      configType: configTypeId(topicConfigDef(name)?.type),
      synonyms
    })
  }
  return out
}
