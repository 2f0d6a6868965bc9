import type { DelayedOperation } from './delayed-operation-purgatory.js'
import type { FetchIsolation, Partition } from './partition.js'
import { partitionKey } from './partition-key.js'

/** A parked fetch's view of one partition as the first read left it (Kafka's FetchPartitionStatus). */
export interface FetchPartitionStatus {
  partition: Partition
  /** The offset the first read could reach (its LogReadResult.endOffset); -1 when that read failed. */
  endOffset: number
  sizeAtStart: number
  epochAtStart: number
  wasLeader: boolean
}

/**
 * A fetch waiting until its partitions could give `neededBytes` more bytes, or until max.wait.ms (Kafka's
 * DelayedFetch). Appends and high watermark moves wake it through the replica manager's fetch purgatory,
 * and it completes only when what this fetch may read grew: a follower's log end, a consumer's high
 * watermark or last stable offset. So an append wakes a parked follower at once, while consumers at the high
 * watermark sleep on until the ISR has the records. The bytes are the log's growth, an estimate (Kafka
 * counts file positions). A leadership change, or a log truncated below what was read, completes it at once:
 * the fetcher must hear the new leader or the out-of-range offset now.
 *
 * Completion only signals `done`; the replica manager then reads the partitions again for the answer.
 *
 * Ownership: the replica manager's fetch purgatory, on the broker's event loop.
 */
export class DelayedFetch implements DelayedOperation {
  readonly deadline: number

  constructor(
    private readonly watched: readonly FetchPartitionStatus[],
    private readonly isolation: FetchIsolation,
    private readonly neededBytes: number,
    maxWaitMs: number,
    private readonly done: (expired: boolean) => void
  ) {
    this.deadline = Date.now() + maxWaitMs
  }

  /**
   * The status of each partition now, for a fetch whose first read reached `endOffsets` (in the same
   * order); partitions that are not online here are not watched.
   */
  static statusOf(
    partitions: readonly (Partition | undefined)[],
    endOffsets: readonly number[]
  ): FetchPartitionStatus[] {
    const watched: FetchPartitionStatus[] = []
    partitions.forEach((p, i) => {
      if (p === undefined) return
      watched.push({
        partition: p,
        endOffset: endOffsets[i] ?? -1,
        sizeAtStart: p.logSize,
        epochAtStart: p.leaderEpoch,
        wasLeader: p.isLeader
      })
    })
    return watched
  }

  /** The purgatory keys that wake this fetch. */
  get keys(): string[] {
    return this.watched.map((w) => partitionKey(w.partition.topic, w.partition.partitionIndex))
  }

  tryComplete(): boolean {
    let grown = 0
    for (const w of this.watched) {
      // A leadership change must answer now, so that the client learns the new leader.
      const p = w.partition
      if (p.isLeader !== w.wasLeader || p.leaderEpoch !== w.epochAtStart) return true
      const end = p.readableEnd(this.isolation)
      // Truncated below what was read: the fetch offset may be out of range now.
      if (end < w.endOffset) return true
      if (end > w.endOffset) grown += Math.max(1, p.logSize - w.sizeAtStart)
    }
    return grown >= this.neededBytes
  }

  onComplete(expired: boolean): void {
    this.done(expired)
  }
}
