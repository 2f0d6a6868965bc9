import { syncDirectory } from '../common/atomic-file.js'
import type { BufferPool } from '../common/buffer-pool.js'
import { ErrorCode, KafkaError } from '../protocol/error-codes.js'
import type { BatchEntry } from './file-records.js'
import { CLEANED_FILE_SUFFIX, SWAP_FILE_SUFFIX } from './log-cleaner-recovery.js'
import type { LogConfig } from './log-config.js'
import type { LogLoadSummary } from './log-events.js'
import { DELETED_FILE_SUFFIX, type TopicPartition } from './log-file-names.js'
import { LOG_FLUSH_LATENCY } from './log-flush-stats.js'
import { type LoadedLog, loadLog } from './log-loader.js'
import { LogSegment, type LogSegmentOptions } from './log-segment.js'
import type { AbortedTxn } from './transaction-index.js'
import { TransactionIndexes } from './transaction-indexes.js'

/** The records of an empty read; zero-length, so sharing it is safe. */
const EMPTY_RECORDS = Buffer.alloc(0)

export interface LocalLogOptions {
  /** The partition directory, `<log.dir>/<topic>-<partition>`. */
  dir: string
  topicPartition: TopicPartition
  config: LogConfig
  /** From recovery-point-offset-checkpoint: offsets below it were fsynced. */
  recoveryPoint?: number
  /**
   * The owner's log start offset: an empty directory starts its first segment there, and when recovery left
   * nothing at or above it the segments are replaced by one empty segment starting there.
   */
  logStartOffset?: number
  /** Wall clock in ms; injectable for tests. */
  time?: () => number
  /** Sees each batch recovery re-validated (the owner rebuilds its leader epoch cache from them). */
  onRecoveredBatch?: (b: BatchEntry) => void
  /**
   * Runs in every flush after the segments are synced and before the recovery point moves: state the owner
   * derives from the records must be durable by then, because recovery only rebuilds it above that point.
   */
  beforeRecoveryPointMoves?: () => Promise<void> | undefined
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

/**
 * The segments of one partition directory, as Kafka's LocalLog: an ordered list of LogSegments (the last one
 * active) with their transaction indexes, the log end offset, the recovery point and the directory. It
 * rolls, appends to the active segment, reads across segments, flushes, truncates and deletes segments. It
 * knows nothing of the log start offset, the high watermark, producers or epochs: that is UnifiedLog's.
 *
 * Ownership and concurrency: one owner (a UnifiedLog) calls the mutating methods (append, roll, truncate*,
 * removeSegments, deleteSegmentFiles, replaceSegments, close) one at a time on its own mutation chain; this
 * class does not queue them. Reads are lock-free: they take a snapshot of the segment list and the log end
 * and only ever see whole appended batches. Flushes run on their own chain here (group commit), and
 * truncation and close wait for the running flush before files go away.
 *
 * Failure: after an I/O error the files may not match memory, so the log goes offline (every later
 * checkOnline() throws KAFKA_STORAGE_ERROR) until it is reopened.
 */
export class LocalLog {
  readonly dir: string
  readonly topicPartition: TopicPartition
  /** The segments' `.txnindex` files (Kafka keeps one inside each LogSegment); mutate on the owner's chain. */
  readonly txnIndexes: TransactionIndexes
  /** Base offset of the first segment recovery re-scanned at open; derived state is rebuilt from there. */
  readonly firstRecoveredBaseOffset: number | undefined
  private configValue: LogConfig
  private readonly time: () => number
  private readonly beforeRecoveryPointMoves: () => Promise<void> | undefined
  private segmentList: LogSegment[]
  private nextOffset: number
  private recoveryPointValue: number
  private lastFlushTimeValue: number
  private flushChain: Promise<unknown> = Promise.resolve()
  private dirNeedsSync: boolean
  private offlineCause: unknown
  private closed = false
  private readonly pendingDeletes = new Map<LogSegment, NodeJS.Timeout>()
  private readonly deletions = new Set<Promise<void>>()
  /** How the directory came up, for the broker's start-up summary. */
  readonly loadSummary: LogLoadSummary

  private constructor(
    opts: LocalLogOptions,
    loaded: LoadedLog,
    txnIndexes: TransactionIndexes,
    openedAt: number
  ) {
    this.dir = opts.dir
    this.topicPartition = opts.topicPartition
    this.configValue = opts.config
    this.time = opts.time ?? Date.now
    this.beforeRecoveryPointMoves = opts.beforeRecoveryPointMoves ?? (() => undefined)
    this.segmentList = loaded.segments
    this.nextOffset = this.activeSegment.nextOffset
    this.recoveryPointValue = loaded.recoveryPoint
    this.dirNeedsSync = loaded.dirNeedsSync
    this.txnIndexes = txnIndexes
    this.firstRecoveredBaseOffset = loaded.firstRecoveredBaseOffset
    this.lastFlushTimeValue = openedAt
    this.loadSummary = {
      segments: loaded.segments.length,
      hadCleanShutdown: loaded.hadCleanShutdown,
      recovered: loaded.recovered,
      truncatedBytes: loaded.truncatedBytes,
      durationMs: this.time() - openedAt
    }
  }

  /**
   * Opens or creates the directory's segments, recovering those at or above the recovery point unless the
   * log was closed cleanly; recovered files are fsynced and the recovery point moves to the log end.
   */
  static async open(opts: LocalLogOptions): Promise<LocalLog> {
    const time = opts.time ?? Date.now
    const openedAt = time()
    const loaded = await loadLog(
      opts.dir,
      () => segmentOptions(opts.config, time),
      opts.recoveryPoint ?? 0,
      opts.logStartOffset ?? 0,
      opts.onRecoveredBatch ?? (() => {})
    )
    const txnIndexes = await TransactionIndexes.load(
      opts.dir,
      loaded.segments.map((s) => s.baseOffset)
    )
    return new LocalLog(opts, loaded, txnIndexes, openedAt)
  }

  get config(): LogConfig {
    return this.configValue
  }

  /** Takes effect for the next segment opened and the next deletion scheduled. */
  updateConfig(config: LogConfig): void {
    this.configValue = config
  }

  /**
   * Bytes of the log after `offset` when its position is known without I/O (a batch boundary the segment
   * recently wrote or served, as a follower's fetch position is); undefined otherwise. For follower lag.
   */
  bytesAfter(offset: number): number | undefined {
    if (offset >= this.nextOffset) return 0
    const list = this.segmentList
    for (let i = list.length - 1; i >= 0; i--) {
      const s = list[i]!
      if (s.baseOffset > offset) continue
      // A segment's base offset is where its first batch starts, at position 0.
      const position = offset === s.baseOffset ? 0 : s.knownPosition(offset)
      if (position === undefined) return undefined
      let bytes = s.size - position
      for (let j = i + 1; j < list.length; j++) bytes += list[j]!.size
      return bytes
    }
    return undefined
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

  get logEndOffset(): number {
    return this.nextOffset
  }

  /** Offsets below it are on disk (fsynced); recovery re-scans from the segment holding it. */
  get recoveryPoint(): number {
    return this.recoveryPointValue
  }

  get unflushedMessages(): number {
    return this.nextOffset - this.recoveryPointValue
  }

  /** When the last flush finished (or the log was opened), in ms of the injected clock. */
  get lastFlushTime(): number {
    return this.lastFlushTimeValue
  }

  get isOffline(): boolean {
    return this.offlineCause !== undefined
  }

  private segmentOptions(): LogSegmentOptions {
    return segmentOptions(this.configValue, this.time)
  }

  /** KAFKA_STORAGE_ERROR once the log is closed or offline. */
  checkOnline(): void {
    if (this.closed) throw new KafkaError(ErrorCode.KAFKA_STORAGE_ERROR, `log ${this.dir} is closed`)
    if (this.offlineCause !== undefined) {
      throw new KafkaError(ErrorCode.KAFKA_STORAGE_ERROR, `log ${this.dir} is offline after an I/O error`)
    }
  }

  /** After an I/O error the files may not match memory: refuse everything until the log is reopened. */
  markOffline(cause: unknown): KafkaError {
    this.offlineCause ??= cause
    const why = cause instanceof Error ? cause.message : String(cause)
    return new KafkaError(ErrorCode.KAFKA_STORAGE_ERROR, `I/O error on log ${this.dir}: ${why}`)
  }

  /** Refuses further mutations and makes flushes no-ops; the files stay open until close/closeHandles. */
  markClosed(): void {
    this.closed = true
  }

  /**
   * Appends validated batches (offsets already assigned, `lastOffset` the last of them) to the active
   * segment and moves the log end past them. The owner rolls first when the segment should roll.
   */
  async append(
    records: Buffer,
    batches: readonly BatchEntry[],
    now: number,
    lastOffset: number
  ): Promise<void> {
    await this.activeSegment.append(records, batches, now)
    this.nextOffset = lastOffset + 1
  }

  /**
   * Starts a new active segment at `newBaseOffset`. An empty active segment is replaced rather than left as
   * a hole in the offset space, or returned as is when it already starts there (nothing rolled).
   */
  async roll(newBaseOffset: number): Promise<LogSegment> {
    const active = this.activeSegment
    if (active.size === 0) {
      if (active.baseOffset === newBaseOffset) return active
      await active.deleteFiles()
      this.segmentList = this.segmentList.slice(0, -1)
    } else active.onBecomeInactiveSegment()
    const segment = await LogSegment.open(this.dir, newBaseOffset, this.segmentOptions(), true)
    this.segmentList = [...this.segmentList, segment]
    this.dirNeedsSync = true
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

  /** Settles when every flush started so far has finished (successfully or not). */
  async flushesSettled(): Promise<void> {
    await this.flushChain
  }

  private async flushNow(upTo: number): Promise<void> {
    if (upTo <= this.recoveryPointValue || this.closed) return
    const target = this.nextOffset
    const from = this.recoveryPointValue
    const list = this.segmentList
    const startedAt = performance.now()
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
      await this.beforeRecoveryPointMoves()
      if (this.dirNeedsSync) {
        this.dirNeedsSync = false
        await syncDirectory(this.dir)
      }
    } catch (err) {
      throw this.markOffline(err)
    }
    LOG_FLUSH_LATENCY.observe((performance.now() - startedAt) / 1000)
    this.recoveryPointValue = Math.max(this.recoveryPointValue, target)
    this.lastFlushTimeValue = this.time()
  }

  /**
   * Raw bytes of whole batches starting with the one holding `fetchOffset`, from a single segment, at most
   * `maxBytes` (except a first batch returned whole under minOneMessage), never past `maxOffset`.
   * OFFSET_OUT_OF_RANGE past the log end; the owner checks the log start.
   */
  async read(fetchOffset: number, maxBytes: number, opts: ReadOptions = {}): Promise<FetchDataInfo> {
    const segments = this.segmentList
    const end = this.nextOffset
    if (this.offlineCause !== undefined) this.checkOnline()
    if (fetchOffset > end) {
      throw new KafkaError(
        ErrorCode.OFFSET_OUT_OF_RANGE,
        `offset ${fetchOffset} is past the log end ${end} of ${this.dir}`
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
   * Aborted transactions overlapping [fetchOffset, upperBoundOffset) (Kafka's collectAbortedTransactions):
   * from the transaction indexes of the segment holding fetchOffset on.
   */
  collectAbortedTransactions(fetchOffset: number, upperBoundOffset: number): AbortedTxn[] {
    const segments = this.segmentList
    const bases: number[] = []
    for (let i = floorSegment(segments, fetchOffset); i < segments.length; i++)
      bases.push(segments[i]!.baseOffset)
    return this.txnIndexes.collect(bases, fetchOffset, upperBoundOffset)
  }

  /**
   * Takes `doomed` out of the segment list, so reads no longer find them, and drops their transaction
   * indexes. Their files stay until deleteSegmentFiles.
   */
  async removeSegments(doomed: readonly LogSegment[]): Promise<void> {
    const gone = new Set(doomed)
    this.segmentList = this.segmentList.filter((s) => !gone.has(s))
    try {
      await this.dropTxnIndexes(doomed)
    } catch (err) {
      throw this.markOffline(err)
    }
  }

  /**
   * Renames removed segments' files to `.deleted` now and removes them after file.delete.delay.ms, so a
   * read that took its snapshot before the removal can still finish.
   */
  async deleteSegmentFiles(doomed: readonly LogSegment[]): Promise<void> {
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

  /**
   * Swaps in `cleaned` (written with `.cleaned` files and flushed) for `old`, a run of non-active segments
   * starting at the same base offset. The order is crash-safe and the loader completes it: `.cleaned` →
   * `.swap` (the commit point), old segments → `.deleted`, `.swap` → final names. Returns false and changes
   * nothing when `old` is no longer such a run. `abortedTxns`, when given, becomes the cleaned segment's
   * transaction index.
   */
  async replaceSegments(
    cleaned: LogSegment,
    old: readonly LogSegment[],
    abortedTxns?: readonly AbortedTxn[]
  ): Promise<boolean> {
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
      await this.removeSegments(old)
      await this.deleteSegmentFiles(old)
      if (abortedTxns) await this.txnIndexes.replace(cleaned.baseOffset, abortedTxns)
      await cleaned.changeFileSuffixes(SWAP_FILE_SUFFIX, '')
      await syncDirectory(this.dir)
    } catch (err) {
      throw this.markOffline(err)
    }
    return true
  }

  /**
   * Removes every batch from the one holding `targetOffset` on (below the log end). Segments starting after
   * it are deleted at once; when none starts at or below it, the log is left with one empty segment starting
   * at `targetOffset`. The recovery point is capped at the new log end.
   */
  async truncateTo(targetOffset: number): Promise<void> {
    // Let a background flush finish before segment files go away under it.
    await this.flushChain
    try {
      const doomed = this.segmentList.filter((s) => s.baseOffset > targetOffset)
      let kept = this.segmentList.filter((s) => s.baseOffset <= targetOffset)
      for (const s of doomed) await s.deleteFiles()
      if (kept.length === 0) {
        kept = [await LogSegment.open(this.dir, targetOffset, this.segmentOptions(), true)]
      } else await kept[kept.length - 1]!.truncateTo(targetOffset)
      this.segmentList = kept
    } catch (err) {
      throw this.markOffline(err)
    }
    this.nextOffset = this.activeSegment.nextOffset
    this.recoveryPointValue = Math.min(this.recoveryPointValue, this.nextOffset)
  }

  /** Deletes every segment at once and starts empty at `newOffset` (Kafka's truncateFullyAndStartAt). */
  async truncateFullyAndStartAt(newOffset: number): Promise<void> {
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
    this.nextOffset = newOffset
    this.recoveryPointValue = newOffset
  }

  /**
   * Waits for running flushes, completes pending deletions and closes every file (index files get their
   * last entries). The caller flushes first for a clean shutdown. Unusable afterwards.
   */
  async close(): Promise<void> {
    await this.flushChain
    this.closed = true
    await this.finishPendingDeletes()
    for (const s of this.segmentList) await s.close()
    await this.txnIndexes.close()
  }

  /** Closes the files without flushing, as a crash would leave them (and before deletion). */
  async closeHandles(): Promise<void> {
    this.closed = true
    await this.flushChain
    await this.finishPendingDeletes()
    for (const s of this.segmentList) {
      await s.log.close().catch(() => undefined)
      await s.offsetIndex.file.close().catch(() => undefined)
      await s.timeIndex.file.close().catch(() => undefined)
    }
    await this.txnIndexes.close().catch(() => undefined)
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

function segmentOptions(config: LogConfig, time: () => number): LogSegmentOptions {
  return {
    indexIntervalBytes: config.indexIntervalBytes,
    segmentIndexBytes: config.segmentIndexBytes,
    now: time()
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
