import { dirname } from 'node:path'
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
import type { ProducerStateEntry } from '../storage/producer-state-entry.js'
import type { AbortedTxn } from '../storage/transaction-index.js'
import {
  EARLIEST_LOCAL_TIMESTAMP,
  EARLIEST_TIMESTAMP,
  type FetchDataInfo,
  LATEST_TIMESTAMP,
  type LogAppendInfo,
  MAX_TIMESTAMP,
  type UnifiedLog
} from '../storage/unified-log.js'

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

/** ListOffsets' LATEST_TIERED_TIMESTAMP (KIP-1005): without tiered storage, the same as LATEST. */
export const LATEST_TIERED_TIMESTAMP = -5

/** An offset found for ListOffsets; all -1 when there is none. */
export interface OffsetAndTimestamp {
  offset: number
  timestamp: number
  leaderEpoch: number
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
    this.recordLeaderEpochStart()
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
  get logStartOffset(): number {
    return this.log.logStartOffset
  }
  get logEndOffset(): number {
    return this.log.logEndOffset
  }
  /** Bytes of the log's segments (DescribeLogDirs, and the delayed fetch's growth estimate). */
  get logSize(): number {
    return this.log.size
  }
  /** The log dir that holds this partition's directory (DescribeLogDirs). */
  get logDir(): string {
    return dirname(this.log.dir)
  }
  /** Producers with state in the log, for DescribeProducers. */
  get activeProducers(): ProducerStateEntry[] {
    return [...this.log.producerStateManager.activeProducers.values()]
  }

  /** What a fetch at `isolation` may read up to: Kafka's FetchIsolation bound. */
  readableEnd(isolation: FetchIsolation): number {
    return isolation === 'log-end'
      ? this.log.logEndOffset
      : isolation === 'txn-committed'
        ? this.log.lastStableOffset
        : this.log.highWatermark
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
    if (state.leader !== previous.leader || state.leaderEpoch !== previous.leaderEpoch) {
      this.resetFollowers()
      this.recordLeaderEpochStart()
    } else this.trackReassignedFollowers()
  }

  /**
   * As leader, the epoch starts at the log end now, as Kafka's makeLeader records it: until the first
   * append, a follower asking OffsetForLeaderEpoch about its own newer epoch would otherwise hear
   * "unknown" and keep a tail that diverges from this log.
   */
  private recordLeaderEpochStart(): void {
    if (this.isLeader) this.log.leaderEpochCache.assign(this.state.leaderEpoch, this.log.logEndOffset)
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

  /** NOT_LEADER_OR_FOLLOWER unless this broker leads the partition: the check of leader-only requests. */
  requireLeader(): void {
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
   * KIP-320 (Kafka's Partition.readRecords): a fetcher whose last fetched epoch ends, in this leader's epoch
   * cache, before its fetch offset (or is not the leader's at all) holds records the leader does not; it is
   * told where the shared history ends instead of being sent records. An epoch the cache cannot place, or an
   * offset below the log start, is OFFSET_OUT_OF_RANGE. Undefined when the histories agree.
   */
  divergingEpoch(
    lastFetchedEpoch: number,
    fetchOffset: number
  ): { epoch: number; endOffset: number } | undefined {
    const log = this.log
    const end = log.leaderEpochCache.endOffsetFor(lastFetchedEpoch, log.logEndOffset)
    if (end.epoch < 0 || end.endOffset < 0) {
      throw new KafkaError(
        ErrorCode.OFFSET_OUT_OF_RANGE,
        `cannot find the end offset of epoch ${lastFetchedEpoch} in ${this.topic}-${this.partitionIndex}`
      )
    }
    if (fetchOffset < log.logStartOffset) {
      throw new KafkaError(
        ErrorCode.OFFSET_OUT_OF_RANGE,
        `offset ${fetchOffset} is below the log start ${log.logStartOffset} of ${this.topic}-${this.partitionIndex}`
      )
    }
    if (end.epoch < lastFetchedEpoch || end.endOffset < fetchOffset) return end
    return undefined
  }

  /**
   * OffsetForLeaderEpoch (Kafka's Partition.lastOffsetForLeaderEpoch): the largest epoch at most
   * `leaderEpoch` in the epoch cache and the offset where it ends, after checking the caller's view of the
   * current leader epoch; `fetchOnlyFromLeader` refuses a follower. Both -1 when the cache knows no such epoch.
   */
  lastOffsetForLeaderEpoch(
    currentLeaderEpoch: number,
    leaderEpoch: number,
    fetchOnlyFromLeader: boolean
  ): { epoch: number; endOffset: number } {
    this.checkLeaderEpoch(currentLeaderEpoch)
    if (fetchOnlyFromLeader) this.requireLeader()
    return this.log.leaderEpochCache.endOffsetFor(leaderEpoch, this.log.logEndOffset)
  }

  /**
   * ListOffsets as leader (Kafka's Partition.fetchOffsetForTimestamp): LATEST (and LATEST_TIERED) is the
   * visible end, EARLIEST (and EARLIEST_LOCAL) the log start, MAX_TIMESTAMP and real timestamps a record
   * found in the log, which a consumer may only be told of below the visible end: the high watermark, or
   * the last stable offset for read_committed. Other negative timestamps are UNSUPPORTED_VERSION.
   */
  async fetchOffsetForTimestamp(
    timestamp: number,
    isolation: 'high-watermark' | 'txn-committed',
    currentLeaderEpoch: number
  ): Promise<OffsetAndTimestamp> {
    this.requireLeader()
    this.checkLeaderEpoch(currentLeaderEpoch)
    const log = this.log
    const visibleEnd = this.readableEnd(isolation)
    if (timestamp === LATEST_TIMESTAMP || timestamp === LATEST_TIERED_TIMESTAMP) {
      return { offset: visibleEnd, timestamp: -1, leaderEpoch: this.leaderEpoch }
    }
    if (timestamp === EARLIEST_TIMESTAMP || timestamp === EARLIEST_LOCAL_TIMESTAMP) {
      const start = log.logStartOffset
      return { offset: start, timestamp: -1, leaderEpoch: log.leaderEpochCache.epochForOffset(start) ?? -1 }
    }
    if (timestamp < MAX_TIMESTAMP) {
      throw new KafkaError(ErrorCode.UNSUPPORTED_VERSION, `unknown special timestamp ${timestamp}`)
    }
    const found = await log.fetchOffsetByTimestamp(timestamp)
    if (found === undefined || found.offset >= visibleEnd)
      return { offset: -1, timestamp: -1, leaderEpoch: -1 }
    return { offset: found.offset, timestamp: found.timestamp, leaderEpoch: found.leaderEpoch ?? -1 }
  }

  /**
   * DeleteRecords as leader (Kafka's Partition.deleteRecordsOnLeader): moves the log start up to `offset`
   * (-1: the high watermark) and returns the new low watermark. Only a log whose cleanup.policy includes
   * delete may lose records (POLICY_VIOLATION otherwise); other negative offsets are OFFSET_OUT_OF_RANGE.
   */
  async deleteRecordsBefore(offset: number): Promise<number> {
    this.requireLeader()
    if (!this.log.config.cleanupPolicy.includes('delete')) {
      throw new KafkaError(
        ErrorCode.POLICY_VIOLATION,
        `Records of partition ${this.topic}-${this.partitionIndex} can not be deleted due to the configured policy`
      )
    }
    if (offset < 0 && offset !== -1) {
      throw new KafkaError(ErrorCode.OFFSET_OUT_OF_RANGE, `offset ${offset} is not valid`)
    }
    return this.log.deleteRecordsBefore(offset)
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
