import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { syncDirectory } from '../common/atomic-file.js'
import type { BufferPool } from '../common/buffer-pool.js'
import { ErrorCode, KafkaError } from '../protocol/error-codes.js'
import type { BatchEntry } from './file-records.js'
import { LeaderEpochFileCache } from './leader-epoch-file-cache.js'
import { CLEANED_FILE_SUFFIX, SWAP_FILE_SUFFIX } from './log-cleaner-recovery.js'
import type { LogConfig } from './log-config.js'
import { CLEAN_SHUTDOWN_FILE, DELETED_FILE_SUFFIX, type TopicPartition } from './log-file-names.js'
import { loadSegments } from './log-loader.js'
import { LogSegment, type LogSegmentOptions } from './log-segment.js'
import {
  type AppendOrigin,
  assignOffsets,
  stampLogAppendTime,
  validateBatches,
  validateRecordKeys
} from './log-validator.js'
import { ProducerStateManager } from './producer-state-manager.js'
import { replayProducerState } from './producer-state-replay.js'
import type { AbortedTxn } from './transaction-index.js'
import { TransactionIndexes } from './transaction-indexes.js'

/** ListOffsets sentinel timestamps. */
export const EARLIEST_TIMESTAMP = -2
export const LATEST_TIMESTAMP = -1
export const MAX_TIMESTAMP = -3
/** The records of an empty read; zero-length, so sharing it is safe. */
const EMPTY_RECORDS = Buffer.alloc(0)
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

export interface ReadOptions {
  /** Exclusive upper bound on offsets returned, e.g. the high watermark for consumers. Default: log end. */
  maxOffset?: number
  /** Return the first batch whole even if it exceeds maxBytes (Kafka's minOneMessage). Default true. */
  minOneMessage?: boolean
  /**
   * Read into a buffer leased from this pool (the fetch path, which releases it after the socket write)
   * instead of a fresh allocation.
   */
  pool?: BufferPool
}

export interface FetchDataInfo {
  /** Whole v2 batches exactly as stored; empty when nothing is readable. */
  records: Buffer
  /** Segment and file position the bytes came from (for diagnostics and delayed-fetch accounting). */
  segmentBaseOffset: number
  position: number
}

export interface TimestampAndOffset {
  timestamp: number
  offset: number
  leaderEpoch: number | undefined
}

/**
 * The log of one topic-partition: an ordered list of LogSegments, the last one active. Offsets and
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
  private configValue: LogConfig
  private readonly time: () => number
  private segmentList: LogSegment[] = []
  private nextOffset = 0
  private startOffset = 0
  private hw = 0
  private recoveryPointValue = 0
  private lastFlushTime: number
  private chain: Promise<unknown> = Promise.resolve()
  private flushChain: Promise<unknown> = Promise.resolve()
  private dirNeedsSync = false
  private offlineCause: unknown
  private closed = false
  private readonly pendingDeletes = new Map<LogSegment, NodeJS.Timeout>()
  private readonly deletions = new Set<Promise<void>>()
  /** Idempotent and transactional producer state; set by load() before the log is shared. */
  private psm!: ProducerStateManager
  /** The segments' `.txnindex` files; set by open() before the log is shared. */
  private txnIndexes!: TransactionIndexes
  private firstRecoveredBaseOffset: number | undefined

  private constructor(opts: UnifiedLogOptions) {
    this.dir = opts.dir
    this.topicPartition = opts.topicPartition
    this.configValue = opts.config
    this.time = opts.time ?? Date.now
    this.lastFlushTime = this.time()
    this.leaderEpochCache = new LeaderEpochFileCache(opts.dir)
  }

  /** Opens or creates the log, recovering it unless it was closed cleanly. */
  static async open(opts: UnifiedLogOptions): Promise<UnifiedLog> {
    const log = new UnifiedLog(opts)
    await log.load(opts.recoveryPoint ?? 0, opts.logStartOffset ?? 0, opts.highWatermark ?? 0)
    log.psm = await ProducerStateManager.open({
      dir: log.dir,
      partition: `${log.topicPartition.topic}-${log.topicPartition.partition}`,
      ...(opts.producerIdExpirationMs !== undefined
        ? { producerIdExpirationMs: opts.producerIdExpirationMs }
        : {}),
      time: log.time,
      requireTxnVerification: true
    })
    log.txnIndexes = await TransactionIndexes.load(
      log.dir,
      log.segmentList.map((s) => s.baseOffset)
    )
    // Snapshots past the first recovered segment may describe data recovery cut off, and the recovered
    // segments' transaction indexes are rebuilt by the replay: start from a snapshot at or below it.
    await log.reloadProducerState(log.firstRecoveredBaseOffset)
    return log
  }

  private async load(recoveryPoint: number, logStartOffset: number, highWatermark: number): Promise<void> {
    await this.leaderEpochCache.load()
    const loaded = await loadSegments(this.dir, this.segmentOptions(), recoveryPoint, (b: BatchEntry) => {
      this.leaderEpochCache.assign(b.partitionLeaderEpoch, b.baseOffset)
    })
    this.firstRecoveredBaseOffset = loaded.firstRecoveredBaseOffset
    this.segmentList = loaded.segments
    if (this.segmentList.length === 0) {
      this.segmentList = [await LogSegment.open(this.dir, logStartOffset, this.segmentOptions(), true)]
      this.dirNeedsSync = true
    }
    this.nextOffset = this.activeSegment.nextOffset
    this.startOffset = Math.max(logStartOffset, this.segmentList[0]!.baseOffset)
    if (this.startOffset > this.nextOffset) {
      // The checkpointed start is past what survived recovery: nothing below it may be served.
      for (const s of this.segmentList) await s.deleteFiles()
      this.segmentList = [await LogSegment.open(this.dir, this.startOffset, this.segmentOptions(), true)]
      this.nextOffset = this.startOffset
    }
    if (loaded.recovered) {
      for (const s of this.segmentList) await s.flush()
      await syncDirectory(this.dir)
      this.recoveryPointValue = this.nextOffset
    } else {
      this.recoveryPointValue = loaded.hadCleanShutdown
        ? this.nextOffset
        : Math.min(recoveryPoint, this.nextOffset)
    }
    this.hw = Math.min(Math.max(highWatermark, this.startOffset), this.nextOffset)
    await this.leaderEpochCache.truncateFromEnd(this.nextOffset)
    await this.leaderEpochCache.truncateFromStart(this.startOffset)
    // The recovery point may have moved past the epochs recovery found: they must be in the file now.
    await this.leaderEpochCache.flush()
  }

  /**
   * Reloads producer state for the current segments: the latest snapshot within [logStart, logEnd], then
   * a replay of the batches after it. Called at open and after truncation, on the mutation chain.
   */
  private async reloadProducerState(rebuildFrom = this.nextOffset): Promise<void> {
    const upTo = Math.max(this.startOffset, Math.min(rebuildFrom, this.nextOffset))
    await this.psm.truncateAndReload(this.startOffset, upTo)
    // Entries for markers at or after the replay start are derived again by the replay.
    await this.txnIndexes.truncateTo(this.psm.mapEndOffset)
    await replayProducerState(this.psm, this.segmentList, async (aborted, segment) => {
      for (const txn of aborted) await this.txnIndexes.append(segment.baseOffset, txn)
    })
    this.psm.updateMapEndOffset(this.nextOffset)
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

  /**
   * Aborted transactions overlapping [fetchOffset, upperBoundOffset), for read_committed fetches (Kafka's
   * collectAbortedTransactions): from the transaction indexes of the segment holding fetchOffset on.
   */
  collectAbortedTransactions(fetchOffset: number, upperBoundOffset: number): AbortedTxn[] {
    const segments = this.segmentList
    const bases: number[] = []
    for (let i = floorSegment(segments, fetchOffset); i < segments.length; i++)
      bases.push(segments[i]!.baseOffset)
    return this.txnIndexes.collect(bases, fetchOffset, upperBoundOffset)
  }

  /** KIP-890 part 1: the coordinator added this partition to the producer's transaction in this epoch. */
  beginTxnVerification(producerId: bigint, producerEpoch: number): void {
    this.psm.beginTxnVerification(producerId, producerEpoch)
  }

  /** The partition's producer state (idempotence and transactions); mutate only through this log. */
  get producerStateManager(): ProducerStateManager {
    return this.psm
  }

  private segmentOptions(): LogSegmentOptions {
    return {
      indexIntervalBytes: this.configValue.indexIntervalBytes,
      segmentIndexBytes: this.configValue.segmentIndexBytes,
      now: this.time()
    }
  }

  get config(): LogConfig {
    return this.configValue
  }

  /** Takes effect for the next append, roll and retention check. */
  updateConfig(config: LogConfig): void {
    this.configValue = config
  }

  get logStartOffset(): number {
    return this.startOffset
  }

  get logEndOffset(): number {
    return this.nextOffset
  }

  get highWatermark(): number {
    return this.hw
  }

  /** The owner (partition leader or follower) moves it; clamped to [logStartOffset, logEndOffset]. */
  set highWatermark(offset: number) {
    this.hw = Math.min(Math.max(offset, this.startOffset), this.nextOffset)
  }

  get recoveryPoint(): number {
    return this.recoveryPointValue
  }

  get unflushedMessages(): number {
    return this.nextOffset - this.recoveryPointValue
  }

  get segments(): readonly LogSegment[] {
    return this.segmentList
  }

  get activeSegment(): LogSegment {
    return this.segmentList[this.segmentList.length - 1]!
  }

  get size(): number {
    let total = 0
    for (const s of this.segmentList) total += s.size
    return total
  }

  get isOffline(): boolean {
    return this.offlineCause !== undefined
  }

  private serialize<T>(task: () => Promise<T>): Promise<T> {
    const run = this.chain.then(() => {
      this.checkOnline()
      return task()
    })
    this.chain = run.catch(() => undefined)
    return run
  }

  private checkOnline(): void {
    if (this.closed) throw new KafkaError(ErrorCode.KAFKA_STORAGE_ERROR, `log ${this.dir} is closed`)
    if (this.offlineCause !== undefined) {
      throw new KafkaError(ErrorCode.KAFKA_STORAGE_ERROR, `log ${this.dir} is offline after an I/O error`)
    }
  }

  /** After an I/O error the files may not match memory: refuse everything until the log is reopened. */
  private markOffline(cause: unknown): KafkaError {
    this.offlineCause ??= cause
    const why = cause instanceof Error ? cause.message : String(cause)
    return new KafkaError(ErrorCode.KAFKA_STORAGE_ERROR, `I/O error on log ${this.dir}: ${why}`)
  }

  /**
   * Validates the batches in `records` (framing, CRC, sizes), assigns their offsets and leader epoch in
   * place (client appends), and appends them. `records` is modified and must not be reused by the caller.
   */
  async append(records: Buffer, opts: AppendOptions): Promise<LogAppendInfo> {
    const info = await this.serialize(() => this.appendLocked(records, opts))
    if (this.unflushedMessages >= this.configValue.flushMessages) await this.flush(info.lastOffset + 1)
    return info
  }

  private async appendLocked(records: Buffer, opts: AppendOptions): Promise<LogAppendInfo> {
    const config = this.configValue
    const origin = opts.origin ?? 'client'
    const batches = validateBatches(records, config.maxMessageBytes, origin)
    if (config.cleanupPolicy.includes('compact') && origin !== 'replication') {
      await validateRecordKeys(
        records,
        batches,
        `${this.topicPartition.topic}-${this.topicPartition.partition}`
      )
    }
    if (records.length > config.segmentBytes) {
      throw new KafkaError(
        ErrorCode.RECORD_LIST_TOO_LARGE,
        `append of ${records.length} bytes exceeds segment.bytes ${config.segmentBytes}`
      )
    }
    const now = this.time()
    let logAppendTime = -1
    if (origin === 'replication') {
      let expected = this.nextOffset
      for (const b of batches) {
        if (b.baseOffset < expected) {
          throw new KafkaError(ErrorCode.INVALID_RECORD, `batch offset ${b.baseOffset} is below ${expected}`)
        }
        expected = b.lastOffset + 1
      }
    } else {
      // Offsets are written into `records` only; nextOffset moves after the write, so a duplicate or a
      // rejected append below leaves the log untouched.
      assignOffsets(records, batches, this.nextOffset, opts.leaderEpoch)
      if (config.messageTimestampType === 'LogAppendTime') {
        stampLogAppendTime(records, batches, now)
        logAppendTime = now
      }
    }
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
    let segment = this.activeSegment
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
      await segment.append(records, batches, now)
    } catch (err) {
      throw this.markOffline(err)
    }
    this.nextOffset = last.lastOffset + 1
    const aborted = this.psm.completeAppend(producerAppend, this.nextOffset)
    try {
      for (const txn of aborted) await this.txnIndexes.append(segment.baseOffset, txn)
    } catch (err) {
      throw this.markOffline(err)
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
    return this.serialize(() => this.rollLocked(this.nextOffset))
  }

  private async rollLocked(newBaseOffset: number): Promise<LogSegment> {
    const active = this.activeSegment
    if (active.size === 0) {
      if (active.baseOffset === newBaseOffset) return active
      // An empty active segment is replaced rather than left as a hole in the offset space.
      await active.deleteFiles()
      this.segmentList = this.segmentList.slice(0, -1)
    } else active.onBecomeInactiveSegment()
    const segment = await LogSegment.open(this.dir, newBaseOffset, this.segmentOptions(), true)
    this.segmentList = [...this.segmentList, segment]
    this.dirNeedsSync = true
    // A snapshot at each segment boundary bounds the replay needed when the log is next opened.
    this.psm.updateMapEndOffset(newBaseOffset)
    try {
      await this.psm.takeSnapshot()
    } catch (err) {
      throw this.markOffline(err)
    }
    // As Kafka does after a roll: make the finished segment durable in the background.
    this.flush(newBaseOffset).catch((err: unknown) => this.markOffline(err))
    return segment
  }

  /**
   * fsyncs every segment that may hold offsets between the recovery point and the log end, then moves the
   * recovery point. Calls made while a flush runs share the next fsync (group commit).
   */
  flush(upTo = this.nextOffset): Promise<void> {
    if (upTo <= this.recoveryPointValue) return Promise.resolve()
    const run = this.flushChain.then(() => this.flushNow(upTo))
    this.flushChain = run.catch(() => undefined)
    return run
  }

  private async flushNow(upTo: number): Promise<void> {
    if (upTo <= this.recoveryPointValue || this.closed) return
    const target = this.nextOffset
    const from = this.recoveryPointValue
    const list = this.segmentList
    try {
      for (let i = 0; i < list.length; i++) {
        const s = list[i]!
        const next = list[i + 1]
        if (s.baseOffset >= target) break
        if (next && next.baseOffset <= from) continue
        if (this.pendingDeletes.has(s)) continue
        try {
          await s.flush()
        } catch (err) {
          // A segment dropped meanwhile (retention, truncation) has nothing left to make durable.
          if (this.segmentList.includes(s)) throw err
        }
      }
      await this.txnIndexes.flush()
      // Epochs below the new recovery point are not rebuilt by recovery, so they must be durable first.
      await this.leaderEpochCache.flush()
      if (this.dirNeedsSync) {
        this.dirNeedsSync = false
        await syncDirectory(this.dir)
      }
    } catch (err) {
      throw this.markOffline(err)
    }
    this.recoveryPointValue = Math.max(this.recoveryPointValue, target)
    this.lastFlushTime = this.time()
  }

  /** For the owner's flush scheduler: flushes when flush.ms has passed since the last flush. */
  async flushIfDue(now = this.time()): Promise<void> {
    if (this.unflushedMessages > 0 && now - this.lastFlushTime >= this.configValue.flushMs) await this.flush()
  }

  /**
   * Raw bytes of whole batches starting with the one holding `fetchOffset`, from a single segment, at most
   * `maxBytes` (except a first batch returned whole under minOneMessage), never past `maxOffset`.
   * OFFSET_OUT_OF_RANGE when fetchOffset is outside [logStartOffset, logEndOffset].
   */
  async read(fetchOffset: number, maxBytes: number, opts: ReadOptions = {}): Promise<FetchDataInfo> {
    const segments = this.segmentList
    const end = this.nextOffset
    if (this.offlineCause !== undefined) this.checkOnline()
    if (fetchOffset < this.startOffset || fetchOffset > end) {
      throw new KafkaError(
        ErrorCode.OFFSET_OUT_OF_RANGE,
        `offset ${fetchOffset} is outside [${this.startOffset}, ${end}] of ${this.dir}`
      )
    }
    const maxOffset = Math.min(opts.maxOffset ?? end, end)
    // A consumer at the high watermark (most partitions of a fetch over many) gets nothing, without a
    // segment lookup: Kafka's LocalLog.read returns its empty answer here too.
    if (fetchOffset >= maxOffset) {
      return { records: EMPTY_RECORDS, segmentBaseOffset: this.activeSegment.baseOffset, position: -1 }
    }
    const minOneMessage = opts.minOneMessage ?? true
    for (let i = floorSegment(segments, fetchOffset); i < segments.length; i++) {
      const s = segments[i]!
      if (s.baseOffset >= maxOffset) break
      let maxPosition = s.size
      if (maxOffset < s.nextOffset) {
        maxPosition =
          s.knownPosition(maxOffset) ?? (await s.translateOffset(maxOffset))?.position ?? maxPosition
      }
      const got = await s.read(fetchOffset, maxBytes, maxPosition, minOneMessage, opts.pool)
      if (got) return { records: got.records, segmentBaseOffset: s.baseOffset, position: got.position }
    }
    return { records: Buffer.alloc(0), segmentBaseOffset: this.activeSegment.baseOffset, position: -1 }
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
      return { timestamp: -1, offset: this.nextOffset, leaderEpoch: this.leaderEpochCache.latestEpoch() }
    }
    const segments = this.segmentList
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
      const config = this.configValue
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
    const list = this.segmentList
    for (let i = 0; i < list.length - 1; i++) {
      const s = list[i]!
      const next = list[i + 1]!
      if (next.baseOffset > this.hw || !predicate(s, next)) break
      out.push(s)
    }
    return out
  }

  /**
   * Deletes the transaction indexes of segments leaving the log. A segment replaced by a cleaned one with
   * the same base offset keeps its index, which also takes over the entries of the others it replaced.
   */
  private async dropTxnIndexes(doomed: readonly LogSegment[]): Promise<void> {
    const live = new Set(this.segmentList.map((s) => s.baseOffset))
    const heir = doomed.find((s) => live.has(s.baseOffset))?.baseOffset
    for (const s of doomed) {
      if (s.baseOffset === heir) continue
      if (heir !== undefined) {
        for (const txn of this.txnIndexes.entries(s.baseOffset)) await this.txnIndexes.append(heir, txn)
      }
      await this.txnIndexes.delete(s.baseOffset)
    }
  }

  /** Renames the segments' files to `.deleted` now and removes them after file.delete.delay.ms. */
  private async deleteSegmentsLocked(doomed: LogSegment[]): Promise<number> {
    if (doomed.length === 0) return 0
    const gone = new Set(doomed)
    this.segmentList = this.segmentList.filter((s) => !gone.has(s))
    try {
      await this.dropTxnIndexes(doomed)
    } catch (err) {
      throw this.markOffline(err)
    }
    const newStart = Math.max(this.startOffset, this.segmentList[0]!.baseOffset)
    if (newStart > this.startOffset) {
      this.startOffset = newStart
      this.psm.onLogStartOffsetIncremented(newStart)
      await this.leaderEpochCache.truncateFromStart(newStart)
      // Snapshots below the new start can never be loaded again (truncateAndReload drops them).
      await this.psm.deleteSnapshotsBefore(newStart).catch(() => undefined)
    }
    for (const s of doomed) {
      try {
        await s.changeFileSuffixes('', DELETED_FILE_SUFFIX)
      } catch (err) {
        throw this.markOffline(err)
      }
      const timer = setTimeout(() => {
        this.pendingDeletes.delete(s)
        const removal = s.deleteFiles().catch(() => undefined)
        this.deletions.add(removal)
        removal.finally(() => this.deletions.delete(removal))
      }, this.configValue.fileDeleteDelayMs)
      timer.unref()
      this.pendingDeletes.set(s, timer)
    }
    this.dirNeedsSync = true
    return doomed.length
  }

  /**
   * LogCleaner hook: swaps in `cleaned` (written with `.cleaned` files and flushed) for `old`, the run of
   * non-active segments it was built from, which starts at the same base offset. The order is crash-safe and
   * the loader completes it: `.cleaned` → `.swap` (the commit point), old segments → `.deleted`, `.swap` →
   * final names. Returns false and changes nothing when `old` is no longer such a run (retention or
   * truncation got there first). `abortedTxns`, when given, becomes the cleaned segment's transaction index
   * (the cleaner rebuilds it: entries of removed markers must go).
   */
  replaceSegments(
    cleaned: LogSegment,
    old: readonly LogSegment[],
    abortedTxns?: readonly AbortedTxn[]
  ): Promise<boolean> {
    return this.serialize(async () => {
      const list = this.segmentList
      const at = old[0] ? list.indexOf(old[0]) : -1
      const intact =
        at >= 0 &&
        at + old.length < list.length &&
        old[0]!.baseOffset === cleaned.baseOffset &&
        old.every((s, i) => list[at + i] === s)
      if (!intact) return false
      try {
        await cleaned.changeFileSuffixes(CLEANED_FILE_SUFFIX, SWAP_FILE_SUFFIX)
        await syncDirectory(this.dir)
        this.segmentList = [...list.slice(0, at), cleaned, ...list.slice(at + old.length)]
        await this.deleteSegmentsLocked([...old])
        if (abortedTxns) await this.txnIndexes.replace(cleaned.baseOffset, abortedTxns)
        await cleaned.changeFileSuffixes(SWAP_FILE_SUFFIX, '')
        await syncDirectory(this.dir)
      } catch (err) {
        throw this.markOffline(err)
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
      if (targetOffset >= this.nextOffset) return false
      // Let a background flush finish before segment files go away under it.
      await this.flushChain
      try {
        const doomed = this.segmentList.filter((s) => s.baseOffset > targetOffset)
        let kept = this.segmentList.filter((s) => s.baseOffset <= targetOffset)
        for (const s of doomed) await s.deleteFiles()
        if (kept.length === 0) {
          kept = [await LogSegment.open(this.dir, targetOffset, this.segmentOptions(), true)]
          this.startOffset = targetOffset
        } else await kept[kept.length - 1]!.truncateTo(targetOffset)
        this.segmentList = kept
      } catch (err) {
        throw this.markOffline(err)
      }
      this.nextOffset = this.activeSegment.nextOffset
      this.hw = Math.min(this.hw, this.nextOffset)
      this.recoveryPointValue = Math.min(this.recoveryPointValue, this.nextOffset)
      await this.leaderEpochCache.truncateFromEnd(this.nextOffset)
      try {
        await this.reloadProducerState()
      } catch (err) {
        throw this.markOffline(err)
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
      await this.flushChain
      const doomed = this.segmentList
      try {
        for (const s of doomed) await s.deleteFiles()
        this.segmentList = [await LogSegment.open(this.dir, newOffset, this.segmentOptions(), true)]
        await this.dropTxnIndexes(doomed)
      } catch (err) {
        throw this.markOffline(err)
      }
      this.dirNeedsSync = true
      this.startOffset = newOffset
      this.nextOffset = newOffset
      this.hw = newOffset
      this.recoveryPointValue = newOffset
      await this.leaderEpochCache.clear()
      try {
        await this.reloadProducerState()
      } catch (err) {
        throw this.markOffline(err)
      }
    })
  }

  /** Flushes, writes the clean-shutdown marker and closes every file. The log is unusable afterwards. */
  close(): Promise<void> {
    return this.serialize(async () => {
      await this.flush()
      await this.flushChain
      await this.leaderEpochCache.flush()
      this.closed = true
      await this.finishPendingDeletes()
      for (const s of this.segmentList) await s.close()
      await this.txnIndexes.close()
      // The snapshot at the log end lets the next open skip the replay entirely.
      await this.psm.takeSnapshot()
      await writeFile(join(this.dir, CLEAN_SHUTDOWN_FILE), '')
      await syncDirectory(this.dir)
    })
  }

  /** Closes the files without flushing or a marker, as a crash would leave them (and before deletion). */
  async closeHandles(): Promise<void> {
    this.closed = true
    await this.chain
    await this.flushChain
    await this.finishPendingDeletes()
    for (const s of this.segmentList) {
      await s.log.close().catch(() => undefined)
      await s.offsetIndex.file.close().catch(() => undefined)
      await s.timeIndex.file.close().catch(() => undefined)
    }
    await this.txnIndexes?.close().catch(() => undefined)
  }

  private async finishPendingDeletes(): Promise<void> {
    const pending = [...this.pendingDeletes]
    this.pendingDeletes.clear()
    for (const [s, timer] of pending) {
      clearTimeout(timer)
      await s.deleteFiles().catch(() => undefined)
    }
    await Promise.all([...this.deletions])
  }
}

/** Index of the last segment whose base offset is <= offset (0 when none). */
function floorSegment(segments: readonly LogSegment[], offset: number): number {
  let lo = 0
  let hi = segments.length - 1
  let found = 0
  while (lo <= hi) {
    const mid = (lo + hi) >>> 1
    if (segments[mid]!.baseOffset <= offset) {
      found = mid
      lo = mid + 1
    } else hi = mid - 1
  }
  return found
}
