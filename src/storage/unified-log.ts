import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { syncDirectory } from '../common/atomic-file.js'
import { ErrorCode, KafkaError } from '../protocol/error-codes.js'
import { LeaderEpochFileCache } from './leader-epoch-file-cache.js'
import { type FetchDataInfo, LocalLog, type ReadOptions } from './local-log.js'
import type { LogConfig } from './log-config.js'
import type { LogLoadSummary } from './log-events.js'
import { CLEAN_SHUTDOWN_FILE, type TopicPartition } from './log-file-names.js'
import type { LogSegment } from './log-segment.js'
import { type AppendOrigin, validateAndAssignOffsets } from './log-validator.js'
import { ProducerStateManager } from './producer-state-manager.js'
import { replayProducerState } from './producer-state-replay.js'
import type { AbortedTxn } from './transaction-index.js'

export type { FetchDataInfo, ReadOptions } from './local-log.js'

/** ListOffsets sentinel timestamps. */
export const EARLIEST_TIMESTAMP = -2
export const LATEST_TIMESTAMP = -1
export const MAX_TIMESTAMP = -3
export const EARLIEST_LOCAL_TIMESTAMP = -4

export interface UnifiedLogOptions {
  /** The partition directory, `<log.dir>/<topic>-<partition>`. */
  dir: string
  topicPartition: TopicPartition
  config: LogConfig
  /** From recovery-point-offset-checkpoint: offsets below it were fsynced. */
  recoveryPoint?: number
  /** From log-start-offset-checkpoint. */
  logStartOffset?: number
  /** From replication-offset-checkpoint. */
  highWatermark?: number
  /** Wall clock in ms; injectable for tests. */
  time?: () => number
  /** producer.id.expiration.ms: idle producers are forgotten after this long. Default one day. */
  producerIdExpirationMs?: number
}

export interface AppendOptions {
  /** Stamped into each batch for client appends, and recorded in the leader epoch cache. */
  leaderEpoch: number
  /** 'replication' keeps the offsets and epochs already in the batches. Default 'client'. */
  origin?: AppendOrigin
}

export interface LogAppendInfo {
  baseOffset: number
  lastOffset: number
  maxTimestamp: number
  /** The broker's timestamp when message.timestamp.type=LogAppendTime, else -1. */
  logAppendTime: number
  logStartOffset: number
  recordsCount: number
}

export interface TimestampAndOffset {
  timestamp: number
  offset: number
  leaderEpoch: number | undefined
}

/**
 * The log of one topic-partition, as Kafka's UnifiedLog: the log semantics over a LocalLog (which holds the
 * segments, the log end, the recovery point and the directory). Here live the log start offset and the high
 * watermark, producer state and the last stable offset, the leader epoch cache, append validation and offset
 * assignment, the roll and flush policies, retention decisions, DeleteRecords and ListOffsets. Offsets and
 * timestamps are JS numbers (exact below 2^53) and callers convert the wire's bigints at the edge.
 *
 * Ownership and concurrency: one event loop owns a log. Every mutation (append, roll, truncateTo,
 * deleteRecordsBefore, deleteOldSegments, close) runs on one promise chain, so concurrent produce requests
 * to the same partition never interleave. Reads are not queued: they work on a snapshot of the segment list
 * and sizes and only ever see whole appended batches.
 *
 * Durability: an append returns once its bytes are written to the OS (page cache), not fsynced. fsync
 * happens (a) when `flush.messages` appends are unflushed, before those appends return; (b) when the owner
 * calls flushIfDue() and `flush.ms` has passed; (c) in the background after each segment roll, for the old
 * segment; (d) on close. Flushes are grouped: one fsync covers every append that finished before it started,
 * and callers waiting meanwhile share the next one. With Kafka's defaults (never), a machine crash can lose
 * acknowledged writes that were not yet replicated; a process crash loses nothing the OS accepted.
 */
export class UnifiedLog {
  readonly dir: string
  readonly topicPartition: TopicPartition
  readonly leaderEpochCache: LeaderEpochFileCache
  private readonly time: () => number
  /** The segments; set by open() before the log is shared. */
  private local!: LocalLog
  private startOffset = 0
  private hw = 0
  private chain: Promise<unknown> = Promise.resolve()
  /** Idempotent and transactional producer state; set by open() before the log is shared. */
  private psm!: ProducerStateManager

  private constructor(opts: UnifiedLogOptions) {
    this.dir = opts.dir
    this.topicPartition = opts.topicPartition
    this.time = opts.time ?? Date.now
    this.leaderEpochCache = new LeaderEpochFileCache(opts.dir)
  }

  /** Opens or creates the log, recovering it unless it was closed cleanly. */
  static async open(opts: UnifiedLogOptions): Promise<UnifiedLog> {
    const log = new UnifiedLog(opts)
    const epochs = log.leaderEpochCache
    await epochs.load()
    const local = await LocalLog.open({
      dir: opts.dir,
      topicPartition: opts.topicPartition,
      config: opts.config,
      time: log.time,
      recoveryPoint: opts.recoveryPoint ?? 0,
      logStartOffset: opts.logStartOffset ?? 0,
      onRecoveredBatch: (b) => epochs.assign(b.partitionLeaderEpoch, b.baseOffset),
      // Epochs below the new recovery point are not rebuilt by recovery, so they must be durable first.
      beforeRecoveryPointMoves: () => epochs.flush()
    })
    log.local = local
    log.startOffset = Math.max(opts.logStartOffset ?? 0, local.segments[0]!.baseOffset)
    log.hw = Math.min(Math.max(opts.highWatermark ?? 0, log.startOffset), local.logEndOffset)
    await epochs.truncateFromEnd(local.logEndOffset)
    await epochs.truncateFromStart(log.startOffset)
    // The recovery point may have moved past the epochs recovery found: they must be in the file now.
    await epochs.flush()
    log.psm = await ProducerStateManager.open({
      dir: log.dir,
      partition: `${log.topicPartition.topic}-${log.topicPartition.partition}`,
      ...(opts.producerIdExpirationMs !== undefined
        ? { producerIdExpirationMs: opts.producerIdExpirationMs }
        : {}),
      time: log.time,
      requireTxnVerification: true
    })
    // Snapshots past the first recovered segment may describe data recovery cut off, and the recovered
    // segments' transaction indexes are rebuilt by the replay: start from a snapshot at or below it.
    await log.reloadProducerState(local.firstRecoveredBaseOffset)
    return log
  }

  /**
   * Reloads producer state for the current segments: the latest snapshot within [logStart, logEnd], then
   * a replay of the batches after it. Called at open and after truncation, on the mutation chain.
   */
  private async reloadProducerState(rebuildFrom = this.local.logEndOffset): Promise<void> {
    const end = this.local.logEndOffset
    const txnIndexes = this.local.txnIndexes
    const upTo = Math.max(this.startOffset, Math.min(rebuildFrom, end))
    await this.psm.truncateAndReload(this.startOffset, upTo)
    // Entries for markers at or after the replay start are derived again by the replay.
    await txnIndexes.truncateTo(this.psm.mapEndOffset)
    await replayProducerState(this.psm, this.local.segments, async (aborted, segment) => {
      for (const txn of aborted) await txnIndexes.append(segment.baseOffset, txn)
    })
    this.psm.updateMapEndOffset(this.local.logEndOffset)
  }

  /** How the log came up at open (recovered or not, bytes truncated, time taken). */
  get loadSummary(): LogLoadSummary {
    return this.local.loadSummary
  }

  /**
   * The last stable offset: no consumer in read_committed may read at or past it, because a transaction
   * that is still open starts there (or the high watermark, when it is lower).
   */
  get lastStableOffset(): number {
    const firstUnstable = this.psm.firstUnstableOffset
    const lso = firstUnstable === undefined ? this.hw : Math.min(firstUnstable, this.hw)
    return Math.max(lso, this.startOffset)
  }

  /** Aborted transactions overlapping [fetchOffset, upperBoundOffset), for read_committed fetches. */
  collectAbortedTransactions(fetchOffset: number, upperBoundOffset: number): AbortedTxn[] {
    return this.local.collectAbortedTransactions(fetchOffset, upperBoundOffset)
  }

  /** KIP-890 part 1: the coordinator added this partition to the producer's transaction in this epoch. */
  beginTxnVerification(producerId: bigint, producerEpoch: number): void {
    this.psm.beginTxnVerification(producerId, producerEpoch)
  }

  /** The partition's producer state (idempotence and transactions); mutate only through this log. */
  get producerStateManager(): ProducerStateManager {
    return this.psm
  }

  get config(): LogConfig {
    return this.local.config
  }

  /** Takes effect for the next append, roll and retention check. */
  updateConfig(config: LogConfig): void {
    this.local.updateConfig(config)
  }

  get logStartOffset(): number {
    return this.startOffset
  }

  get logEndOffset(): number {
    return this.local.logEndOffset
  }

  get highWatermark(): number {
    return this.hw
  }

  /** The owner (partition leader or follower) moves it; clamped to [logStartOffset, logEndOffset]. */
  set highWatermark(offset: number) {
    this.hw = Math.min(Math.max(offset, this.startOffset), this.local.logEndOffset)
  }

  get recoveryPoint(): number {
    return this.local.recoveryPoint
  }

  get unflushedMessages(): number {
    return this.local.unflushedMessages
  }

  get segments(): readonly LogSegment[] {
    return this.local.segments
  }

  get activeSegment(): LogSegment {
    return this.local.activeSegment
  }

  get size(): number {
    return this.local.size
  }

  /** Bytes after `offset` when known without I/O (see LocalLog.bytesAfter). */
  bytesAfter(offset: number): number | undefined {
    return this.local.bytesAfter(offset)
  }

  get isOffline(): boolean {
    return this.local.isOffline
  }

  private serialize<T>(task: () => Promise<T>): Promise<T> {
    const run = this.chain.then(() => {
      this.local.checkOnline()
      return task()
    })
    this.chain = run.catch(() => undefined)
    return run
  }

  /**
   * Validates the batches in `records` (framing, CRC, sizes), assigns their offsets and leader epoch in
   * place (client appends), and appends them. `records` is modified and must not be reused by the caller.
   */
  async append(records: Buffer, opts: AppendOptions): Promise<LogAppendInfo> {
    const info = await this.serialize(() => this.appendLocked(records, opts))
    if (this.unflushedMessages >= this.config.flushMessages) await this.flush(info.lastOffset + 1)
    return info
  }

  private async appendLocked(records: Buffer, opts: AppendOptions): Promise<LogAppendInfo> {
    const config = this.config
    const local = this.local
    const origin = opts.origin ?? 'client'
    const { batches, now, logAppendTime } = await validateAndAssignOffsets(records, {
      config,
      origin,
      logEndOffset: local.logEndOffset,
      leaderEpoch: opts.leaderEpoch,
      topicPartition: `${this.topicPartition.topic}-${this.topicPartition.partition}`,
      time: this.time
    })
    const producerAppend = this.psm.analyzeAndValidateRecords(records, origin)
    const dup = producerAppend.duplicate
    if (dup) {
      return {
        baseOffset: dup.firstOffset,
        lastOffset: dup.lastOffset,
        maxTimestamp: dup.timestamp,
        logAppendTime: dup.timestamp,
        logStartOffset: this.startOffset,
        recordsCount: dup.lastOffset - dup.firstOffset + 1
      }
    }
    const first = batches[0]!
    const last = batches[batches.length - 1]!
    let maxTimestamp = -1
    let recordsCount = 0
    for (const b of batches) {
      maxTimestamp = Math.max(maxTimestamp, b.maxTimestamp)
      recordsCount += b.lastOffset - b.baseOffset + 1
    }
    let segment = local.activeSegment
    const rollParams = {
      maxSegmentBytes: config.segmentBytes,
      maxSegmentMs: config.segmentMs - config.segmentJitterMs,
      messagesSize: records.length,
      maxTimestampInMessages: maxTimestamp,
      maxOffsetInMessages: last.lastOffset,
      now
    }
    try {
      if (segment.shouldRoll(rollParams) || first.baseOffset > segment.nextOffset) {
        segment = await this.rollLocked(first.baseOffset)
      }
      await local.append(records, batches, now, last.lastOffset)
    } catch (err) {
      throw local.markOffline(err)
    }
    const aborted = this.psm.completeAppend(producerAppend, local.logEndOffset)
    try {
      for (const txn of aborted) await local.txnIndexes.append(segment.baseOffset, txn)
    } catch (err) {
      throw local.markOffline(err)
    }
    // Memory only: the checkpoint file follows at the next flush (see LeaderEpochFileCache).
    for (const b of batches) this.leaderEpochCache.assign(b.partitionLeaderEpoch, b.baseOffset)
    return {
      baseOffset: first.baseOffset,
      lastOffset: last.lastOffset,
      maxTimestamp,
      logAppendTime,
      logStartOffset: this.startOffset,
      recordsCount
    }
  }

  /** Forgets producers idle for producer.id.expiration.ms (LogManager calls it periodically). */
  removeExpiredProducers(): Promise<void> {
    return this.serialize(async () => this.psm.removeExpiredProducers(this.time()))
  }

  /** Starts a new active segment at the log end offset. */
  roll(): Promise<LogSegment> {
    return this.serialize(() => this.rollLocked(this.local.logEndOffset))
  }

  private async rollLocked(newBaseOffset: number): Promise<LogSegment> {
    const previous = this.local.activeSegment
    const segment = await this.local.roll(newBaseOffset)
    if (segment === previous) return segment
    // A snapshot at each segment boundary bounds the replay needed when the log is next opened.
    this.psm.updateMapEndOffset(newBaseOffset)
    try {
      await this.psm.takeSnapshot()
    } catch (err) {
      throw this.local.markOffline(err)
    }
    // As Kafka does after a roll: make the finished segment durable in the background.
    this.flush(newBaseOffset).catch((err: unknown) => this.local.markOffline(err))
    return segment
  }

  /**
   * fsyncs every segment that may hold offsets between the recovery point and `upTo` (default: the log
   * end), with the transaction indexes and the leader epoch checkpoint, then moves the recovery point.
   * Calls made while a flush runs share the next fsync (group commit).
   */
  flush(upTo?: number): Promise<void> {
    return this.local.flush(upTo)
  }

  /** For the owner's flush scheduler: flushes when flush.ms has passed since the last flush. */
  async flushIfDue(now = this.time()): Promise<void> {
    if (this.unflushedMessages > 0 && now - this.local.lastFlushTime >= this.config.flushMs)
      await this.flush()
  }

  /**
   * Raw bytes of whole batches starting with the one holding `fetchOffset`, from a single segment, at most
   * `maxBytes` (except a first batch returned whole under minOneMessage), never past `maxOffset`.
   * OFFSET_OUT_OF_RANGE when fetchOffset is outside [logStartOffset, logEndOffset].
   */
  async read(fetchOffset: number, maxBytes: number, opts: ReadOptions = {}): Promise<FetchDataInfo> {
    const end = this.local.logEndOffset
    if (this.local.isOffline) this.local.checkOnline()
    if (fetchOffset < this.startOffset || fetchOffset > end) {
      throw new KafkaError(
        ErrorCode.OFFSET_OUT_OF_RANGE,
        `offset ${fetchOffset} is outside [${this.startOffset}, ${end}] of ${this.dir}`
      )
    }
    // Synchronously from here to the segment snapshot: the log end checked above is the one read against.
    return this.local.read(fetchOffset, maxBytes, opts)
  }

  /**
   * ListOffsets: EARLIEST (-2) and EARLIEST_LOCAL (-4) give the log start, LATEST (-1) the log end (the
   * caller caps it at the high watermark or last stable offset), MAX_TIMESTAMP (-3) the record with the
   * largest timestamp, and a timestamp the first record at or after it. Undefined when there is none.
   */
  async fetchOffsetByTimestamp(timestamp: number): Promise<TimestampAndOffset | undefined> {
    const epochAt = (offset: number) => this.leaderEpochCache.epochForOffset(offset)
    if (timestamp === EARLIEST_TIMESTAMP || timestamp === EARLIEST_LOCAL_TIMESTAMP) {
      return { timestamp: -1, offset: this.startOffset, leaderEpoch: epochAt(this.startOffset) }
    }
    if (timestamp === LATEST_TIMESTAMP) {
      return { timestamp: -1, offset: this.logEndOffset, leaderEpoch: this.leaderEpochCache.latestEpoch() }
    }
    const segments = this.local.segments
    if (timestamp === MAX_TIMESTAMP) {
      let best: LogSegment | undefined
      for (const s of segments) if (!best || s.maxTimestampSoFar > best.maxTimestampSoFar) best = s
      const found = await best?.findMaxTimestampRecord()
      return found && { ...found, leaderEpoch: epochAt(found.offset) }
    }
    if (timestamp < 0) return undefined
    for (const s of segments) {
      if (s.maxTimestampSoFar < timestamp) continue
      const found = await s.findOffsetByTimestamp(timestamp, this.startOffset)
      if (found) return { ...found, leaderEpoch: epochAt(found.offset) }
    }
    return undefined
  }

  /**
   * DeleteRecords: moves the log start offset up to `offset` (-1 means the high watermark) and drops the
   * segments wholly below it. OFFSET_OUT_OF_RANGE above the high watermark. Returns the new log start.
   */
  deleteRecordsBefore(offset: number): Promise<number> {
    return this.serialize(async () => {
      const target = offset === -1 ? this.hw : offset
      if (target < 0 || target > this.hw) {
        throw new KafkaError(
          ErrorCode.OFFSET_OUT_OF_RANGE,
          `cannot move the log start offset to ${offset}: high watermark is ${this.hw}`
        )
      }
      if (target > this.startOffset) {
        this.startOffset = target
        this.psm.onLogStartOffsetIncremented(target)
        await this.leaderEpochCache.truncateFromStart(target)
        await this.deleteSegmentsLocked(
          this.deletableSegments((_, next) => next.baseOffset <= this.startOffset)
        )
      }
      return this.startOffset
    })
  }

  /**
   * Retention: drops whole non-active segments, oldest first, below the high watermark, whose largest
   * timestamp is older than retention.ms, while the log exceeds retention.bytes, or that lie wholly below
   * the log start offset. Returns how many were dropped.
   */
  deleteOldSegments(): Promise<number> {
    return this.serialize(async () => {
      const config = this.config
      let deleted = 0
      if (config.cleanupPolicy.includes('delete')) {
        if (config.retentionMs >= 0) {
          const now = this.time()
          deleted += await this.deleteSegmentsLocked(
            this.deletableSegments((s) => now - s.largestTimestamp > config.retentionMs)
          )
        }
        if (config.retentionBytes >= 0) {
          let excess = this.size - config.retentionBytes
          deleted += await this.deleteSegmentsLocked(
            this.deletableSegments((s) => {
              if (excess - s.size < 0) return false
              excess -= s.size
              return true
            })
          )
        }
      }
      deleted += await this.deleteSegmentsLocked(
        this.deletableSegments((_, next) => next.baseOffset <= this.startOffset)
      )
      return deleted
    })
  }

  /** Oldest-first run of non-active segments matching `predicate`, stopping at the high watermark. */
  private deletableSegments(predicate: (s: LogSegment, next: LogSegment) => boolean): LogSegment[] {
    const out: LogSegment[] = []
    const list = this.local.segments
    for (let i = 0; i < list.length - 1; i++) {
      const s = list[i]!
      const next = list[i + 1]!
      if (next.baseOffset > this.hw || !predicate(s, next)) break
      out.push(s)
    }
    return out
  }

  /**
   * Takes the segments out of the log, moves the log start up to the first remaining one, and schedules
   * their files for deletion after file.delete.delay.ms.
   */
  private async deleteSegmentsLocked(doomed: LogSegment[]): Promise<number> {
    if (doomed.length === 0) return 0
    await this.local.removeSegments(doomed)
    await this.advanceStartToFirstSegment()
    await this.local.deleteSegmentFiles(doomed)
    return doomed.length
  }

  private async advanceStartToFirstSegment(): Promise<void> {
    const newStart = Math.max(this.startOffset, this.local.segments[0]!.baseOffset)
    if (newStart <= this.startOffset) return
    this.startOffset = newStart
    this.psm.onLogStartOffsetIncremented(newStart)
    await this.leaderEpochCache.truncateFromStart(newStart)
    // Snapshots below the new start can never be loaded again (truncateAndReload drops them).
    await this.psm.deleteSnapshotsBefore(newStart).catch(() => undefined)
  }

  /**
   * LogCleaner hook: swaps in `cleaned` (written with `.cleaned` files and flushed) for `old`, the run of
   * non-active segments it was built from, which starts at the same base offset (crash-safe, see
   * LocalLog.replaceSegments). Returns false and changes nothing when `old` is no longer such a run
   * (retention or truncation got there first). `abortedTxns`, when given, becomes the cleaned segment's
   * transaction index (the cleaner rebuilds it: entries of removed markers must go).
   */
  replaceSegments(
    cleaned: LogSegment,
    old: readonly LogSegment[],
    abortedTxns?: readonly AbortedTxn[]
  ): Promise<boolean> {
    return this.serialize(async () => {
      if (!(await this.local.replaceSegments(cleaned, old, abortedTxns))) return false
      try {
        await this.advanceStartToFirstSegment()
      } catch (err) {
        throw this.local.markOffline(err)
      }
      return true
    })
  }

  /**
   * Follower truncation: removes every batch from the one holding `targetOffset` on. Segments starting
   * after it are dropped. Returns true when anything was removed.
   */
  truncateTo(targetOffset: number): Promise<boolean> {
    return this.serialize(async () => {
      if (targetOffset >= this.logEndOffset) return false
      // With no segment at or below the target, the log starts over, empty, at the target.
      const startsOver = this.local.segments[0]!.baseOffset > targetOffset
      await this.local.truncateTo(targetOffset)
      if (startsOver) this.startOffset = targetOffset
      this.hw = Math.min(this.hw, this.logEndOffset)
      await this.leaderEpochCache.truncateFromEnd(this.logEndOffset)
      try {
        await this.reloadProducerState()
      } catch (err) {
        throw this.local.markOffline(err)
      }
      return true
    })
  }

  /**
   * A follower whose log ends before its leader's log start keeps nothing: every segment goes and the log
   * starts empty at `newOffset` (Kafka's truncateFullyAndStartAt).
   */
  truncateFullyAndStartAt(newOffset: number): Promise<void> {
    return this.serialize(async () => {
      await this.local.truncateFullyAndStartAt(newOffset)
      this.startOffset = newOffset
      this.hw = newOffset
      await this.leaderEpochCache.clear()
      try {
        await this.reloadProducerState()
      } catch (err) {
        throw this.local.markOffline(err)
      }
    })
  }

  /** Flushes, writes the clean-shutdown marker and closes every file. The log is unusable afterwards. */
  close(): Promise<void> {
    return this.serialize(async () => {
      await this.flush()
      await this.local.flushesSettled()
      await this.leaderEpochCache.flush()
      await this.local.close()
      // The snapshot at the log end lets the next open skip the replay entirely.
      await this.psm.takeSnapshot()
      await writeFile(join(this.dir, CLEAN_SHUTDOWN_FILE), '')
      await syncDirectory(this.dir)
    })
  }

  /** Closes the files without flushing or a marker, as a crash would leave them (and before deletion). */
  async closeHandles(): Promise<void> {
    this.local.markClosed()
    await this.chain
    await this.local.closeHandles()
  }
}
