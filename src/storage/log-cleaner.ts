import { setImmediate as yieldToEventLoop } from 'node:timers/promises'
import { decodeControlRecordKey } from '../protocol/records/control-record.js'
import { CONTROL_BIT, decodeRecordBatch, TRANSACTIONAL_BIT } from '../protocol/records/record-batch.js'
import {
  ATTRIBUTES_OFFSET,
  PRODUCER_ID_OFFSET,
  RECORD_BATCH_OVERHEAD
} from '../protocol/records/record-batch-header.js'
import { type BatchEntry, batchEntryAt } from './file-records.js'
import { filterBatch } from './log-cleaner-batch-filter.js'
import { readStoredBatches } from './log-cleaner-batch-reader.js'
import { OFFSET_MAP_BYTES_PER_ENTRY, OffsetMap } from './log-cleaner-offset-map.js'
import { CLEANED_FILE_SUFFIX } from './log-cleaner-recovery.js'
import { CleanedTransactionMetadata, type TxnBatchInfo } from './log-cleaner-transaction-metadata.js'
import { LogSegment } from './log-segment.js'
import type { UnifiedLog } from './unified-log.js'

const INT32_MAX = 2 ** 31 - 1
/** Retained batches are written to the cleaned segment in runs of about this size. */
const WRITE_CHUNK = 1024 * 1024
/** Batches processed between two yields to the event loop. */
const BATCHES_PER_YIELD = 32

export interface LogCleanerOptions {
  /** The logs to consider, read on every pass. */
  logs: () => Iterable<UnifiedLog>
  /** log.cleaner.backoff.ms: sleep when no log needs cleaning. Default 15000. */
  backoffMs?: number
  /** log.cleaner.dedupe.buffer.size: memory for the offset map. Default 128 MiB. */
  dedupeBufferSize?: number
  /** Overrides the offset map capacity (in keys) derived from dedupeBufferSize; for tests. */
  offsetMapCapacity?: number
  time?: () => number
  /** A log whose cleaning failed; it is then skipped until restart, as Kafka marks it uncleanable. */
  onError?: (err: unknown, log: UnifiedLog) => void
  /** A pass that cleaned `log`, with what it removed and how long it took. */
  onCleaned?: (log: UnifiedLog, stats: CleanerStats, durationMs: number) => void
}

/** Kafka's LogToClean: where a log's dirty section lies and how dirty it is. */
export interface LogToClean {
  log: UnifiedLog
  firstDirtyOffset: number
  firstUncleanableOffset: number
  cleanBytes: number
  cleanableBytes: number
  cleanableRatio: number
  /** max.compaction.lag.ms has passed for the first dirty record. */
  needCompactionNow: boolean
}

export interface CleanerStats {
  firstDirtyOffset: number
  /** Everything below it is now clean: the next pass starts its offset map here. */
  endOffset: number
  segmentsCleaned: number
  recordsRetained: number
  recordsRemoved: number
  bytesRead: number
  bytesWritten: number
}

interface CleanerCheckpoint {
  firstDirtyOffset: number
  /** Largest delete horizon of a batch still holding a tombstone; the log needs a pass once it passes. */
  latestDeleteHorizon: number | undefined
}

class CleanerAbortedError extends Error {}

/**
 * Compaction for logs with cleanup.policy including `compact`, as Kafka's LogCleaner, LogCleanerManager and
 * Cleaner do it: pick the log with the largest dirty ratio (at least min.cleanable.dirty.ratio, or past
 * max.compaction.lag.ms, or holding tombstones whose delete horizon has passed), build an offset map of the
 * latest offset per key over its dirty section, then rewrite the segments from the log start up to the first
 * uncleanable offset keeping only the latest record of each key (and tombstones until their delete horizon).
 * It is transaction-aware as Kafka's is (CleanedTransactionMetadata): data of aborted transactions, found
 * through the `.txnindex` files, is removed and never enters the offset map, and COMMIT/ABORT markers are
 * removed delete.retention.ms after their transaction's data is gone. Offsets never change: consumers see
 * gaps. The active segment, and anything at or above the last stable offset (so every open transaction)
 * or younger than min.compaction.lag.ms, is never touched.
 *
 * Ownership and event loop: one instance per LogManager, on the broker's event loop. Cleaning reads
 * non-active segments (immutable, so no lock is needed), awaits between batches so produce and fetch keep
 * being served, and takes the log's append chain only for the final swap (UnifiedLog.replaceSegments).
 * Memory is bounded by the offset map capacity and the write chunk. The first dirty offset is kept in memory
 * only, so after a restart each compacted log is cleaned once in full (idempotent, just extra work).
 */
export class LogCleaner {
  private readonly checkpoints = new WeakMap<UnifiedLog, CleanerCheckpoint>()
  private readonly uncleanable = new WeakSet<UnifiedLog>()
  private readonly time: () => number
  private readonly capacity: number
  private stopped = true
  private loop: Promise<void> | undefined
  private sleepTimer: NodeJS.Timeout | undefined
  private wake: (() => void) | undefined
  private batchesSinceYield = 0

  constructor(private readonly opts: LogCleanerOptions) {
    this.time = opts.time ?? Date.now
    this.capacity =
      opts.offsetMapCapacity ??
      Math.max(1, Math.floor((opts.dedupeBufferSize ?? 128 * 1024 * 1024) / OFFSET_MAP_BYTES_PER_ENTRY))
  }

  /** Starts the background loop: clean the filthiest log, or sleep log.cleaner.backoff.ms when none. */
  startup(): void {
    if (this.loop) return
    this.stopped = false
    this.loop = this.run()
  }

  /** Stops the loop; a cleaning in progress is abandoned at its next batch and its `.cleaned` files removed. */
  async shutdown(): Promise<void> {
    this.stopped = true
    if (this.sleepTimer) clearTimeout(this.sleepTimer)
    this.wake?.()
    await this.loop
    this.loop = undefined
  }

  private async run(): Promise<void> {
    while (!this.stopped) {
      const stats = await this.cleanFilthiestLog().catch(() => undefined)
      if (!stats && !this.stopped) await this.sleep(this.opts.backoffMs ?? 15_000)
    }
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      this.wake = resolve
      this.sleepTimer = setTimeout(resolve, ms)
      this.sleepTimer.unref()
    })
  }

  /** One pass of the loop: cleans the log most in need, if any. */
  async cleanFilthiestLog(): Promise<CleanerStats | undefined> {
    const now = this.time()
    let best: LogToClean | undefined
    for (const log of this.opts.logs()) {
      if (!log.config.cleanupPolicy.includes('compact') || log.isOffline || this.uncleanable.has(log))
        continue
      const candidate = await this.logToClean(log, now)
      const horizon = this.checkpoints.get(log)?.latestDeleteHorizon
      const eligible =
        (candidate.cleanableBytes > 0 &&
          (candidate.needCompactionNow || candidate.cleanableRatio >= log.config.minCleanableDirtyRatio)) ||
        (horizon !== undefined && horizon <= now)
      if (eligible && (!best || candidate.cleanableRatio > best.cleanableRatio)) best = candidate
    }
    if (!best) return undefined
    try {
      const stats = await this.clean(best.log)
      this.opts.onCleaned?.(best.log, stats, this.time() - now)
      return stats
    } catch (err) {
      if (!(err instanceof CleanerAbortedError) && !best.log.isOffline) {
        this.uncleanable.add(best.log)
        this.opts.onError?.(err, best.log)
      }
      throw err
    }
  }

  /** Where the log's dirty section starts and ends (LogCleanerManager.cleanableOffsets), and its ratio. */
  async logToClean(log: UnifiedLog, now = this.time()): Promise<LogToClean> {
    const config = log.config
    const segments = log.segments
    const active = log.activeSegment
    const saved = this.checkpoints.get(log)?.firstDirtyOffset ?? log.logStartOffset
    const firstDirtyOffset =
      saved < log.logStartOffset || saved > log.logEndOffset ? log.logStartOffset : saved
    // Only whole non-active segments below the last stable offset (so below the high watermark and outside
    // any open transaction) and old enough can be cleaned.
    const lastStableOffset = log.lastStableOffset
    let firstUncleanableOffset = active.baseOffset
    let needCompactionNow = false
    let firstDirtySeen = false
    for (const s of segments) {
      if (s === active) break
      if (s.nextOffset > lastStableOffset) {
        firstUncleanableOffset = Math.min(firstUncleanableOffset, s.baseOffset)
        break
      }
      if (s.nextOffset <= firstDirtyOffset) continue
      if (config.minCompactionLagMs > 0 && s.largestTimestamp > now - config.minCompactionLagMs) {
        firstUncleanableOffset = Math.min(firstUncleanableOffset, s.baseOffset)
        break
      }
      if (!firstDirtySeen && Number.isFinite(config.maxCompactionLagMs)) {
        const first = await firstBatchTimestamp(s)
        needCompactionNow = first >= 0 && first < now - config.maxCompactionLagMs
      }
      firstDirtySeen = true
    }
    firstUncleanableOffset = Math.max(firstUncleanableOffset, firstDirtyOffset)
    let cleanBytes = 0
    let cleanableBytes = 0
    for (const s of segments) {
      if (s.nextOffset <= firstDirtyOffset) cleanBytes += s.size
      else if (s.baseOffset < firstUncleanableOffset && s !== active) cleanableBytes += s.size
    }
    const total = cleanBytes + cleanableBytes
    return {
      log,
      firstDirtyOffset,
      firstUncleanableOffset,
      cleanBytes,
      cleanableBytes,
      cleanableRatio: total === 0 ? 0 : cleanableBytes / total,
      needCompactionNow: needCompactionNow && cleanableBytes > 0
    }
  }

  /** Cleans `log` now, whatever its dirty ratio (Cleaner.doClean). */
  async clean(log: UnifiedLog): Promise<CleanerStats> {
    const now = this.time()
    const target = await this.logToClean(log, now)
    const map = new OffsetMap(this.capacity)
    const full = await this.buildOffsetMap(log, target, map)
    const endOffset = full ? map.latestOffset + 1 : target.firstUncleanableOffset
    const stats: CleanerStats = {
      firstDirtyOffset: target.firstDirtyOffset,
      endOffset,
      segmentsCleaned: 0,
      recordsRetained: 0,
      recordsRemoved: 0,
      bytesRead: 0,
      bytesWritten: 0
    }
    const horizons: number[] = []
    const segments = log.segments
    const toClean = segments.filter((s) => s !== log.activeSegment && s.baseOffset < endOffset)
    // Carried from group to group: a transaction may span segments of different groups.
    const txns = new CleanedTransactionMetadata()
    for (const group of groupSegmentsBySize(toClean, log.config.segmentBytes, log.config.segmentIndexBytes)) {
      await this.cleanSegments(log, group, map, endOffset, now, stats, horizons, txns)
    }
    this.checkpoints.set(log, {
      firstDirtyOffset: endOffset,
      latestDeleteHorizon: horizons.length > 0 ? Math.max(...horizons) : undefined
    })
    return stats
  }

  private async checkDone(log: UnifiedLog): Promise<void> {
    if (this.stopped && this.loop) throw new CleanerAbortedError('log cleaner is shutting down')
    if (log.isOffline) throw new CleanerAbortedError(`log ${log.dir} went offline`)
    if (++this.batchesSinceYield >= BATCHES_PER_YIELD) {
      this.batchesSinceYield = 0
      await yieldToEventLoop()
    }
  }

  /** Records the latest offset of every key in the dirty section; true when the map filled up first. */
  private async buildOffsetMap(log: UnifiedLog, target: LogToClean, map: OffsetMap): Promise<boolean> {
    // Aborted data must not shadow earlier committed values of its keys, so it stays out of the map.
    const txns = new CleanedTransactionMetadata()
    txns.addAbortedTransactions(
      log.collectAbortedTransactions(target.firstDirtyOffset, target.firstUncleanableOffset)
    )
    for (const s of log.segments) {
      if (s.baseOffset >= target.firstUncleanableOffset) break
      if (s.nextOffset <= target.firstDirtyOffset) continue
      for await (const { entry, data } of readStoredBatches(s.log)) {
        await this.checkDone(log)
        if (entry.lastOffset < target.firstDirtyOffset) continue
        if (map.wouldOverflow(entry.lastOffset - entry.baseOffset + 1)) return true
        const attributes = data.readInt16BE(ATTRIBUTES_OFFSET)
        const info: TxnBatchInfo = {
          producerId: data.readBigInt64BE(PRODUCER_ID_OFFSET),
          lastOffset: entry.lastOffset,
          isTransactional: (attributes & TRANSACTIONAL_BIT) !== 0
        }
        if ((attributes & CONTROL_BIT) !== 0) {
          const first = (await decodeRecordBatch(data)).records[0]
          txns.onControlBatchRead(info, first ? decodeControlRecordKey(first.key).type : undefined)
        } else if (!txns.onBatchRead(info)) {
          const batch = await decodeRecordBatch(data)
          for (const r of batch.records) {
            const offset = entry.baseOffset + r.offsetDelta
            if (r.key !== null && offset >= target.firstDirtyOffset) map.put(r.key, offset)
          }
        }
        map.advanceTo(entry.lastOffset)
      }
    }
    return false
  }

  /** Rewrites one group of segments into one `.cleaned` segment and swaps it in (Cleaner.cleanSegments). */
  private async cleanSegments(
    log: UnifiedLog,
    group: readonly LogSegment[],
    map: OffsetMap,
    retainFrom: number,
    now: number,
    stats: CleanerStats,
    horizons: number[],
    txns: CleanedTransactionMetadata
  ): Promise<void> {
    const config = log.config
    const first = group[0]!
    const lastModified = Math.max(...group.map((s) => s.largestTimestamp))
    const cleaned = await LogSegment.open(
      log.dir,
      first.baseOffset,
      { indexIntervalBytes: config.indexIntervalBytes, segmentIndexBytes: config.segmentIndexBytes, now },
      true,
      CLEANED_FILE_SUFFIX
    )
    const ctx = { map, retainFrom, now, deleteRetentionMs: config.deleteRetentionMs, txns }
    // The cleaned segment's transaction index: the aborted transactions whose markers it keeps.
    txns.retainedAbortedTxns = []
    let pending: Buffer[] = []
    let pendingBytes = 0
    const write = async () => {
      if (pendingBytes === 0) return
      const data = Buffer.concat(pending, pendingBytes)
      pending = []
      pendingBytes = 0
      await cleaned.append(data, batchEntries(data), lastModified)
      stats.bytesWritten += data.length
    }
    try {
      for (const [i, s] of group.entries()) {
        // The whole segment's range, as the rebuilt transaction index must cover all of it.
        const upper = group[i + 1]?.baseOffset ?? s.nextOffset
        txns.addAbortedTransactions(log.collectAbortedTransactions(s.baseOffset, upper))
        for await (const { data } of readStoredBatches(s.log)) {
          await this.checkDone(log)
          stats.bytesRead += data.length
          const result = await filterBatch(data, ctx)
          stats.recordsRetained += result.retainedRecords
          stats.recordsRemoved += result.removedRecords
          if (result.retainedTombstoneHorizon !== undefined) horizons.push(result.retainedTombstoneHorizon)
          if (!result.batch) continue
          pending.push(result.batch)
          pendingBytes += result.batch.length
          if (pendingBytes >= WRITE_CHUNK) await write()
        }
      }
      await write()
      await cleaned.flush()
      if (await log.replaceSegments(cleaned, group, txns.retainedAbortedTxns)) {
        stats.segmentsCleaned += group.length
      } else await cleaned.deleteFiles()
    } catch (err) {
      // Before the swap's commit point the cleaned files are just scratch; after it they are the log.
      if (cleaned.log.path.endsWith(CLEANED_FILE_SUFFIX)) await cleaned.deleteFiles().catch(() => undefined)
      throw err
    }
  }
}

/** Header entries of the whole batches in `data`, positions relative to it. */
function batchEntries(data: Buffer): BatchEntry[] {
  const out: BatchEntry[] = []
  for (let pos = 0; pos + RECORD_BATCH_OVERHEAD <= data.length; ) {
    const entry = batchEntryAt(data, pos)
    out.push(entry)
    pos += entry.size
  }
  return out
}

/** Max timestamp of the segment's first batch, -1 when empty (Kafka's getFirstBatchTimestamp). */
async function firstBatchTimestamp(s: LogSegment): Promise<number> {
  if (s.size < RECORD_BATCH_OVERHEAD) return -1
  return batchEntryAt(await s.log.read(0, RECORD_BATCH_OVERHEAD), 0).maxTimestamp
}

/**
 * Kafka's groupSegmentsBySize: consecutive segments merged into one cleaned segment as long as the sum stays
 * within segment.bytes and segment.index.bytes and the offsets fit one segment's 32-bit relative offsets.
 */
export function groupSegmentsBySize(
  segments: readonly LogSegment[],
  maxSize: number,
  maxIndexSize: number
): LogSegment[][] {
  const groups: LogSegment[][] = []
  let i = 0
  while (i < segments.length) {
    const first = segments[i]!
    const group = [first]
    let size = first.size
    let indexSize = first.offsetIndex.entries * 8 + first.timeIndex.entries * 12
    i++
    while (i < segments.length) {
      const s = segments[i]!
      const nextIndexSize = indexSize + s.offsetIndex.entries * 8 + s.timeIndex.entries * 12
      if (
        size + s.size > maxSize ||
        nextIndexSize > maxIndexSize ||
        s.nextOffset - 1 - first.baseOffset > INT32_MAX
      )
        break
      group.push(s)
      size += s.size
      indexSize = nextIndexSize
      i++
    }
    groups.push(group)
  }
  return groups
}
