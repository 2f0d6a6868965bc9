import { ErrorCode, KafkaError } from '../protocol/error-codes.js'

/** Kafka's Long.MAX_VALUE default, kept as Infinity in memory ("never") and printed back as Java prints it. */
const LONG_MAX = Number.POSITIVE_INFINITY
const LONG_MAX_TEXT = '9223372036854775807'

/**
 * The definition of one topic-level config (Kafka's LogConfig.CONFIG): its type, bounds and allowed values,
 * and Kafka's default written as Kafka prints it. This table is the single source: the controller validates
 * CreateTopics and AlterConfigs against it and DescribeConfigs lists its keys and defaults.
 */
export interface TopicConfigDef {
  readonly name: string
  readonly type: 'int' | 'long' | 'double' | 'boolean' | 'string' | 'list'
  readonly default: string
  readonly min?: number
  readonly max?: number
  /** Allowed values of a string key, or of each item of a list key. */
  readonly validValues?: readonly string[]
  /**
   * False for keys the storage layer does not act on (tiered storage, replication throttles, compression
   * levels): topics may set them and DescribeConfigs reports them, but LogConfig does not hold them.
   */
  readonly logConfig: boolean
  /** Accepted (validated, stored, described) for compatibility with Kafka, but has no effect in Samsa. */
  readonly ignored?: boolean
}

const INT_MAX = 2 ** 31 - 1
const COMPRESSION_TYPES = ['uncompressed', 'zstd', 'lz4', 'snappy', 'gzip', 'producer'] as const

/**
 * Kafka 3.x's floor for segment.bytes (one legacy record); Kafka 4 raised it to 1 MiB. Small segments keep
 * tests fast.
 */
const MIN_SEGMENT_BYTES = 14

export const TOPIC_CONFIG_DEFS: readonly TopicConfigDef[] = [
  { name: 'segment.bytes', type: 'int', min: MIN_SEGMENT_BYTES, default: '1073741824', logConfig: true },
  { name: 'segment.ms', type: 'long', min: 1, default: '604800000', logConfig: true },
  { name: 'segment.jitter.ms', type: 'long', min: 0, default: '0', logConfig: true },
  { name: 'segment.index.bytes', type: 'int', min: 4, default: '10485760', logConfig: true },
  { name: 'retention.ms', type: 'long', min: -1, default: '604800000', logConfig: true },
  // No lower bound, as in Kafka: any negative value means no size limit.
  { name: 'retention.bytes', type: 'long', default: '-1', logConfig: true },
  {
    name: 'cleanup.policy',
    type: 'list',
    validValues: ['delete', 'compact'],
    default: 'delete',
    logConfig: true
  },
  { name: 'min.compaction.lag.ms', type: 'long', min: 0, default: '0', logConfig: true },
  { name: 'max.compaction.lag.ms', type: 'long', min: 1, default: LONG_MAX_TEXT, logConfig: true },
  { name: 'delete.retention.ms', type: 'long', min: 0, default: '86400000', logConfig: true },
  { name: 'min.cleanable.dirty.ratio', type: 'double', min: 0, max: 1, default: '0.5', logConfig: true },
  { name: 'flush.messages', type: 'long', min: 1, default: LONG_MAX_TEXT, logConfig: true },
  { name: 'flush.ms', type: 'long', min: 0, default: LONG_MAX_TEXT, logConfig: true },
  { name: 'max.message.bytes', type: 'int', min: 0, default: '1048588', logConfig: true },
  {
    name: 'message.timestamp.type',
    type: 'string',
    validValues: ['CreateTime', 'LogAppendTime'],
    default: 'CreateTime',
    logConfig: true
  },
  { name: 'message.timestamp.before.max.ms', type: 'long', min: 0, default: LONG_MAX_TEXT, logConfig: true },
  { name: 'message.timestamp.after.max.ms', type: 'long', min: 0, default: LONG_MAX_TEXT, logConfig: true },
  { name: 'index.interval.bytes', type: 'int', min: 0, default: '4096', logConfig: true },
  { name: 'file.delete.delay.ms', type: 'long', min: 0, default: '60000', logConfig: true },
  { name: 'preallocate', type: 'boolean', default: 'false', logConfig: true },
  {
    name: 'compression.type',
    type: 'string',
    validValues: COMPRESSION_TYPES,
    default: 'producer',
    logConfig: true
  },
  { name: 'min.insync.replicas', type: 'int', min: 1, default: '1', logConfig: true },
  { name: 'unclean.leader.election.enable', type: 'boolean', default: 'false', logConfig: true },
  {
    name: 'compression.gzip.level',
    type: 'int',
    min: -1,
    max: 9,
    default: '-1',
    logConfig: false,
    ignored: true
  },
  {
    name: 'compression.lz4.level',
    type: 'int',
    min: 1,
    max: 17,
    default: '9',
    logConfig: false,
    ignored: true
  },
  {
    name: 'compression.zstd.level',
    type: 'int',
    min: -131072,
    max: 22,
    default: '3',
    logConfig: false,
    ignored: true
  },
  { name: 'follower.replication.throttled.replicas', type: 'list', default: '', logConfig: false },
  { name: 'leader.replication.throttled.replicas', type: 'list', default: '', logConfig: false },
  { name: 'local.retention.bytes', type: 'long', min: -2, default: '-2', logConfig: false, ignored: true },
  { name: 'local.retention.ms', type: 'long', min: -2, default: '-2', logConfig: false, ignored: true },
  { name: 'remote.storage.enable', type: 'boolean', default: 'false', logConfig: false, ignored: true }
]

const DEF_BY_NAME: ReadonlyMap<string, TopicConfigDef> = new Map(TOPIC_CONFIG_DEFS.map((k) => [k.name, k]))

/** The definition of a topic-level config, undefined for a name topics cannot set. */
export function topicConfigDef(name: string): TopicConfigDef | undefined {
  return DEF_BY_NAME.get(name)
}

/** The keys LogConfig holds. */
const KEYS = TOPIC_CONFIG_DEFS.filter((k) => k.logConfig)
const KEY_BY_NAME = new Map(KEYS.map((k) => [k.name, k]))

export type ConfigValue = string | number | boolean | readonly string[]

type ParsedValue = number | boolean | string | readonly string[]

function invalid(name: string, value: unknown, why: string): KafkaError {
  return new KafkaError(
    ErrorCode.INVALID_CONFIG,
    `Invalid value ${String(value)} for configuration ${name}: ${why}`
  )
}

function parse(key: TopicConfigDef, raw: ConfigValue): ParsedValue {
  switch (key.type) {
    case 'int':
    case 'long':
    case 'double': {
      const text = String(raw).trim()
      const n = key.type === 'long' && text === LONG_MAX_TEXT ? LONG_MAX : Number(text)
      if (
        text === '' ||
        Number.isNaN(n) ||
        (key.type !== 'double' && !Number.isInteger(n) && n !== LONG_MAX)
      ) {
        throw invalid(key.name, raw, `Not a number of type ${key.type.toUpperCase()}`)
      }
      if (key.type === 'int' && n > INT_MAX) throw invalid(key.name, raw, `Value must be at most ${INT_MAX}`)
      if (key.min !== undefined && n < key.min)
        throw invalid(key.name, raw, `Value must be at least ${key.min}`)
      if (key.max !== undefined && n > key.max)
        throw invalid(key.name, raw, `Value must be no more than ${key.max}`)
      return n
    }
    case 'boolean': {
      const text = String(raw).trim().toLowerCase()
      if (text !== 'true' && text !== 'false')
        throw invalid(key.name, raw, 'Expected value to be either true or false')
      return text === 'true'
    }
    case 'string': {
      const text = String(raw).trim()
      const allowed = key.validValues
      if (allowed && !allowed.includes(text))
        throw invalid(key.name, raw, `String must be one of: ${allowed.join(', ')}`)
      return text
    }
    case 'list': {
      const items = (Array.isArray(raw) ? raw : String(raw).split(',')).map((s: string) => s.trim())
      const allowed = key.validValues
      for (const item of items) {
        if (allowed && !allowed.includes(item))
          throw invalid(key.name, raw, `String must be one of: ${allowed.join(', ')}`)
      }
      if (items.length === 0) throw invalid(key.name, raw, 'Empty list')
      return items
    }
  }
}

/** Every key's default, parsed once. */
const DEFAULT_VALUES: ReadonlyMap<string, ParsedValue> = new Map(
  KEYS.map((k) => [k.name, parse(k, k.default)])
)

/**
 * Per-topic log settings with Kafka's topic-level names and defaults (`segment.bytes`, `retention.ms`, ...).
 * Values of Long.MAX_VALUE ("never") are Infinity here. Immutable: a config change builds a new LogConfig.
 * One deviation: segment.bytes accepts values down to 14 bytes (Kafka 4 requires 1 MiB) so tests can roll.
 */
export class LogConfig {
  readonly segmentBytes: number
  readonly segmentMs: number
  readonly segmentJitterMs: number
  readonly segmentIndexBytes: number
  readonly retentionMs: number
  readonly retentionBytes: number
  readonly cleanupPolicy: readonly ('delete' | 'compact')[]
  readonly minCompactionLagMs: number
  readonly maxCompactionLagMs: number
  readonly deleteRetentionMs: number
  readonly minCleanableDirtyRatio: number
  readonly flushMessages: number
  readonly flushMs: number
  readonly maxMessageBytes: number
  readonly messageTimestampType: 'CreateTime' | 'LogAppendTime'
  readonly messageTimestampBeforeMaxMs: number
  readonly messageTimestampAfterMaxMs: number
  readonly indexIntervalBytes: number
  readonly fileDeleteDelayMs: number
  readonly preallocate: boolean
  readonly compressionType: (typeof COMPRESSION_TYPES)[number]
  readonly minInsyncReplicas: number
  readonly uncleanLeaderElectionEnable: boolean

  private readonly values: ReadonlyMap<string, ParsedValue>

  /**
   * Builds a config from Kafka-named properties layered over `base` (defaults when absent). Throws
   * INVALID_CONFIG naming the key and the allowed values for a bad value or an unknown key.
   */
  constructor(props: Readonly<Record<string, ConfigValue>> = {}, base?: LogConfig) {
    const values = new Map(base ? base.values : DEFAULT_VALUES)
    for (const [name, raw] of Object.entries(props)) {
      const key = KEY_BY_NAME.get(name)
      if (!key) throw new KafkaError(ErrorCode.INVALID_CONFIG, `Unknown topic config name: ${name}`)
      values.set(name, parse(key, raw))
    }
    this.values = values
    const num = (n: string) => values.get(n) as number
    this.segmentBytes = num('segment.bytes')
    this.segmentMs = num('segment.ms')
    this.segmentJitterMs = num('segment.jitter.ms')
    this.segmentIndexBytes = num('segment.index.bytes')
    this.retentionMs = num('retention.ms')
    this.retentionBytes = num('retention.bytes')
    this.cleanupPolicy = values.get('cleanup.policy') as ('delete' | 'compact')[]
    this.minCompactionLagMs = num('min.compaction.lag.ms')
    this.maxCompactionLagMs = num('max.compaction.lag.ms')
    this.deleteRetentionMs = num('delete.retention.ms')
    this.minCleanableDirtyRatio = num('min.cleanable.dirty.ratio')
    this.flushMessages = num('flush.messages')
    this.flushMs = num('flush.ms')
    this.maxMessageBytes = num('max.message.bytes')
    this.messageTimestampType = values.get('message.timestamp.type') as 'CreateTime' | 'LogAppendTime'
    this.messageTimestampBeforeMaxMs = num('message.timestamp.before.max.ms')
    this.messageTimestampAfterMaxMs = num('message.timestamp.after.max.ms')
    this.indexIntervalBytes = num('index.interval.bytes')
    this.fileDeleteDelayMs = num('file.delete.delay.ms')
    this.preallocate = values.get('preallocate') as boolean
    this.compressionType = values.get('compression.type') as (typeof COMPRESSION_TYPES)[number]
    this.minInsyncReplicas = num('min.insync.replicas')
    this.uncleanLeaderElectionEnable = values.get('unclean.leader.election.enable') as boolean
  }

  /** A copy with some properties changed. */
  with(props: Readonly<Record<string, ConfigValue>>): LogConfig {
    return new LogConfig(props, this)
  }

  /** Every setting as Kafka would print it (DescribeConfigs). */
  toProperties(): Record<string, string> {
    const out: Record<string, string> = {}
    for (const [name, v] of this.values) {
      out[name] = v === LONG_MAX ? LONG_MAX_TEXT : Array.isArray(v) ? v.join(',') : String(v)
    }
    return out
  }

  static readonly names: readonly string[] = KEYS.map((k) => k.name)

  /** The default of every key, as Kafka prints it. */
  static defaults(): Record<string, string> {
    return new LogConfig().toProperties()
  }
}
