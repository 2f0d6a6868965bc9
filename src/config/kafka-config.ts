/**
 * The broker's typed configuration, built from raw key/value pairs (server.properties plus overrides).
 * Immutable once built; every value has been validated, so consumers never re-check ranges.
 */

import { BROKER_CONFIG_KEYS } from './broker-config-keys.js'
import { type ConfigKey, type ConfigValue, parseConfigValue } from './config-def.js'
import { ConfigError } from './config-error.js'
import { type EndPoint, parseEndPoints, parseProtocolMap } from './end-point.js'
import { parseListenerOverride, withoutMechanismPrefix } from './listener-overrides.js'
import { interBrokerListenerName } from './listener-validation.js'

const KEYS_BY_NAME: ReadonlyMap<string, ConfigKey> = new Map(BROKER_CONFIG_KEYS.map((k) => [k.name, k]))
const MS_PER_MINUTE = 60_000
const MS_PER_HOUR = 3_600_000

export type CleanupPolicy = 'compact' | 'delete'

export class KafkaConfig {
  /** The raw pairs as given, including unknown keys. */
  readonly originals: ReadonlyMap<string, string>
  /** Keys that are not broker configs; Kafka logs these and carries on. */
  readonly unknownKeys: readonly string[]
  /** Keys that were set but have no effect in Samsa. */
  readonly ignoredKeys: readonly string[]
  private readonly values: ReadonlyMap<string, ConfigValue>
  /** `listener.name.<listener>.<key>` overrides: lower-case listener name -> key -> value. */
  private readonly listenerValues: ReadonlyMap<string, ReadonlyMap<string, ConfigValue>>

  readonly nodeId: number
  readonly brokerRack: string | null
  readonly listeners: readonly EndPoint[]
  /** Listeners of `listeners` that controller.listener.names names: KRaft's, never opened by Samsa. */
  readonly controllerListeners: readonly EndPoint[]
  /** What clients are told to connect to; port 0 here means "the port `listeners` actually bound". */
  readonly advertisedListeners: readonly EndPoint[]
  /** The listener brokers reach each other on (`inter.broker.listener.name` / `security.inter.broker.protocol`). */
  readonly interBrokerListenerName: string
  readonly logDirs: readonly string[]
  readonly logRollMs: number
  /** -1 means unlimited, as in Kafka. */
  readonly logRetentionMs: number
  readonly logFlushIntervalMs: number

  constructor(props: ReadonlyMap<string, string> = new Map()) {
    this.originals = new Map(props)
    const values = new Map<string, ConfigValue>()
    const unknown: string[] = []
    const ignored: string[] = []
    const listenerValues = new Map<string, Map<string, ConfigValue>>()
    for (const [name, raw] of props) {
      const key = KEYS_BY_NAME.get(name)
      if (!key) {
        const override = parseListenerOverride(name, raw, KEYS_BY_NAME)
        if (override === null) unknown.push(name)
        else {
          const forListener = listenerValues.get(override.listener) ?? new Map<string, ConfigValue>()
          listenerValues.set(override.listener, forListener.set(override.key, override.value))
        }
        continue
      }
      if (key.ignored) ignored.push(name)
      values.set(name, parseConfigValue(key, raw))
    }
    for (const key of BROKER_CONFIG_KEYS) {
      if (!values.has(key.name))
        values.set(key.name, key.default === null ? null : parseConfigValue(key, key.default))
    }
    this.values = values
    this.listenerValues = listenerValues
    this.unknownKeys = unknown
    this.ignoredKeys = ignored

    this.nodeId = this.resolveNodeId(props)
    this.brokerRack = this.getString('broker.rack')
    const protocolMap = parseProtocolMap(
      'listener.security.protocol.map',
      this.getList('listener.security.protocol.map')
    )
    // A KRaft server.properties names its controller listeners in controller.listener.names. Samsa has no
    // KRaft quorum (metadata lives in metadata.store), so those listeners are not opened: opening them would
    // serve clients on the controller port.
    const controllerNames = new Set(
      (this.getString('controller.listener.names') ?? '')
        .split(',')
        .map((n) => n.trim().toUpperCase())
        .filter((n) => n !== '')
    )
    const configured = parseEndPoints('listeners', this.getList('listeners'), protocolMap)
    this.listeners = configured.filter((l) => !controllerNames.has(l.listenerName))
    this.controllerListeners = configured.filter((l) => controllerNames.has(l.listenerName))
    if (this.listeners.length === 0)
      throw ConfigError.invalidValue(
        'listeners',
        this.getList('listeners').join(','),
        controllerNames.size > 0
          ? 'names only controller listeners (controller.listener.names); Samsa needs a broker listener'
          : 'at least one listener is required'
      )
    const advertised = this.get('advertised.listeners') as string[] | null
    this.advertisedListeners =
      advertised === null
        ? this.listeners
        : parseEndPoints('advertised.listeners', advertised, protocolMap).filter(
            (l) => !controllerNames.has(l.listenerName)
          )
    for (const a of this.advertisedListeners) {
      if (!this.listeners.some((l) => l.listenerName === a.listenerName)) {
        throw ConfigError.invalidValue(
          'advertised.listeners',
          (advertised ?? []).join(','),
          `listener ${a.listenerName} is not one of the names in listeners`
        )
      }
    }
    this.interBrokerListenerName = interBrokerListenerName(this, props)

    const logDirs = (this.get('log.dirs') ?? this.get('log.dir') ?? ['./data']) as string[]
    if (logDirs.length === 0)
      throw ConfigError.invalidValue('log.dirs', '', 'at least one directory is required')
    this.logDirs = logDirs

    this.logRollMs = this.getNullableNumber('log.roll.ms') ?? this.getNumber('log.roll.hours') * MS_PER_HOUR
    const retentionMinutes = this.getNullableNumber('log.retention.minutes')
    const retentionMs =
      this.getNullableNumber('log.retention.ms') ??
      (retentionMinutes === null
        ? this.getNumber('log.retention.hours') * MS_PER_HOUR
        : retentionMinutes * MS_PER_MINUTE)
    this.logRetentionMs = retentionMs < 0 ? -1 : retentionMs
    this.logFlushIntervalMs =
      this.getNullableNumber('log.flush.interval.ms') ?? this.getNumber('log.flush.scheduler.interval.ms')

    if (this.groupMinSessionTimeoutMs > this.groupMaxSessionTimeoutMs) {
      throw ConfigError.invalidValue(
        'group.min.session.timeout.ms',
        String(this.groupMinSessionTimeoutMs),
        `must be <= group.max.session.timeout.ms (${this.groupMaxSessionTimeoutMs})`
      )
    }
  }

  private resolveNodeId(props: ReadonlyMap<string, string>): number {
    const nodeId = this.getNumber('node.id')
    const brokerId = this.getNullableNumber('broker.id')
    if (brokerId === null) return nodeId
    if (!props.has('node.id')) return brokerId
    if (brokerId !== nodeId) {
      throw ConfigError.invalidValue(
        'broker.id',
        String(brokerId),
        `must equal node.id (${nodeId}) when both are set`
      )
    }
    return nodeId
  }

  /** The parsed value of any defined key (its default when unset); throws for keys that are not defined. */
  get(name: string): ConfigValue {
    if (!KEYS_BY_NAME.has(name)) throw new ConfigError(`Unknown configuration ${name}`)
    return this.values.get(name) ?? null
  }

  getNumber(name: string): number {
    const v = this.get(name)
    if (typeof v !== 'number') throw new ConfigError(`Configuration ${name} is not set or not a number`)
    return v
  }

  getNullableNumber(name: string): number | null {
    const v = this.get(name)
    return typeof v === 'number' ? v : null
  }

  getBoolean(name: string): boolean {
    const v = this.get(name)
    if (typeof v !== 'boolean') throw new ConfigError(`Configuration ${name} is not a boolean`)
    return v
  }

  getString(name: string): string | null {
    const v = this.get(name)
    return typeof v === 'string' ? v : null
  }

  getList(name: string): string[] {
    const v = this.get(name)
    return Array.isArray(v) ? v : []
  }

  /**
   * A key's value for one listener: its `listener.name.<listener>.<key>` override if set, else the broker-wide
   * value. `key` may carry a mechanism prefix (`plain.sasl.jaas.config`), which falls back to the key without it.
   */
  forListener(listenerName: string, key: string): ConfigValue {
    const overrides = this.listenerValues.get(listenerName.toLowerCase())
    const own = overrides?.get(key)
    if (own !== undefined) return own
    const base = withoutMechanismPrefix(key)
    if (base !== null) return overrides?.get(base) ?? this.get(base)
    return this.get(key)
  }

  get numPartitions(): number {
    return this.getNumber('num.partitions')
  }
  get defaultReplicationFactor(): number {
    return this.getNumber('default.replication.factor')
  }
  get autoCreateTopicsEnable(): boolean {
    return this.getBoolean('auto.create.topics.enable')
  }
  get logSegmentBytes(): number {
    return this.getNumber('log.segment.bytes')
  }
  /** -1 means unlimited. */
  get logRetentionBytes(): number {
    return this.getNumber('log.retention.bytes')
  }
  get logRetentionCheckIntervalMs(): number {
    return this.getNumber('log.retention.check.interval.ms')
  }
  get logFlushIntervalMessages(): number {
    return this.getNumber('log.flush.interval.messages')
  }
  get logCleanupPolicy(): readonly CleanupPolicy[] {
    return this.getList('log.cleanup.policy') as CleanupPolicy[]
  }
  get logCleanerEnable(): boolean {
    return this.getBoolean('log.cleaner.enable')
  }
  get messageMaxBytes(): number {
    return this.getNumber('message.max.bytes')
  }
  get socketRequestMaxBytes(): number {
    return this.getNumber('socket.request.max.bytes')
  }
  get offsetsTopicNumPartitions(): number {
    return this.getNumber('offsets.topic.num.partitions')
  }
  get offsetsTopicReplicationFactor(): number {
    return this.getNumber('offsets.topic.replication.factor')
  }
  get groupInitialRebalanceDelayMs(): number {
    return this.getNumber('group.initial.rebalance.delay.ms')
  }
  get groupMinSessionTimeoutMs(): number {
    return this.getNumber('group.min.session.timeout.ms')
  }
  get groupMaxSessionTimeoutMs(): number {
    return this.getNumber('group.max.session.timeout.ms')
  }
  get transactionMaxTimeoutMs(): number {
    return this.getNumber('transaction.max.timeout.ms')
  }
  get minInsyncReplicas(): number {
    return this.getNumber('min.insync.replicas')
  }
}
