import type {
  BrokerRegistration,
  MetadataDelta,
  MetadataImage,
  MetadataListener,
  MetadataStore,
  PartitionRegistration,
  TopicConfigs,
  TopicId,
  TopicRegistration,
  Unsubscribe
} from './metadata-store.js'

/**
 * The broker's local, read-optimised view of cluster metadata (Kafka's MetadataCache): synchronous lookups
 * for the request path (topic by name or id, partition leaders, live brokers), kept current by the store's
 * change stream. It never writes.
 *
 * Event loop: lookups are plain map reads; deltas are applied synchronously as the store publishes them,
 * so a request handler sees either all or none of a change.
 */
export class MetadataCache {
  private versionSeen = -1n
  private readonly brokers = new Map<number, BrokerRegistration>()
  private readonly topicsById = new Map<TopicId, TopicRegistration>()
  private readonly topicsByName = new Map<string, TopicRegistration>()
  private readonly configs = new Map<TopicId, TopicConfigs>()
  private readonly listeners = new Set<MetadataListener>()
  private unsubscribe: Unsubscribe | null = null

  private constructor(readonly clusterId: string) {}

  /** Loads the current image and follows the store from there on, without missing a change in between. */
  static async start(store: MetadataStore): Promise<MetadataCache> {
    const cache = new MetadataCache(store.clusterId)
    let pending: MetadataDelta[] | null = []
    // Subscribing before reading the image: a change committed meanwhile is buffered, not lost.
    cache.unsubscribe = store.subscribe((delta) => {
      if (pending) pending.push(delta)
      else cache.apply(delta)
    })
    try {
      cache.load(await store.image())
    } catch (err) {
      cache.close()
      throw err
    }
    const buffered = pending
    pending = null
    for (const delta of buffered) cache.apply(delta)
    return cache
  }

  /** The metadata version this view reflects. */
  get version(): bigint {
    return this.versionSeen
  }

  /** Notifies after the cache has applied a delta, so listeners read a view that already includes it. */
  subscribe(listener: MetadataListener): Unsubscribe {
    this.listeners.add(listener)
    return () => {
      this.listeners.delete(listener)
    }
  }

  close(): void {
    this.unsubscribe?.()
    this.unsubscribe = null
    this.listeners.clear()
  }

  topicByName(name: string): TopicRegistration | undefined {
    return this.topicsByName.get(name)
  }

  topicById(topicId: TopicId): TopicRegistration | undefined {
    return this.topicsById.get(topicId)
  }

  topicNames(): string[] {
    return [...this.topicsByName.keys()]
  }

  topics(): IterableIterator<TopicRegistration> {
    return this.topicsById.values()
  }

  topicConfigs(topicId: TopicId): TopicConfigs {
    return this.configs.get(topicId) ?? {}
  }

  partition(topicName: string, partitionIndex: number): PartitionRegistration | undefined {
    return this.topicsByName.get(topicName)?.partitions[partitionIndex]
  }

  /** The leader's node id, -1 when the partition has none, undefined when the partition is unknown. */
  leaderOf(topicName: string, partitionIndex: number): number | undefined {
    return this.partition(topicName, partitionIndex)?.leader
  }

  broker(nodeId: number): BrokerRegistration | undefined {
    return this.brokers.get(nodeId)
  }

  /** Registered, unfenced brokers, by node id. */
  liveBrokers(): BrokerRegistration[] {
    return [...this.brokers.values()].filter((b) => !b.fenced).sort((a, b) => a.nodeId - b.nodeId)
  }

  isBrokerLive(nodeId: number): boolean {
    const broker = this.brokers.get(nodeId)
    return broker !== undefined && !broker.fenced
  }

  private load(image: MetadataImage): void {
    for (const broker of image.brokers.values()) this.brokers.set(broker.nodeId, broker)
    for (const topic of image.topics.values()) this.putTopic(topic)
    for (const [topicId, configs] of image.topicConfigs) this.configs.set(topicId, configs)
    this.versionSeen = image.version
  }

  private apply(delta: MetadataDelta): void {
    // Deltas already contained in the loaded image are skipped.
    if (delta.version <= this.versionSeen) return
    switch (delta.type) {
      case 'broker-registered':
      case 'broker-fenced':
        this.brokers.set(delta.broker.nodeId, delta.broker)
        break
      case 'topic-created':
        this.putTopic(delta.topic)
        this.configs.set(delta.topic.topicId, delta.configs)
        break
      case 'topic-deleted':
        this.topicsById.delete(delta.topicId)
        if (this.topicsByName.get(delta.name)?.topicId === delta.topicId) this.topicsByName.delete(delta.name)
        this.configs.delete(delta.topicId)
        break
      case 'partitions-created': {
        const topic = this.topicsById.get(delta.topicId)
        if (topic) this.putTopic({ ...topic, partitions: [...topic.partitions, ...delta.partitions] })
        break
      }
      case 'partition-changed': {
        const topic = this.topicsById.get(delta.topicId)
        if (topic) {
          const partitions = topic.partitions.slice()
          partitions[delta.partition.partitionIndex] = delta.partition
          this.putTopic({ ...topic, partitions })
        }
        break
      }
      case 'topic-configs-changed':
        this.configs.set(delta.topicId, delta.configs)
        break
    }
    this.versionSeen = delta.version
    for (const listener of this.listeners) listener(delta)
  }

  private putTopic(topic: TopicRegistration): void {
    this.topicsById.set(topic.topicId, topic)
    this.topicsByName.set(topic.name, topic)
  }
}
