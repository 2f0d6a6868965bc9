/**
 * The events an operator reads a broker's log for, one INFO line each: topics created and deleted, topic
 * configs changed (old and new value), brokers registered and fenced, leadership of this broker's replicas,
 * logs loaded and recovered at start, retention and compaction runs. They come from the metadata stream and
 * from the log layer's events, so neither the controller nor storage needs a logger of its own.
 *
 * Cluster-wide events (topics, configs, brokers) are logged by the active controller only, as Kafka's
 * controller logs them: every broker sees the same delta, and N copies of one fact help nobody. Leadership is
 * logged by each broker for its own replicas, as Kafka's Partition.makeLeader/makeFollower do.
 */

import type { MetadataCache } from '../cluster/metadata-cache.js'
import type {
  BrokerRegistration,
  MetadataDelta,
  PartitionRegistration,
  TopicConfigs,
  Unsubscribe
} from '../cluster/metadata-store.js'
import type { Logger } from '../common/logger.js'
import type { LogEvent } from '../storage/log-events.js'

interface PartitionView {
  readonly leader: number
  readonly leaderEpoch: number
}

/** Log-layer events: one INFO summary per log dir at start, per-partition loading at DEBUG. */
export function logStorageEvent(logger: Logger, e: LogEvent): void {
  switch (e.type) {
    case 'log-loaded': {
      const { type: _, topicPartition, ...facts } = e
      const fields = { topic: topicPartition.topic, partition: topicPartition.partition, ...facts }
      // Cutting bytes off a log is what an operator must hear about; a routine load is not.
      if (e.truncatedBytes > 0) logger.warn(fields, 'log recovery truncated an invalid tail')
      else logger.debug(fields, 'log loaded')
      return
    }
    case 'logs-loaded': {
      const { type: _, ...facts } = e
      logger.info(facts, 'logs loaded')
      return
    }
    case 'retention':
      logger.info(
        {
          topic: e.topicPartition.topic,
          partition: e.topicPartition.partition,
          segmentsDeleted: e.segmentsDeleted,
          logStartOffset: e.logStartOffset
        },
        'retention deleted segments'
      )
      return
    case 'compaction': {
      const { type: _, topicPartition, ...facts } = e
      logger.info(
        { topic: topicPartition.topic, partition: topicPartition.partition, ...facts },
        'log compacted'
      )
      return
    }
  }
}

/** Follows the metadata cache and logs the cluster events named above. */
export class MetadataEventLog {
  private readonly partitions = new Map<string, PartitionView>()
  private readonly configs = new Map<string, TopicConfigs>()
  private readonly brokers = new Map<number, BrokerRegistration>()
  private unsubscribe: Unsubscribe | null = null

  constructor(
    private readonly cache: MetadataCache,
    private readonly logger: Logger,
    private readonly localBrokerId: number,
    private readonly isController: () => boolean
  ) {}

  start(): void {
    for (const topic of this.cache.topics()) {
      this.configs.set(topic.topicId, this.cache.topicConfigs(topic.topicId))
      for (const p of topic.partitions) this.partitions.set(key(topic.topicId, p.partitionIndex), view(p))
    }
    for (const b of this.cache.liveBrokers()) this.brokers.set(b.nodeId, b)
    this.unsubscribe = this.cache.subscribe((delta) => this.onDelta(delta))
  }

  stop(): void {
    this.unsubscribe?.()
    this.unsubscribe = null
  }

  private onDelta(delta: MetadataDelta): void {
    switch (delta.type) {
      case 'broker-registered': {
        const before = this.brokers.get(delta.broker.nodeId)
        this.brokers.set(delta.broker.nodeId, delta.broker)
        if (!this.isController()) return
        const b = delta.broker
        const fields = {
          nodeId: b.nodeId,
          host: b.host,
          port: b.port,
          rack: b.rack,
          brokerEpoch: b.brokerEpoch
        }
        if (before?.fenced && !b.fenced) this.logger.info(fields, 'broker unfenced')
        else if (!before || before.brokerEpoch !== b.brokerEpoch)
          this.logger.info(fields, 'broker registered')
        return
      }
      case 'broker-fenced':
        this.brokers.set(delta.broker.nodeId, delta.broker)
        if (this.isController()) {
          this.logger.warn(
            { nodeId: delta.broker.nodeId, brokerEpoch: delta.broker.brokerEpoch },
            'broker fenced'
          )
        }
        return
      case 'topic-created': {
        const t = delta.topic
        this.configs.set(t.topicId, delta.configs)
        for (const p of t.partitions) this.track(t.topicId, t.name, p)
        if (this.isController()) {
          const replicationFactor = t.partitions[0]?.replicas.length ?? 0
          this.logger.info(
            {
              topic: t.name,
              topicId: t.topicId,
              partitions: t.partitions.length,
              replicationFactor,
              configs: delta.configs
            },
            'topic created'
          )
        }
        return
      }
      case 'topic-deleted':
        this.configs.delete(delta.topicId)
        for (const k of [...this.partitions.keys()])
          if (k.startsWith(`${delta.topicId}:`)) this.partitions.delete(k)
        if (this.isController())
          this.logger.info({ topic: delta.name, topicId: delta.topicId }, 'topic deleted')
        return
      case 'partitions-created': {
        const name = this.cache.topicById(delta.topicId)?.name ?? delta.topicId
        for (const p of delta.partitions) this.track(delta.topicId, name, p)
        if (this.isController()) {
          this.logger.info(
            { topic: name, added: delta.partitions.map((p) => p.partitionIndex) },
            'partitions added'
          )
        }
        return
      }
      case 'partition-changed': {
        const name = this.cache.topicById(delta.topicId)?.name ?? delta.topicId
        this.track(delta.topicId, name, delta.partition)
        return
      }
      case 'topic-configs-changed': {
        const before = this.configs.get(delta.topicId) ?? {}
        this.configs.set(delta.topicId, delta.configs)
        if (!this.isController()) return
        const changes = configChanges(before, delta.configs)
        if (Object.keys(changes).length === 0) return
        const name = this.cache.topicById(delta.topicId)?.name ?? delta.topicId
        this.logger.info({ topic: name, changes }, 'topic config changed')
        return
      }
    }
  }

  /** Records the partition's leadership and logs a change that concerns this broker's replica. */
  private track(topicId: string, topic: string, p: PartitionRegistration): void {
    const k = key(topicId, p.partitionIndex)
    const before = this.partitions.get(k)
    this.partitions.set(k, view(p))
    if (!p.replicas.includes(this.localBrokerId)) return
    if (before && before.leader === p.leader && before.leaderEpoch === p.leaderEpoch) return
    const fields = {
      topic,
      partition: p.partitionIndex,
      leader: p.leader,
      previousLeader: before?.leader ?? null,
      leaderEpoch: p.leaderEpoch,
      isr: p.isr
    }
    if (p.leader === this.localBrokerId) this.logger.info(fields, 'became leader')
    else if (p.leader < 0) this.logger.warn(fields, 'partition has no leader')
    else this.logger.info(fields, 'following new leader')
  }
}

/**
 * Old and new value of every key set, changed or removed. Topic configs hold no secrets (Kafka has no
 * password-type topic config), so values are logged as they are.
 */
export function configChanges(
  before: TopicConfigs,
  after: TopicConfigs
): Record<string, { from: string | null; to: string | null }> {
  const out: Record<string, { from: string | null; to: string | null }> = {}
  for (const k of new Set([...Object.keys(before), ...Object.keys(after)])) {
    const from = before[k] ?? null
    const to = after[k] ?? null
    if (from !== to) out[k] = { from, to }
  }
  return out
}

function key(topicId: string, partition: number): string {
  return `${topicId}:${partition}`
}

function view(p: PartitionRegistration): PartitionView {
  return { leader: p.leader, leaderEpoch: p.leaderEpoch }
}
