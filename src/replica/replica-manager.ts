import type { MetadataCache } from '../cluster/metadata-cache.js'
import type { MetadataDelta, TopicRegistration, Unsubscribe } from '../cluster/metadata-store.js'
import { BufferPool } from '../common/buffer-pool.js'
import type { BrokerChannelSecurity } from '../network/broker-channel-security.js'
import { ErrorCode, KafkaError } from '../protocol/error-codes.js'
import type { LogConfig } from '../storage/log-config.js'
import type { LogManager } from '../storage/log-manager.js'
import type { LogAppendInfo } from '../storage/unified-log.js'
import { BrokerTopicStats } from './broker-topic-stats.js'
import { DelayedFetch } from './delayed-fetch.js'
import { DelayedOperationPurgatory } from './delayed-operation-purgatory.js'
import { DelayedProduce } from './delayed-produce.js'
import type { FetchParams, FetchPartitionData, FetchPartitionRequest } from './fetch-params.js'
import { LeaderReplicationQuota } from './leader-replication-quota.js'
import { LogReader, releaseReads } from './log-reader.js'
import { type AlterIsr, Partition } from './partition.js'
import { partitionKey } from './partition-key.js'
import type { ReplicaFetcherConfig } from './replica-fetcher.js'
import { ReplicaFetcherManager } from './replica-fetcher-manager.js'
import type { ReplicaSelector } from './replica-selector.js'
import {
  FOLLOWER_THROTTLED_REPLICAS,
  LEADER_THROTTLED_REPLICAS,
  type ReplicationThrottle
} from './replication-throttle.js'

export interface ReplicaManagerOptions {
  localBrokerId: number
  logManager: LogManager
  metadataCache: MetadataCache
  /** The log config of a topic: broker defaults with the topic's overrides. */
  logConfigFor: (topic: TopicRegistration) => LogConfig
  onError?: (err: unknown, what: string) => void
  /** Sends a leader's ISR change to the controller; without it the ISR never changes (a cluster of one). */
  alterIsr?: AlterIsr
  /** replica.lag.time.max.ms: a follower not caught up for this long leaves the ISR. */
  replicaLagTimeMaxMs?: number
  replicaFetcherConfig?: ReplicaFetcherConfig
  /** leader.replication.throttled.rate for followers outside the ISR (absent: unthrottled). */
  leaderReplicationThrottle?: ReplicationThrottle
  /** replica.selector.class (KIP-392); absent: every consumer reads from the leader. */
  replicaSelector?: ReplicaSelector
  /** The broker's pool for fetch reads (large reads are leased from it and released after the send). */
  fetchReadPool?: BufferPool
  /** TLS and SASL of the inter-broker listener, for the replica fetchers (plain TCP when absent). */
  interBrokerSecurity?: BrokerChannelSecurity
}

export { partitionKey }

/**
 * The partitions this broker hosts (Kafka's ReplicaManager): it follows the metadata cache, opening or
 * creating a log for each partition with a local replica and deleting the logs of deleted topics; it
 * appends produced records as leader and wakes fetches waiting in the purgatory when a high watermark moves.
 *
 * Ownership: one per broker, on its event loop.
 */
export class ReplicaManager {
  readonly fetchPurgatory = new DelayedOperationPurgatory()
  /** acks=all produces waiting for the ISR (DelayedProduce). */
  readonly producePurgatory = new DelayedOperationPurgatory()
  /** The leader side of the replication throttle, applied to follower reads by fetchMessages. */
  readonly leaderReplicationQuota: LeaderReplicationQuota
  /** Plain-number counters the admin listener's /metrics reads at scrape time. */
  readonly stats = new BrokerTopicStats()
  private readonly logReader: LogReader
  private readonly fetchReadPool: BufferPool
  private readonly fetcherManager: ReplicaFetcherManager
  private isrCheckTimer: NodeJS.Timeout | null = null
  private readonly partitions = new Map<string, Partition>()
  private readonly opening = new Map<string, Promise<Partition>>()
  private unsubscribe: Unsubscribe | null = null
  private readonly background = new Set<Promise<unknown>>()

  constructor(private readonly opts: ReplicaManagerOptions) {
    // A replica manager given no pool (tests, tools) keeps its own.
    this.fetchReadPool = opts.fetchReadPool ?? new BufferPool()
    this.leaderReplicationQuota = new LeaderReplicationQuota(
      opts.localBrokerId,
      (p) => opts.metadataCache.topicConfigs(p.topicId)[LEADER_THROTTLED_REPLICAS],
      opts.leaderReplicationThrottle
    )
    this.logReader = new LogReader({
      metadataCache: opts.metadataCache,
      getPartition: (topic, partition) => this.getPartition(topic, partition),
      leaderReplicationQuota: this.leaderReplicationQuota,
      replicaSelector: opts.replicaSelector,
      fetchReadPool: this.fetchReadPool
    })
    this.fetcherManager = new ReplicaFetcherManager({
      localBrokerId: opts.localBrokerId,
      endpointOf: (nodeId) => {
        const broker = opts.metadataCache.broker(nodeId)
        return broker && !broker.fenced ? { host: broker.host, port: broker.port } : undefined
      },
      onError: (err, what) => {
        this.stats.fetcherErrors++
        opts.onError?.(err, what)
      },
      config: opts.replicaFetcherConfig,
      // Consumers may read from this follower (KIP-392): its appends and high watermark wake their fetches.
      onFollowerAppend: (p) => this.fetchPurgatory.checkAndComplete(partitionKey(p.topic, p.partitionIndex)),
      followerThrottledReplicas: (p) =>
        opts.metadataCache.topicConfigs(p.topicId)[FOLLOWER_THROTTLED_REPLICAS],
      security: opts.interBrokerSecurity
    })
  }

  get localBrokerId(): number {
    return this.opts.localBrokerId
  }

  /** Opens the partitions of every known topic and deletes stray logs of topics that no longer exist. */
  async startup(): Promise<void> {
    const cache = this.opts.metadataCache
    this.unsubscribe = cache.subscribe((delta) => this.onDelta(delta))
    const known = new Set<string>()
    for (const topic of cache.topics()) {
      for (const p of topic.partitions) {
        known.add(partitionKey(topic.name, p.partitionIndex))
        if (p.replicas.includes(this.localBrokerId)) await this.open(topic, p.partitionIndex)
      }
    }
    for (const log of this.opts.logManager.allLogs) {
      const { topic, partition } = log.topicPartition
      if (!known.has(partitionKey(topic, partition))) await this.opts.logManager.deleteLog(topic, partition)
    }
    // Kafka checks for lagging followers at half the allowed lag.
    const maxLagMs = this.opts.replicaLagTimeMaxMs ?? 30_000
    this.isrCheckTimer = setInterval(
      () => {
        for (const partition of this.partitions.values()) partition.maybeShrinkIsr(maxLagMs)
      },
      Math.max(1, Math.floor(maxLagMs / 2))
    )
    this.isrCheckTimer.unref()
  }

  async shutdown(): Promise<void> {
    this.unsubscribe?.()
    if (this.isrCheckTimer) clearInterval(this.isrCheckTimer)
    await this.fetcherManager.shutdown()
    this.fetchPurgatory.shutdown()
    this.producePurgatory.shutdown()
    await Promise.allSettled([...this.background])
  }

  /**
   * The local partition, opened if the metadata has just created it. UNKNOWN_TOPIC_OR_PARTITION when the
   * metadata does not know it; NOT_LEADER_OR_FOLLOWER when this broker holds no replica of it.
   */
  /**
   * Re-reads every hosted log's config through `logConfigFor`: the broker defaults changed (a dynamic
   * log.* config, KIP-226), which topics without an override of their own take at once.
   */
  refreshLogConfigs(): void {
    for (const partition of this.partitions.values()) {
      const topic = this.opts.metadataCache.topicById(partition.topicId)
      if (topic !== undefined) partition.log.updateConfig(this.opts.logConfigFor(topic))
    }
  }

  async getPartition(topicName: string, partitionIndex: number): Promise<Partition> {
    const key = partitionKey(topicName, partitionIndex)
    const existing = this.partitions.get(key)
    if (existing) return existing
    const topic = this.opts.metadataCache.topicByName(topicName)
    const registration = topic?.partitions[partitionIndex]
    if (topic === undefined || registration === undefined) {
      throw new KafkaError(
        ErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
        `${topicName}-${partitionIndex} does not exist`
      )
    }
    if (!registration.replicas.includes(this.localBrokerId)) {
      throw new KafkaError(ErrorCode.NOT_LEADER_OR_FOLLOWER, `no replica of ${key} on this broker`)
    }
    return this.open(topic, partitionIndex)
  }

  /** The partitions open on this broker (for metrics and the admin API; read, never mutate). */
  allPartitions(): IterableIterator<Partition> {
    return this.partitions.values()
  }

  /** The local partition if it is already open (synchronous, for the delayed-fetch checks). */
  onlinePartition(topicName: string, partitionIndex: number): Partition | undefined {
    return this.partitions.get(partitionKey(topicName, partitionIndex))
  }

  /**
   * Fetch (Kafka's ReplicaManager.fetchMessages): reads the partitions, in request order, as a follower
   * (replicaId >= 0, up to the log end, recording its fetch position) or a consumer (up to the high
   * watermark or last stable offset). A fetch that finds fewer than min.bytes, and nothing the fetcher must
   * hear at once (an error, a diverging epoch, a preferred read replica), waits in the fetch purgatory as a
   * DelayedFetch until appends bring enough bytes or max.wait.ms passes, then reads again.
   *
   * The answer has one entry per requested partition, in order. Records of large reads view buffers leased
   * from the fetch read pool: whoever writes them out releases them.
   */
  async fetchMessages(
    params: FetchParams,
    partitions: readonly FetchPartitionRequest[],
    /** Told the bounds (performance.now()) of a wait in the purgatory, for the request's remote time. */
    onWait?: (start: number, end: number) => void
  ): Promise<FetchPartitionData[]> {
    const first = await this.logReader.readFromLog(params, partitions)
    const answerNow =
      params.maxWaitMs <= 0 || partitions.length === 0 || first.bytes >= params.minBytes || first.answerNow
    if (answerNow)
      return this.countFetched(
        params,
        partitions,
        first.reads.map((r) => r.data)
      )
    const watched = DelayedFetch.statusOf(
      partitions.map((p) => (p.topic === undefined ? undefined : this.onlinePartition(p.topic, p.partition))),
      first.reads.map((r) => r.endOffset)
    )
    const waitStart = performance.now()
    await new Promise<void>((resolve) => {
      const delayed = new DelayedFetch(
        watched,
        params.isolation,
        params.minBytes - first.bytes,
        params.maxWaitMs,
        () => resolve()
      )
      this.fetchPurgatory.tryCompleteElseWatch(delayed, delayed.keys)
    })
    onWait?.(waitStart, performance.now())
    // The first read is answered by the second: its pooled bytes are never written anywhere.
    releaseReads(first.reads, this.fetchReadPool)
    const second = await this.logReader.readFromLog(params, partitions)
    return this.countFetched(
      params,
      partitions,
      second.reads.map((r) => r.data)
    )
  }

  /** Consumer fetches count toward BytesOut and FailedFetchRequests; follower fetches do not. */
  private countFetched(
    params: FetchParams,
    partitions: readonly FetchPartitionRequest[],
    data: FetchPartitionData[]
  ): FetchPartitionData[] {
    if (params.replicaId >= 0) return data
    for (let i = 0; i < data.length; i++) {
      const topic = partitions[i]?.topic
      const d = data[i]!
      if (topic === undefined) continue
      const s = this.stats.of(topic)
      s.bytesOut += d.records.length
      if (d.errorCode !== 0) s.failedFetchRequests++
    }
    return data
  }

  /**
   * Appends as leader. With acks=all and a `timeoutMs` (the produce request's), the answer waits in the
   * produce purgatory until the ISR holds the records; the KafkaError of a failed wait is thrown.
   */
  async appendRecords(
    topic: string,
    partitionIndex: number,
    records: Buffer,
    requiredAcks: number,
    timeoutMs?: number,
    /** Told the bounds (performance.now()) of an acks=all wait, for the request's remote time. */
    onWait?: (start: number, end: number) => void
  ): Promise<LogAppendInfo> {
    let info: LogAppendInfo
    let partition: Partition
    try {
      partition = await this.getPartition(topic, partitionIndex)
      info = await partition.appendRecordsToLeader(records, requiredAcks)
    } catch (err) {
      // Only topics that exist get an entry, so requests naming random topics cannot grow the map.
      if (this.opts.metadataCache.topicByName(topic)) this.stats.of(topic).failedProduceRequests++
      throw err
    }
    const stats = this.stats.of(topic)
    stats.bytesIn += records.length
    stats.messagesIn += info.recordsCount
    // Parked follower fetches read up to the log end: they take the records now, and their next fetch
    // moves the high watermark that acks=all waits for (Kafka's addCompletePurgatoryAction).
    this.fetchPurgatory.checkAndComplete(partitionKey(topic, partitionIndex))
    if (requiredAcks !== -1 || timeoutMs === undefined) return info
    const waitStart = performance.now()
    const error = await new Promise<Error | null>((resolve) => {
      this.producePurgatory.tryCompleteElseWatch(
        new DelayedProduce(partition, info.lastOffset + 1, timeoutMs, resolve),
        [partitionKey(topic, partitionIndex)]
      )
    })
    onWait?.(waitStart, performance.now())
    if (error) throw error
    return info
  }

  private open(topic: TopicRegistration, partitionIndex: number): Promise<Partition> {
    const key = partitionKey(topic.name, partitionIndex)
    const existing = this.partitions.get(key)
    if (existing) return Promise.resolve(existing)
    let pending = this.opening.get(key)
    if (pending === undefined) {
      pending = (async () => {
        const log = await this.opts.logManager.getOrCreateLog(
          topic.name,
          partitionIndex,
          this.opts.logConfigFor(topic)
        )
        const registration = topic.partitions[partitionIndex]!
        const partition = new Partition(
          topic.name,
          topic.topicId,
          this.localBrokerId,
          log,
          registration,
          (p) => this.onHighWatermarkChange(p),
          this.countedAlterIsr
        )
        // The topic's registration may have changed while the log opened.
        const latest = this.opts.metadataCache.partition(topic.name, partitionIndex)
        if (latest) partition.updateRegistration(latest)
        this.partitions.set(key, partition)
        this.applyRole(key, partition)
        partition.maybeIncrementHighWatermark()
        return partition
      })()
      this.opening.set(key, pending)
      pending.then(
        () => this.opening.delete(key),
        () => this.opening.delete(key)
      )
    }
    return pending
  }

  /** The AlterIsr callback, counting the changes the controller applied (IsrShrinks/IsrExpands). */
  private get countedAlterIsr(): AlterIsr | undefined {
    const alterIsr = this.opts.alterIsr
    if (alterIsr === undefined) return undefined
    return async (partition, newIsr) => {
      const shrink = newIsr.length < partition.registration.isr.length
      await alterIsr(partition, newIsr)
      if (shrink) this.stats.isrShrinks++
      else this.stats.isrExpands++
    }
  }

  private onHighWatermarkChange(p: Partition): void {
    const key = partitionKey(p.topic, p.partitionIndex)
    this.fetchPurgatory.checkAndComplete(key)
    this.producePurgatory.checkAndComplete(key)
  }

  /** Followers fetch from their leader; leaders (and offline partitions) fetch from no one. */
  private applyRole(key: string, partition: Partition): void {
    if (partition.isFollower) this.fetcherManager.addFetcherForPartition(key, partition)
    else this.fetcherManager.removeFetcherForPartition(key)
  }

  private track(what: string, work: Promise<unknown>): void {
    const p = work.catch((err: unknown) => this.opts.onError?.(err, what))
    this.background.add(p)
    p.finally(() => this.background.delete(p))
  }

  private onDelta(delta: MetadataDelta): void {
    const cache = this.opts.metadataCache
    switch (delta.type) {
      case 'topic-created':
      case 'partitions-created': {
        const topic = delta.type === 'topic-created' ? delta.topic : cache.topicById(delta.topicId)
        if (topic === undefined) return
        for (const p of topic.partitions) {
          if (p.replicas.includes(this.localBrokerId))
            this.track('open partition', this.open(topic, p.partitionIndex))
        }
        return
      }
      case 'topic-deleted': {
        for (const [key, partition] of this.partitions) {
          if (partition.topicId !== delta.topicId) continue
          this.stats.remove(partition.topic)
          this.partitions.delete(key)
          this.fetcherManager.removeFetcherForPartition(key)
          this.track('delete log', this.opts.logManager.deleteLog(partition.topic, partition.partitionIndex))
        }
        return
      }
      case 'partition-changed': {
        const topic = cache.topicById(delta.topicId)
        const partition =
          topic && this.partitions.get(partitionKey(topic.name, delta.partition.partitionIndex))
        const isReplica = delta.partition.replicas.includes(this.localBrokerId)
        if (topic && !partition && isReplica) {
          // A reassignment added this broker: the new replica starts as a follower and catches up.
          this.track('open partition', this.open(topic, delta.partition.partitionIndex))
          return
        }
        if (partition && !isReplica) {
          // A completed reassignment removed this replica: it stops fetching and its log is deleted.
          const key = partitionKey(partition.topic, partition.partitionIndex)
          // Its waiting produces and fetches see the new registration and answer NOT_LEADER_OR_FOLLOWER.
          partition.updateRegistration(delta.partition)
          this.partitions.delete(key)
          this.fetcherManager.removeFetcherForPartition(key)
          this.producePurgatory.checkAndComplete(key)
          this.fetchPurgatory.checkAndComplete(key)
          this.track('delete log', this.opts.logManager.deleteLog(partition.topic, partition.partitionIndex))
          return
        }
        if (partition) {
          partition.updateRegistration(delta.partition)
          const key = partitionKey(partition.topic, partition.partitionIndex)
          this.applyRole(key, partition)
          partition.maybeIncrementHighWatermark()
          // Waiting produces and fetches answer a leadership change, and re-check a shrunk ISR.
          this.producePurgatory.checkAndComplete(key)
          this.fetchPurgatory.checkAndComplete(key)
        }
        return
      }
      case 'topic-configs-changed': {
        const topic = cache.topicById(delta.topicId)
        if (topic === undefined) return
        const config = this.opts.logConfigFor(topic)
        for (const partition of this.partitions.values()) {
          if (partition.topicId === delta.topicId) partition.log.updateConfig(config)
        }
        return
      }
      default:
        return
    }
  }
}
