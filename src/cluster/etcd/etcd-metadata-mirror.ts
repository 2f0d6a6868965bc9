import type { IKeyValue } from 'etcd3'
import type {
  BrokerRegistration,
  MetadataDelta,
  MetadataImage,
  PartitionRegistration,
  TopicConfigs,
  TopicId,
  TopicRegistration
} from '../metadata-store.js'
import { registeredListeners } from '../metadata-store.js'
import {
  decodeJson,
  parseKey,
  type StoredBroker,
  type StoredPartition,
  type StoredTopic
} from './etcd-keys.js'

/** One etcd watch event, as the store sees it: keys are relative to the cluster prefix. */
export interface KeyEvent {
  readonly type: 'Put' | 'Delete'
  readonly key: string
  readonly kv: IKeyValue
}

/**
 * The cluster metadata as etcd holds it, rebuilt from a range read (an image at one revision) and then
 * advanced one revision at a time by watch events. Each Samsa write is one etcd transaction, so the events
 * of one revision are exactly one change, which this turns back into the MetadataDelta it stands for.
 *
 * Event loop: plain in-memory maps, updated synchronously; owned by one EtcdMetadataStore.
 */
export class EtcdMetadataMirror {
  private readonly brokers = new Map<number, BrokerRegistration>()
  private readonly live = new Set<number>()
  private readonly topics = new Map<TopicId, TopicRegistration>()
  private readonly configs = new Map<TopicId, TopicConfigs>()

  constructor(
    readonly clusterId: string,
    public version: bigint
  ) {}

  /** Builds the metadata at `version` from every key under the cluster prefix. */
  static fromKeys(clusterId: string, version: bigint, kvs: readonly KeyEvent[]): EtcdMetadataMirror {
    const mirror = new EtcdMetadataMirror(clusterId, version)
    const partitions = new Map<TopicId, PartitionRegistration[]>()
    const topics: StoredTopic[] = []
    for (const { key, kv } of kvs) {
      const parsed = parseKey(key)
      if (!parsed) continue
      switch (parsed.kind) {
        case 'broker':
          mirror.brokers.set(parsed.nodeId, brokerOf(kv))
          break
        case 'live':
          mirror.live.add(parsed.nodeId)
          break
        case 'topic':
          topics.push(decodeJson<StoredTopic>(kv.value))
          break
        case 'configs':
          mirror.configs.set(parsed.topicId, decodeJson<TopicConfigs>(kv.value))
          break
        case 'partition': {
          const list = partitions.get(parsed.topicId) ?? []
          list.push(partitionOf(parsed.partitionIndex, kv))
          partitions.set(parsed.topicId, list)
          break
        }
        default:
          break
      }
    }
    for (const topic of topics) {
      const list = (partitions.get(topic.topicId) ?? []).sort((a, b) => a.partitionIndex - b.partitionIndex)
      mirror.topics.set(topic.topicId, { name: topic.name, topicId: topic.topicId, partitions: list })
      if (!mirror.configs.has(topic.topicId)) mirror.configs.set(topic.topicId, {})
    }
    for (const [nodeId, broker] of mirror.brokers) {
      mirror.brokers.set(nodeId, { ...broker, fenced: !mirror.live.has(nodeId) })
    }
    return mirror
  }

  image(): MetadataImage {
    return {
      clusterId: this.clusterId,
      version: this.version,
      brokers: new Map(this.brokers),
      topics: new Map(this.topics),
      topicConfigs: new Map(this.configs)
    }
  }

  /**
   * Applies the events of one revision and returns the delta they make, or null when they change no
   * metadata (controller keys, or a revision this mirror already contains).
   */
  applyRevision(version: bigint, events: readonly KeyEvent[]): MetadataDelta | null {
    if (version <= this.version) return null
    this.version = version
    let topicEvent: KeyEvent | undefined
    let brokerPut: KeyEvent | undefined
    let configsPut: KeyEvent | undefined
    const partitionPuts: PartitionRegistration[] = []
    const liveChanges: { nodeId: number; up: boolean }[] = []
    for (const event of events) {
      const parsed = parseKey(event.key)
      if (!parsed) continue
      if (parsed.kind === 'topic') topicEvent = event
      else if (parsed.kind === 'broker' && event.type === 'Put') brokerPut = event
      else if (parsed.kind === 'configs' && event.type === 'Put') configsPut = event
      else if (parsed.kind === 'partition' && event.type === 'Put')
        partitionPuts.push(partitionOf(parsed.partitionIndex, event.kv))
      else if (parsed.kind === 'live') liveChanges.push({ nodeId: parsed.nodeId, up: event.type === 'Put' })
    }
    partitionPuts.sort((a, b) => a.partitionIndex - b.partitionIndex)
    for (const { nodeId, up } of liveChanges) {
      if (up) this.live.add(nodeId)
      else this.live.delete(nodeId)
    }

    if (topicEvent) {
      const topicId = parseTopicId(topicEvent.key)
      if (topicEvent.type === 'Delete') {
        const name = this.topics.get(topicId)?.name ?? ''
        this.topics.delete(topicId)
        this.configs.delete(topicId)
        return { type: 'topic-deleted', version, topicId, name }
      }
      const stored = decodeJson<StoredTopic>(topicEvent.kv.value)
      const existing = this.topics.get(topicId)
      if (!existing || topicEvent.kv.create_revision === topicEvent.kv.mod_revision) {
        const topic: TopicRegistration = { name: stored.name, topicId, partitions: partitionPuts }
        const configs = configsPut ? decodeJson<TopicConfigs>(configsPut.kv.value) : {}
        this.topics.set(topicId, topic)
        this.configs.set(topicId, configs)
        return { type: 'topic-created', version, topic, configs }
      }
      this.topics.set(topicId, { ...existing, partitions: [...existing.partitions, ...partitionPuts] })
      return { type: 'partitions-created', version, topicId, partitions: partitionPuts }
    }
    const changed = partitionPuts[0]
    const changedEvent = events.find((e) => parseKey(e.key)?.kind === 'partition')
    if (changed && changedEvent) {
      const topicId = parseTopicId(changedEvent.key)
      const topic = this.topics.get(topicId)
      if (topic) {
        const partitions = topic.partitions.slice()
        partitions[changed.partitionIndex] = changed
        this.topics.set(topicId, { ...topic, partitions })
      }
      return { type: 'partition-changed', version, topicId, partition: changed }
    }
    if (configsPut) {
      const topicId = parseTopicId(configsPut.key)
      const configs = decodeJson<TopicConfigs>(configsPut.kv.value)
      this.configs.set(topicId, configs)
      return { type: 'topic-configs-changed', version, topicId, configs }
    }
    if (brokerPut) {
      const registered = brokerOf(brokerPut.kv)
      const broker = { ...registered, fenced: !this.live.has(registered.nodeId) }
      this.brokers.set(broker.nodeId, broker)
      return { type: 'broker-registered', version, broker }
    }
    for (const { nodeId, up } of liveChanges) {
      const current = this.brokers.get(nodeId)
      // A lease expiry or an explicit fence both delete the live key: the broker is then fenced.
      if (!up && current && !current.fenced) {
        const broker = { ...current, fenced: true }
        this.brokers.set(nodeId, broker)
        return { type: 'broker-fenced', version, broker }
      }
    }
    return null
  }
}

function parseTopicId(key: string): TopicId {
  const parsed = parseKey(key)
  return parsed && 'topicId' in parsed ? parsed.topicId : ''
}

/** The broker epoch is the revision of the registration write, so it grows with every registration. */
function brokerOf(kv: IKeyValue): BrokerRegistration {
  const stored = decodeJson<StoredBroker>(kv.value)
  return {
    nodeId: stored.nodeId,
    host: stored.host,
    port: stored.port,
    rack: stored.rack,
    listeners: registeredListeners(stored),
    brokerEpoch: BigInt(kv.mod_revision),
    fenced: false
  }
}

function partitionOf(partitionIndex: number, kv: IKeyValue): PartitionRegistration {
  const stored = decodeJson<StoredPartition>(kv.value)
  return {
    partitionIndex,
    replicas: stored.replicas,
    isr: stored.isr,
    leader: stored.leader,
    leaderEpoch: stored.leaderEpoch,
    partitionEpoch: stored.partitionEpoch,
    ...(stored.addingReplicas?.length ? { addingReplicas: stored.addingReplicas } : {}),
    ...(stored.removingReplicas?.length ? { removingReplicas: stored.removingReplicas } : {})
  }
}
