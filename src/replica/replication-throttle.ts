/** The topic config naming the replicas a leader throttles (Kafka's LeaderReplicationThrottledReplicasProp). */
export const LEADER_THROTTLED_REPLICAS = 'leader.replication.throttled.replicas'
/** The topic config naming the replicas a follower throttles (FollowerReplicationThrottledReplicasProp). */
export const FOLLOWER_THROTTLED_REPLICAS = 'follower.replication.throttled.replicas'

/**
 * Whether a `*.replication.throttled.replicas` value throttles `partitionIndex` on `brokerId`: Kafka's
 * format is `*` (every replica) or a list of `partitionId:brokerId`, and a broker applies only the entries
 * that name itself (ConfigHandler.parseThrottledPartitions). Malformed entries throttle nothing.
 */
export function isThrottledReplica(
  value: string | undefined,
  partitionIndex: number,
  brokerId: number
): boolean {
  const list = value?.trim() ?? ''
  if (list === '') return false
  if (list === '*') return true
  return list.split(',').some((entry) => {
    const [partition, broker] = entry.trim().split(':')
    return Number(partition) === partitionIndex && Number(broker) === brokerId
  })
}

/**
 * The follower side's choice (Kafka's shouldFollowerThrottle, before the quota itself): this broker's replica
 * is outside the ISR, catching up, and its topic's follower.replication.throttled.replicas names it.
 */
export function isFollowerThrottled(
  isr: readonly number[],
  partitionIndex: number,
  localBrokerId: number,
  throttledReplicas: string | undefined
): boolean {
  return !isr.includes(localBrokerId) && isThrottledReplica(throttledReplicas, partitionIndex, localBrokerId)
}

/**
 * A token bucket on replication bytes (bytes/s). On the follower side (follower.replication.throttled.rate)
 * one is shared by all of a broker's replica fetchers: replicas that are catching up (not in the ISR, such
 * as the adding replicas of a reassignment) and that their topic names in
 * follower.replication.throttled.replicas fetch only while the bucket has tokens, so a reassignment cannot
 * starve client traffic. On the leader side (leader.replication.throttled.rate, see
 * leader-replication-quota.ts) one bounds the bytes served to such followers. In-sync replicas are never
 * throttled: that would hold back acks=all produces.
 *
 * Event loop: plain arithmetic on the clock; callers wait with their own timers.
 */
export class ReplicationThrottle {
  private tokens: number
  private refilledAt: number

  private rate: number

  constructor(
    bytesPerSecond: number,
    private readonly now: () => number = Date.now
  ) {
    this.rate = bytesPerSecond
    this.tokens = bytesPerSecond
    this.refilledAt = now()
  }

  get bytesPerSecond(): number {
    return this.rate
  }

  /**
   * A new rate (a dynamic leader/follower.replication.throttled.rate, KIP-226); Kafka's Long.MAX_VALUE (any
   * rate at or beyond 2^53) means unthrottled. The bucket starts over with one second's worth.
   */
  setRate(bytesPerSecond: number): void {
    this.rate = bytesPerSecond
    this.tokens = bytesPerSecond
    this.refilledAt = this.now()
  }

  /** Whether throttled replicas may fetch now. */
  hasCapacity(): boolean {
    this.refill()
    return this.tokens > 0
  }

  /** Bytes a throttled replica just received; the bucket may go negative (one response overshoots). */
  record(bytes: number): void {
    this.refill()
    this.tokens -= bytes
  }

  /** How long until the bucket has tokens again (at least 10 ms, at most 1 s per wait). */
  waitMs(): number {
    this.refill()
    if (this.tokens > 0) return 0
    return Math.min(1000, Math.max(10, Math.ceil((-this.tokens * 1000) / this.bytesPerSecond)))
  }

  private refill(): void {
    const now = this.now()
    // At most one second of burst, as Kafka's quota windows allow.
    this.tokens = Math.min(
      this.bytesPerSecond,
      this.tokens + ((now - this.refilledAt) * this.bytesPerSecond) / 1000
    )
    this.refilledAt = now
  }
}
