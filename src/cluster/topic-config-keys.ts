import type { ConfigKey } from '../config/config-def.js'
import { parseConfigValue } from '../config/config-def.js'
import { ConfigError } from '../config/config-error.js'

/**
 * Topic-level config keys a topic may override (Kafka's TopicConfig / LogConfig), with the same types and
 * ranges, so CreateTopics and AlterConfigs reject what Kafka rejects (INVALID_CONFIG). Defaults are null
 * here: a topic's effective value falls back to the broker's log.* default, which the broker config owns.
 */
/** Kafka 3.x's floor (one legacy record); Kafka 4 raised it to 1 MiB. Small segments keep tests fast. */
const MIN_SEGMENT_BYTES = 14

export const TOPIC_CONFIG_KEYS: readonly ConfigKey[] = [
  { name: 'cleanup.policy', type: 'list', default: null, validValues: ['delete', 'compact'] },
  {
    name: 'compression.type',
    type: 'string',
    default: null,
    validValues: ['uncompressed', 'zstd', 'lz4', 'snappy', 'gzip', 'producer']
  },
  { name: 'compression.gzip.level', type: 'int', default: null, min: -1, max: 9 },
  { name: 'compression.lz4.level', type: 'int', default: null, min: 1, max: 17 },
  { name: 'compression.zstd.level', type: 'int', default: null, min: -131072, max: 22 },
  { name: 'delete.retention.ms', type: 'long', default: null, min: 0 },
  { name: 'file.delete.delay.ms', type: 'long', default: null, min: 0 },
  { name: 'flush.messages', type: 'long', default: null, min: 1 },
  { name: 'flush.ms', type: 'long', default: null, min: 0 },
  { name: 'follower.replication.throttled.replicas', type: 'list', default: null },
  { name: 'index.interval.bytes', type: 'int', default: null, min: 0 },
  { name: 'leader.replication.throttled.replicas', type: 'list', default: null },
  { name: 'local.retention.bytes', type: 'long', default: null, min: -2 },
  { name: 'local.retention.ms', type: 'long', default: null, min: -2 },
  { name: 'max.compaction.lag.ms', type: 'long', default: null, min: 1 },
  { name: 'max.message.bytes', type: 'int', default: null, min: 0 },
  { name: 'message.timestamp.after.max.ms', type: 'long', default: null, min: 0 },
  { name: 'message.timestamp.before.max.ms', type: 'long', default: null, min: 0 },
  {
    name: 'message.timestamp.type',
    type: 'string',
    default: null,
    validValues: ['CreateTime', 'LogAppendTime']
  },
  { name: 'min.cleanable.dirty.ratio', type: 'double', default: null, min: 0, max: 1 },
  { name: 'min.compaction.lag.ms', type: 'long', default: null, min: 0 },
  { name: 'min.insync.replicas', type: 'int', default: null, min: 1 },
  { name: 'preallocate', type: 'boolean', default: null },
  { name: 'remote.storage.enable', type: 'boolean', default: null },
  { name: 'retention.bytes', type: 'long', default: null },
  { name: 'retention.ms', type: 'long', default: null, min: -1 },
  { name: 'segment.bytes', type: 'int', default: null, min: MIN_SEGMENT_BYTES },
  { name: 'segment.index.bytes', type: 'int', default: null, min: 4 },
  { name: 'segment.jitter.ms', type: 'long', default: null, min: 0 },
  { name: 'segment.ms', type: 'long', default: null, min: 1 },
  { name: 'unclean.leader.election.enable', type: 'boolean', default: null }
]

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
