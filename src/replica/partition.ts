import type { PartitionRegistration, TopicId } from '../cluster/metadata-store.js'
import type { BufferPool } from '../common/buffer-pool.js'
import { ErrorCode, errorCodeOf, KafkaError } from '../protocol/error-codes.js'
import { ControlRecordType, createEndTxnMarkerBatch } from '../protocol/records/control-record.js'
import { encodeRecordBatch } from '../protocol/records/record-batch.js'
import {
  BATCH_LENGTH_OFFSET,
  LAST_OFFSET_DELTA_OFFSET,
  LOG_OVERHEAD,
  RECORD_BATCH_OVERHEAD
} from '../protocol/records/record-batch-header.js'
import type { AbortedTxn } from '../storage/transaction-index.js'
import type { FetchDataInfo, LogAppendInfo, UnifiedLog } from '../storage/unified-log.js'

/** Which offset bounds what a fetch may read: Kafka's FetchIsolation. */
export type FetchIsolation = 'log-end' | 'high-watermark' | 'txn-committed'

export interface PartitionReadResult {
  info: FetchDataInfo
  highWatermark: number
  lastStableOffset: number
  logStartOffset: number
  logEndOffset: number
  /** For 'txn-committed' reads: the aborted transactions overlapping the returned batches. */
  abortedTransactions: AbortedTxn[] | undefined
}

/** What the leader knows of one follower, from its fetches (Kafka's Replica state). */
interface FollowerState {
  /** The follower's fetch offset is its log end offset; -1 until it fetches under this leader epoch. */
  logEndOffset: number
  lastCaughtUpTimeMs: number
  lastFetchLeaderLogEndOffset: number
  lastFetchTimeMs: number
}

/** Asks the controller to change the ISR (AlterPartition); the result arrives as a metadata delta. */
export type AlterIsr = (partition: Partition, newIsr: readonly number[]) => Promise<void>

/**
 * One topic-partition on this broker: its log and its replica state (replicas, ISR, leader, leader epoch)
 * as the controller last published it. Kafka's `Partition`.
 *
 * A single broker is a cluster of one: the ISR is this broker alone, so the high watermark advances to the
 * log end offset as soon as an append returns. The follower-fetch path will advance it from follower
 * fetch positions instead; the code path (append, then maybe-advance the high watermark) is the same.
 *
 * Ownership: one event loop; the log serialises its own mutations.
 */
export class Partition {
  private state: PartitionRegistration
  private followers = new Map<number, FollowerState>()
  /**
   * The ISR this leader asked the controller for and has not seen committed yet. The high watermark counts
   * its members too (Kafka's maximal ISR): the controller may already act on an expanded ISR (finish a
   * reassignment, elect the added replica) before this leader hears of it, so nothing may be acknowledged
   * that the added replica lacks.
   */
  private pendingIsr: readonly number[] = []
  /** An AlterPartition is in flight: no other ISR change is asked for until it is answered. */
  private isrChangePending = false

  constructor(
    readonly topic: string,
    readonly topicId: TopicId,
    readonly localBrokerId: number,
    readonly log: UnifiedLog,
    state: PartitionRegistration,
    private readonly onHighWatermarkChange: (p: Partition) => void,
    private readonly alterIsr?: AlterIsr,
    /** The clock for follower fetch and catch-up times (replica.lag.time.max.ms); injected by tests. */
    private readonly now: () => number = Date.now
  ) {
    this.state = state
    this.resetFollowers()
  }

  get partitionIndex(): number {
    return this.state.partitionIndex
  }
  get leaderEpoch(): number {
    return this.state.leaderEpoch
  }
  get leaderId(): number {
    return this.state.leader
  }
  get registration(): PartitionRegistration {
    return this.state
  }
  get isLeader(): boolean {
    return this.state.leader === this.localBrokerId
  }
  get highWatermark(): number {
    return this.log.highWatermark
  }
  /** min(first offset of any open transaction, high watermark): the read_committed visible end. */
  get lastStableOffset(): number {
    return this.log.lastStableOffset
  }

  /** A follower replicates from the leader: this broker holds a replica and someone else leads. */
  get isFollower(): boolean {
    return this.state.leader >= 0 && !this.isLeader && this.state.replicas.includes(this.localBrokerId)
  }

  updateRegistration(state: PartitionRegistration): void {
    const previous = this.state
    this.state = state
    if (state.partitionEpoch !== previous.partitionEpoch) {
      this.isrChangePending = false
      this.pendingIsr = []
    }
    // A new leader epoch starts the followers' fetch state afresh, as Kafka's makeLeader does.
    if (state.leader !== previous.leader || state.leaderEpoch !== previous.leaderEpoch) this.resetFollowers()
    else this.trackReassignedFollowers()
  }

  /** A reassignment changed the replicas under the same leader: new followers start unknown, removed ones go. */
  private trackReassignedFollowers(now = this.now()): void {
    for (const id of this.followers.keys()) if (!this.state.replicas.includes(id)) this.followers.delete(id)
    for (const id of this.state.replicas) {
      if (id === this.localBrokerId || this.followers.has(id)) continue
      this.followers.set(id, {
        logEndOffset: -1,
        lastCaughtUpTimeMs: now,
        lastFetchLeaderLogEndOffset: -1,
        lastFetchTimeMs: now
      })
    }
  }

  private resetFollowers(now = this.now()): void {
    this.followers = new Map()
    for (const id of this.state.replicas) {
      if (id === this.localBrokerId) continue
      this.followers.set(id, {
        logEndOffset: -1,
        lastCaughtUpTimeMs: now,
        lastFetchLeaderLogEndOffset: -1,
        lastFetchTimeMs: now
      })
    }
  }

  /**
   * A follower fetched from `fetchOffset` (its log end offset): records how far it is, when it was last
   * caught up (Kafka's Replica.updateFetchState), asks for its return to the ISR once it reaches the high
   * watermark, and moves the high watermark.
   */
  updateFollowerFetchState(replicaId: number, fetchOffset: number, now = this.now()): void {
    this.requireLeader()
    const follower = this.followers.get(replicaId)
    if (follower === undefined) {
      throw new KafkaError(
        ErrorCode.REPLICA_NOT_AVAILABLE,
        `broker ${replicaId} holds no replica of ${this.topic}-${this.partitionIndex}`
      )
    }
    const leaderEnd = this.log.logEndOffset
    if (fetchOffset >= leaderEnd) {
      follower.lastCaughtUpTimeMs = Math.max(follower.lastCaughtUpTimeMs, now)
    } else if (fetchOffset >= follower.lastFetchLeaderLogEndOffset) {
      follower.lastCaughtUpTimeMs = Math.max(follower.lastCaughtUpTimeMs, follower.lastFetchTimeMs)
    }
    follower.logEndOffset = fetchOffset
    follower.lastFetchLeaderLogEndOffset = leaderEnd
    follower.lastFetchTimeMs = now
    if (!this.state.isr.includes(replicaId) && fetchOffset >= this.log.highWatermark) {
      this.requestIsrChange([...this.state.isr, replicaId])
    }
    this.maybeIncrementHighWatermark()
  }

  /** A follower's log end offset as its last fetch told this leader; -1 when unknown (KIP-392 selection). */
  followerLogEndOffset(replicaId: number): number {
    return this.followers.get(replicaId)?.logEndOffset ?? -1
  }

  /** Drops followers that have not caught up within `maxLagMs` from the ISR (Kafka's maybeShrinkIsr). */
  maybeShrinkIsr(maxLagMs: number, now = this.now()): void {
    if (!this.isLeader) return
    const outOfSync = this.state.isr.filter((id) => {
      if (id === this.localBrokerId) return false
      const follower = this.followers.get(id)
      return follower === undefined || now - follower.lastCaughtUpTimeMs > maxLagMs
    })
    if (outOfSync.length > 0) this.requestIsrChange(this.state.isr.filter((id) => !outOfSync.includes(id)))
  }

  private requestIsrChange(newIsr: readonly number[]): void {
    if (this.isrChangePending || this.alterIsr === undefined) return
    this.isrChangePending = true
    this.pendingIsr = newIsr
    this.alterIsr(this, newIsr).catch((err: unknown) => {
      // Otherwise pendingIsr stays until the metadata moves on: a lost answer may hide a change the
      // controller made. Rejected (stale partition epoch, fenced leader epoch, no controller): the next fetch
      // or lag check asks again against whatever the metadata says by then.
      this.isrChangePending = false
      const code = errorCodeOf(err)
      if (code === ErrorCode.INELIGIBLE_REPLICA || code === ErrorCode.OPERATION_NOT_ATTEMPTED) {
        // The controller surely changed nothing (Kafka resets to the committed ISR here). Kept, a replica
        // it refused (one in controlled shutdown that fetched once as follower and then exited) would hold
        // the high watermark at its last fetch offset for good, and every acks=all produce would time out.
        this.pendingIsr = []
        this.maybeIncrementHighWatermark()
      }
    })
  }

  /**
   * Appends batches fetched from the leader, keeping their offsets and epochs, then moves the high
   * watermark to the leader's, bounded by this replica's log end offset.
   */
  async appendRecordsToFollower(records: Buffer, leaderHighWatermark: number): Promise<void> {
    if (!this.isFollower) {
      throw new KafkaError(
        ErrorCode.NOT_LEADER_OR_FOLLOWER,
        `broker ${this.localBrokerId} does not follow ${this.topic}-${this.partitionIndex}`
      )
    }
    if (records.length > 0) {
      await this.log.append(records, { leaderEpoch: this.state.leaderEpoch, origin: 'replication' })
    }
    const hw = Math.min(leaderHighWatermark, this.log.logEndOffset)
    if (hw > this.log.highWatermark) this.log.highWatermark = hw
  }

  /**
   * Checks the client's view of the leader epoch (KIP-320): an older epoch is FENCED_LEADER_EPOCH, a newer
   * one UNKNOWN_LEADER_EPOCH (this broker has not caught up yet). -1 means the client does not know.
   */
  checkLeaderEpoch(currentLeaderEpoch: number): void {
    if (currentLeaderEpoch < 0) return
    if (currentLeaderEpoch < this.state.leaderEpoch) {
      throw new KafkaError(ErrorCode.FENCED_LEADER_EPOCH, `epoch ${currentLeaderEpoch} is fenced`)
    }
    if (currentLeaderEpoch > this.state.leaderEpoch) {
      throw new KafkaError(ErrorCode.UNKNOWN_LEADER_EPOCH, `epoch ${currentLeaderEpoch} is not known yet`)
    }
  }

  private requireLeader(): void {
    if (!this.isLeader) {
      throw new KafkaError(
        ErrorCode.NOT_LEADER_OR_FOLLOWER,
        `broker ${this.localBrokerId} is not the leader of ${this.topic}-${this.partitionIndex}`
      )
    }
  }

  /** Appends a client's batches as leader. acks=-1 requires min.insync.replicas in the ISR. */
  async appendRecordsToLeader(records: Buffer, requiredAcks: number): Promise<LogAppendInfo> {
    this.requireLeader()
    const minIsr = this.log.config.minInsyncReplicas
    if (requiredAcks === -1 && this.state.isr.length < minIsr) {
      throw new KafkaError(
        ErrorCode.NOT_ENOUGH_REPLICAS,
        `the ISR of ${this.topic}-${this.partitionIndex} has ${this.state.isr.length} replicas, below ${minIsr}`
      )
    }
    const info = await this.log.append(records, { leaderEpoch: this.state.leaderEpoch })
    this.maybeIncrementHighWatermark()
    return info
  }

  /**
   * Writes a transaction's COMMIT or ABORT marker (a control batch) as leader, for WriteTxnMarkers. The log
   * (origin 'coordinator': no sequence checks) completes the producer's transaction, moving the last stable
   * offset and recording an abort in the transaction index; an older producer epoch is
   * INVALID_PRODUCER_EPOCH and an older coordinator epoch than the last marker's TRANSACTION_COORDINATOR_FENCED.
   */
  async appendTxnMarker(
    producerId: bigint,
    producerEpoch: number,
    coordinatorEpoch: number,
    commit: boolean
  ): Promise<void> {
    this.requireLeader()
    const batch = await encodeRecordBatch(
      createEndTxnMarkerBatch({
        marker: { type: commit ? ControlRecordType.COMMIT : ControlRecordType.ABORT, coordinatorEpoch },
        producerId,
        producerEpoch,
        timestamp: BigInt(Date.now())
      })
    )
    await this.log.append(batch, { leaderEpoch: this.state.leaderEpoch, origin: 'coordinator' })
    this.maybeIncrementHighWatermark()
  }

  /**
   * KIP-890 part 1 (the simple rule): the transaction coordinator calls this when AddPartitionsToTxn adds
   * this partition to the producer's transaction; until then the log rejects the producer's first
   * transactional batch with INVALID_TXN_STATE.
   */
  beginTxnVerification(producerId: bigint, producerEpoch: number): void {
    this.log.beginTxnVerification(producerId, producerEpoch)
  }

  /**
   * The high watermark is the smallest log end offset across the ISR, and never moves back. With this
   * broker as the only ISR member, that is its own log end offset; a follower that has not fetched under
   * the current leader epoch holds it where it is.
   */
  maybeIncrementHighWatermark(): void {
    if (!this.isLeader) return
    let hw = this.log.logEndOffset
    for (const id of new Set([...this.state.isr, ...this.pendingIsr])) {
      if (id === this.localBrokerId) continue
      const follower = this.followers.get(id)
      if (follower === undefined || follower.logEndOffset < 0) return
      hw = Math.min(hw, follower.logEndOffset)
    }
    if (hw > this.log.highWatermark) {
      this.log.highWatermark = hw
      this.onHighWatermarkChange(this)
    }
  }

  /**
   * Reads whole batches from `fetchOffset`, bounded by the isolation level's upper offset. With a pool the
   * records view a leased buffer that the caller releases once they are written out.
   */
  async read(
    fetchOffset: number,
    maxBytes: number,
    isolation: FetchIsolation,
    minOneMessage: boolean,
    pool?: BufferPool
  ): Promise<PartitionReadResult> {
    const log = this.log
    const highWatermark = log.highWatermark
    const lastStableOffset = log.lastStableOffset
    const maxOffset =
      isolation === 'log-end'
        ? log.logEndOffset
        : isolation === 'txn-committed'
          ? lastStableOffset
          : highWatermark
    const info = await log.read(fetchOffset, maxBytes, { maxOffset, minOneMessage, pool })
    let abortedTransactions: AbortedTxn[] | undefined
    if (isolation === 'txn-committed') {
      const upperBound = nextOffsetAfter(info.records)
      abortedTransactions =
        upperBound === undefined ? [] : log.collectAbortedTransactions(fetchOffset, upperBound)
    }
    return {
      info,
      highWatermark,
      lastStableOffset,
      logStartOffset: log.logStartOffset,
      logEndOffset: log.logEndOffset,
      abortedTransactions
    }
  }
}

/** The offset after the last whole batch in `records`, or undefined when there is none. */
function nextOffsetAfter(records: Buffer): number | undefined {
  let next: number | undefined
  for (let pos = 0; pos + RECORD_BATCH_OVERHEAD <= records.length; ) {
    const size = records.readInt32BE(pos + BATCH_LENGTH_OFFSET) + LOG_OVERHEAD
    if (pos + size > records.length) break
    next = Number(records.readBigInt64BE(pos)) + records.readInt32BE(pos + LAST_OFFSET_DELTA_OFFSET) + 1
    pos += size
  }
  return next
}
