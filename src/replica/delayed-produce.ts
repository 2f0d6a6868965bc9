import { ErrorCode, KafkaError } from '../protocol/error-codes.js'
import type { DelayedOperation } from './delayed-operation-purgatory.js'
import type { Partition } from './partition.js'

/**
 * An acks=all append waiting for the ISR to hold its records (Kafka's DelayedProduce, for one partition):
 * it completes when the high watermark passes `requiredOffset`, with NOT_ENOUGH_REPLICAS_AFTER_APPEND when
 * the ISR shrank below min.insync.replicas meanwhile; with NOT_LEADER_OR_FOLLOWER when leadership moved
 * (the records may be truncated by the new leader); with REQUEST_TIMED_OUT when the produce timeout passes.
 *
 * Ownership: the replica manager's produce purgatory, on the broker's event loop.
 */
export class DelayedProduce implements DelayedOperation {
  readonly deadline: number
  private readonly leaderEpoch: number
  private outcome: KafkaError | null = null

  constructor(
    private readonly partition: Partition,
    /** The offset after the appended batch: the high watermark must reach it. */
    private readonly requiredOffset: number,
    timeoutMs: number,
    private readonly done: (error: KafkaError | null) => void,
    /** The purgatory's clock, which expires the operation at `deadline`. */
    now: () => number = Date.now
  ) {
    this.deadline = now() + Math.max(0, timeoutMs)
    this.leaderEpoch = partition.leaderEpoch
  }

  tryComplete(): boolean {
    const p = this.partition
    if (!p.isLeader || p.leaderEpoch !== this.leaderEpoch) {
      this.outcome = new KafkaError(
        ErrorCode.NOT_LEADER_OR_FOLLOWER,
        `leadership of ${p.topic}-${p.partitionIndex} moved while waiting for the ISR`
      )
      return true
    }
    if (p.highWatermark < this.requiredOffset) return false
    const minIsr = p.log.config.minInsyncReplicas
    const isrSize = p.registration.isr.length
    this.outcome =
      isrSize < minIsr
        ? new KafkaError(
            ErrorCode.NOT_ENOUGH_REPLICAS_AFTER_APPEND,
            `the ISR of ${p.topic}-${p.partitionIndex} shrank to ${isrSize}, below min.insync.replicas ${minIsr}`
          )
        : null
    return true
  }

  onComplete(expired: boolean): void {
    if (expired) {
      const p = this.partition
      this.done(
        new KafkaError(
          ErrorCode.REQUEST_TIMED_OUT,
          `the ISR of ${p.topic}-${p.partitionIndex} did not reach offset ${this.requiredOffset} in time`
        )
      )
    } else this.done(this.outcome)
  }
}
