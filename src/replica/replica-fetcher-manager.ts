import type { BrokerChannelSecurity } from '../network/broker-channel-security.js'
import type { Partition } from './partition.js'
import {
  DEFAULT_REPLICA_FETCHER_CONFIG,
  ReplicaFetcher,
  type ReplicaFetcherConfig
} from './replica-fetcher.js'

export interface ReplicaFetcherManagerOptions {
  readonly localBrokerId: number
  /** The advertised endpoint of a live broker, undefined when it is unknown or fenced. */
  readonly endpointOf: (nodeId: number) => { host: string; port: number } | undefined
  readonly onError: (err: unknown, what: string) => void
  readonly config?: ReplicaFetcherConfig
  /** After a fetcher appended records or took a new high watermark for `partition`. */
  readonly onFollowerAppend?: (partition: Partition) => void
  /** The topic's follower.replication.throttled.replicas value, if set. */
  readonly followerThrottledReplicas?: (partition: Partition) => string | undefined
  /** TLS and SASL of the inter-broker listener (plain TCP when absent). */
  readonly security?: BrokerChannelSecurity
}

/**
 * Assigns each followed partition to the fetcher of its leader, one fetcher (one connection, one fetch
 * loop) per leader broker (Kafka's ReplicaFetcherManager with one fetcher per source broker). A partition
 * whose leader or leader epoch changes moves to the right fetcher and truncates again there.
 *
 * Ownership: the replica manager's, on the broker's event loop.
 */
export class ReplicaFetcherManager {
  private readonly fetchers = new Map<number, ReplicaFetcher>()
  /** Partition key → the leader it is fetched from. */
  private readonly assigned = new Map<string, number>()

  constructor(private readonly options: ReplicaFetcherManagerOptions) {}

  addFetcherForPartition(key: string, partition: Partition): void {
    const leaderId = partition.leaderId
    const previous = this.assigned.get(key)
    if (previous !== undefined && previous !== leaderId) this.removeFetcherForPartition(key)
    let fetcher = this.fetchers.get(leaderId)
    if (fetcher === undefined) {
      fetcher = new ReplicaFetcher(
        this.options.localBrokerId,
        leaderId,
        () => this.options.endpointOf(leaderId),
        this.options.onError,
        this.options.config ?? DEFAULT_REPLICA_FETCHER_CONFIG,
        this.options.onFollowerAppend,
        this.options.followerThrottledReplicas,
        this.options.security
      )
      this.fetchers.set(leaderId, fetcher)
    }
    this.assigned.set(key, leaderId)
    fetcher.addPartition(partition)
  }

  removeFetcherForPartition(key: string): void {
    const leaderId = this.assigned.get(key)
    if (leaderId === undefined) return
    this.assigned.delete(key)
    const fetcher = this.fetchers.get(leaderId)
    if (fetcher === undefined) return
    fetcher.removePartition(key)
    if (fetcher.size === 0) {
      this.fetchers.delete(leaderId)
      fetcher.shutdown().catch((err: unknown) => this.options.onError(err, 'stopping a replica fetcher'))
    }
  }

  async shutdown(): Promise<void> {
    const fetchers = [...this.fetchers.values()]
    this.fetchers.clear()
    this.assigned.clear()
    await Promise.allSettled(fetchers.map((f) => f.shutdown()))
  }
}
