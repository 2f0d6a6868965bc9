import { ErrorCode, KafkaError } from '../protocol/error-codes.js'

/** Kafka's Long.MAX_VALUE default, kept as Infinity in memory ("never") and printed back as Java prints it. */
const LONG_MAX = Number.POSITIVE_INFINITY
const LONG_MAX_TEXT = '9223372036854775807'

type Kind =
  | { type: 'int' | 'long'; min: number; max?: number }
  | { type: 'double'; min: number; max: number }
  | { type: 'boolean' }
  | { type: 'string'; allowed: readonly string[] }
  | { type: 'list'; allowed: readonly string[] }

interface ConfigKey {
  name: string
  kind: Kind
  default: number | boolean | string | readonly string[]
}

const INT_MAX = 2 ** 31 - 1
const COMPRESSION_TYPES = ['uncompressed', 'zstd', 'lz4', 'snappy', 'gzip', 'producer'] as const

/** Topic-level settings the storage layer reads, with Kafka's names, defaults and bounds. */
const KEYS: readonly ConfigKey[] = [
  { name: 'segment.bytes', kind: { type: 'int', min: 14 }, default: 1073741824 },
  { name: 'segment.ms', kind: { type: 'long', min: 1 }, default: 604800000 },
  { name: 'segment.jitter.ms', kind: { type: 'long', min: 0 }, default: 0 },
  { name: 'segment.index.bytes', kind: { type: 'int', min: 4 }, default: 10485760 },
  { name: 'retention.ms', kind: { type: 'long', min: -1 }, default: 604800000 },
  { name: 'retention.bytes', kind: { type: 'long', min: -1 }, default: -1 },
  { name: 'cleanup.policy', kind: { type: 'list', allowed: ['delete', 'compact'] }, default: ['delete'] },
  { name: 'min.compaction.lag.ms', kind: { type: 'long', min: 0 }, default: 0 },
  { name: 'max.compaction.lag.ms', kind: { type: 'long', min: 1 }, default: LONG_MAX },
  { name: 'delete.retention.ms', kind: { type: 'long', min: 0 }, default: 86400000 },
  { name: 'min.cleanable.dirty.ratio', kind: { type: 'double', min: 0, max: 1 }, default: 0.5 },
  { name: 'flush.messages', kind: { type: 'long', min: 1 }, default: LONG_MAX },
  { name: 'flush.ms', kind: { type: 'long', min: 0 }, default: LONG_MAX },
  { name: 'max.message.bytes', kind: { type: 'int', min: 0 }, default: 1048588 },
  {
    name: 'message.timestamp.type',
    kind: { type: 'string', allowed: ['CreateTime', 'LogAppendTime'] },
    default: 'CreateTime'
  },
  { name: 'message.timestamp.before.max.ms', kind: { type: 'long', min: 0 }, default: LONG_MAX },
  { name: 'message.timestamp.after.max.ms', kind: { type: 'long', min: 0 }, default: LONG_MAX },
  { name: 'index.interval.bytes', kind: { type: 'int', min: 0 }, default: 4096 },
  { name: 'file.delete.delay.ms', kind: { type: 'long', min: 0 }, default: 60000 },
  { name: 'preallocate', kind: { type: 'boolean' }, default: false },
  { name: 'compression.type', kind: { type: 'string', allowed: COMPRESSION_TYPES }, default: 'producer' },
  { name: 'min.insync.replicas', kind: { type: 'int', min: 1 }, default: 1 },
  { name: 'unclean.leader.election.enable', kind: { type: 'boolean' }, default: false }
]

const KEY_BY_NAME = new Map(KEYS.map((k) => [k.name, k]))

export type ConfigValue = string | number | boolean | readonly string[]

function invalid(name: string, value: unknown, why: string): KafkaError {
  return new KafkaError(
    ErrorCode.INVALID_CONFIG,
    `Invalid value ${String(value)} for configuration ${name}: ${why}`
  )
}

function parse(key: ConfigKey, raw: ConfigValue): number | boolean | string | readonly string[] {
  const k = key.kind
  switch (k.type) {
    case 'int':
    case 'long':
    case 'double': {
      const text = String(raw).trim()
      const n = k.type === 'long' && text === LONG_MAX_TEXT ? LONG_MAX : Number(text)
      if (text === '' || Number.isNaN(n) || (k.type !== 'double' && !Number.isInteger(n) && n !== LONG_MAX)) {
        throw invalid(key.name, raw, `Not a number of type ${k.type.toUpperCase()}`)
      }
      if (k.type === 'int' && n > INT_MAX) throw invalid(key.name, raw, `Value must be at most ${INT_MAX}`)
      if (n < k.min) throw invalid(key.name, raw, `Value must be at least ${k.min}`)
      if (k.max !== undefined && n > k.max)
        throw invalid(key.name, raw, `Value must be no more than ${k.max}`)
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
      if (!k.allowed.includes(text))
        throw invalid(key.name, raw, `String must be one of: ${k.allowed.join(', ')}`)
      return text
    }
    case 'list': {
      const items = (Array.isArray(raw) ? raw : String(raw).split(',')).map((s: string) => s.trim())
      for (const item of items) {
        if (!k.allowed.includes(item))
          throw invalid(key.name, raw, `String must be one of: ${k.allowed.join(', ')}`)
      }
      if (items.length === 0) throw invalid(key.name, raw, 'Empty list')
      return items
    }
  }
}

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

  private readonly values: ReadonlyMap<string, number | boolean | string | readonly string[]>

  /**
   * Builds a config from Kafka-named properties layered over `base` (defaults when absent). Throws
   * INVALID_CONFIG naming the key and the allowed values for a bad value or an unknown key.
   */
  constructor(props: Readonly<Record<string, ConfigValue>> = {}, base?: LogConfig) {
    const values = new Map(base ? base.values : KEYS.map((k) => [k.name, k.default]))
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
