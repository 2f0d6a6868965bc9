import type { Partition } from './partition.js'
import { isThrottledReplica, type ReplicationThrottle } from './replication-throttle.js'

/**
 * The leader side of the replication throttle (leader.replication.throttled.rate with the topic's
 * leader.replication.throttled.replicas; Kafka's leader ReplicationQuotaManager): bytes this broker serves to
 * follower fetches of throttled partitions share one token bucket. A follower outside the ISR (an adding
 * replica of a reassignment, a replica catching up after a restart) gets no records while the bucket is
 * empty, as Kafka's shouldLeaderThrottle returns empty records; in-sync followers are never throttled, since
 * acks=all produces wait on them.
 *
 * Event loop: synchronous arithmetic, called from the Fetch handler for each follower partition read.
 */
export class LeaderReplicationQuota {
  constructor(
    private readonly localBrokerId: number,
    /** The topic's leader.replication.throttled.replicas value, if set. */
    private readonly throttledReplicas: (partition: Partition) => string | undefined,
    private readonly throttle?: ReplicationThrottle
  ) {}

  /** Whether reads of `partition` for follower `replicaId` count against the leader's quota. */
  isThrottled(partition: Partition, replicaId: number): boolean {
    if (this.throttle === undefined || replicaId < 0) return false
    if (partition.registration.isr.includes(replicaId)) return false
    return isThrottledReplica(this.throttledReplicas(partition), partition.partitionIndex, this.localBrokerId)
  }

  /**
   * The bytes a follower fetch may read from `partition` now: `maxBytes` when unthrottled; 0 while the
   * quota is used up; otherwise at most one second's worth, so one response overshoots the rate by little.
   */
  fetchLimit(partition: Partition, replicaId: number, maxBytes: number): number {
    const throttle = this.throttle
    if (throttle === undefined || !this.isThrottled(partition, replicaId)) return maxBytes
    if (!throttle.hasCapacity()) return 0
    return Math.min(maxBytes, throttle.bytesPerSecond)
  }

  /** Bytes just read for follower `replicaId`: throttled reads take them from the bucket. */
  record(partition: Partition, replicaId: number, bytes: number): void {
    if (bytes > 0 && this.isThrottled(partition, replicaId)) this.throttle?.record(bytes)
  }
}
