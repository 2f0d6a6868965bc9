import { stat, unlink } from 'node:fs/promises'
import { join } from 'node:path'
import type { BufferPool } from '../common/buffer-pool.js'
import {
  LAST_OFFSET_DELTA_OFFSET,
  LOG_OVERHEAD,
  RECORD_BATCH_OVERHEAD
} from '../protocol/records/record-batch-header.js'
import { findRecord } from './batch-timestamps.js'
import { type BatchEntry, batchEntryAt, FileRecords } from './file-records.js'
import {
  INDEX_FILE_SUFFIX,
  LOG_FILE_SUFFIX,
  offsetFileStem,
  TIME_INDEX_FILE_SUFFIX
} from './log-file-names.js'
import { isValidBatch } from './log-validator.js'
import { OFFSET_INDEX_ENTRY_SIZE, OffsetIndex } from './offset-index.js'
import { TIME_INDEX_ENTRY_SIZE, TimeIndex, type TimestampOffset } from './time-index.js'

const INT32_MAX = 2 ** 31 - 1
const RECOVERY_READ_CHUNK = 1024 * 1024
/** Enough for the log's tail and a few consumers reading at different places in the segment. */
const MAX_KNOWN_BOUNDARIES = 16

export interface LogSegmentOptions {
  /** index.interval.bytes: bytes appended between two offset-index entries. */
  indexIntervalBytes: number
  /** segment.index.bytes: caps the entries of each index; a full index rolls the segment. */
  segmentIndexBytes: number
  /** Wall clock at creation, the fallback for segment.ms when the segment has no timestamps. */
  now: number
}

export interface RollParams {
  maxSegmentBytes: number
  maxSegmentMs: number
  messagesSize: number
  maxTimestampInMessages: number
  maxOffsetInMessages: number
  now: number
}

/** A contiguous run of whole batches read from a segment. */
export interface SegmentReadResult {
  records: Buffer
  /** File position of the first byte of `records`. */
  position: number
}

/**
 * One segment of a partition log: `<baseOffset>.log` with its sparse `.index` and `.timeindex`. Batches are
 * stored exactly as received (offsets already assigned); the segment reads headers but never records.
 *
 * Ownership: owned by one UnifiedLog on one event loop. append, truncateTo, recover, flush, rename and close
 * must be serialised by the owner. read, translateOffset and findOffsetByTimestamp may run concurrently with
 * an append: they see the segment as it was when they started.
 */
export class LogSegment {
  private bytesSinceLastIndexEntry = 0
  private maxTimestamp = -1
  private offsetOfMaxTimestamp = -1
  private next: number
  /** Max timestamp of the first batch: segment.ms counts from it, as in Kafka. */
  private rollingBasedTimestamp: number | undefined
  private lastModified: number
  /**
   * Batch boundaries this segment recently wrote or served: offset → file position of the batch holding it.
   * A consumer's next fetch starts exactly where its previous one ended, and one following the tail starts
   * where the last append ended, so most reads find their start here instead of scanning batch headers from
   * the nearest (sparse) index entry. Cleared whenever the file is cut back.
   */
  private readonly boundaries = new Map<number, number>()

  private constructor(
    readonly baseOffset: number,
    readonly log: FileRecords,
    readonly offsetIndex: OffsetIndex,
    readonly timeIndex: TimeIndex,
    private readonly indexIntervalBytes: number,
    private readonly created: number
  ) {
    this.next = baseOffset
    this.lastModified = created
  }

  /** Opens (or creates) the files; call loadIndexes() or recover() before use. */
  static async open(
    dir: string,
    baseOffset: number,
    opts: LogSegmentOptions,
    create: boolean,
    suffix = ''
  ): Promise<LogSegment> {
    const stem = join(dir, offsetFileStem(baseOffset))
    const log = await FileRecords.open(stem + LOG_FILE_SUFFIX + suffix, create)
    const offsetIndex = new OffsetIndex(
      stem + INDEX_FILE_SUFFIX + suffix,
      baseOffset,
      Math.max(1, Math.floor(opts.segmentIndexBytes / OFFSET_INDEX_ENTRY_SIZE))
    )
    const timeIndex = new TimeIndex(
      stem + TIME_INDEX_FILE_SUFFIX + suffix,
      baseOffset,
      Math.max(1, Math.floor(opts.segmentIndexBytes / TIME_INDEX_ENTRY_SIZE))
    )
    const segment = new LogSegment(baseOffset, log, offsetIndex, timeIndex, opts.indexIntervalBytes, opts.now)
    if (create) {
      await offsetIndex.file.clear()
      await timeIndex.file.clear()
    } else segment.lastModified = (await stat(log.path)).mtimeMs
    return segment
  }

  get size(): number {
    return this.log.sizeInBytes
  }

  /** One past the last offset stored in this segment (baseOffset when empty). */
  get nextOffset(): number {
    return this.next
  }

  get maxTimestampSoFar(): number {
    return this.maxTimestamp
  }

  /** Last offset of the batch holding the largest timestamp (Kafka's shallow offset), -1 when none. */
  get offsetOfMaxTimestampSoFar(): number {
    return this.offsetOfMaxTimestamp
  }

  /** What retention.ms compares with: the max record timestamp, or the last write time when there is none. */
  get largestTimestamp(): number {
    return this.maxTimestamp >= 0 ? this.maxTimestamp : this.lastModified
  }

  /**
   * Trusts the index files of a cleanly closed segment. Returns false when they do not check out against the
   * log, or the log has a tail that is not whole batches; the caller then runs recover().
   */
  async loadIndexes(): Promise<boolean> {
    if (!(await this.offsetIndex.load(this.size))) return false
    const last = this.offsetIndex.lastEntry()
    let end = last.position
    this.next = this.baseOffset
    for await (const b of this.log.batches(last.position)) {
      this.observe(b)
      end = b.position + b.size
    }
    if (end !== this.size) return false
    if (this.offsetIndex.entries > 0 && this.next <= last.offset) return false
    if (!(await this.timeIndex.load(this.next))) return false
    const t = this.timeIndex.lastEntry()
    if (t.timestamp > this.maxTimestamp) {
      this.maxTimestamp = t.timestamp
      this.offsetOfMaxTimestamp = t.offset
    }
    this.bytesSinceLastIndexEntry = this.size - last.position
    await this.loadRollingBasedTimestamp()
    return true
  }

  private observe(b: BatchEntry): void {
    this.next = b.lastOffset + 1
    if (b.maxTimestamp > this.maxTimestamp) {
      this.maxTimestamp = b.maxTimestamp
      this.offsetOfMaxTimestamp = b.lastOffset
    }
  }

  private async loadRollingBasedTimestamp(): Promise<void> {
    this.rollingBasedTimestamp = undefined
    if (this.size < RECORD_BATCH_OVERHEAD) return
    const head = await this.log.read(0, RECORD_BATCH_OVERHEAD)
    const ts = batchEntryAt(head, 0).maxTimestamp
    if (ts >= 0) this.rollingBasedTimestamp = ts
  }

  /**
   * Re-reads the whole segment, validating each batch's length, CRC and offset order, rebuilds both indexes,
   * and truncates at the first batch that fails. `onBatch` sees each valid batch (to rebuild the leader
   * epoch cache). Returns the number of bytes cut off.
   */
  async recover(onBatch?: (b: BatchEntry) => void): Promise<number> {
    this.boundaries.clear()
    this.offsetIndex.reset()
    this.timeIndex.reset()
    await this.offsetIndex.file.clear()
    await this.timeIndex.file.clear()
    this.maxTimestamp = -1
    this.offsetOfMaxTimestamp = -1
    this.next = this.baseOffset
    this.bytesSinceLastIndexEntry = 0
    const end = this.size
    let window: Buffer = Buffer.alloc(0)
    let windowStart = 0
    let pos = 0
    while (pos < end) {
      if (end - pos < RECORD_BATCH_OVERHEAD) break
      if (pos + LOG_OVERHEAD > windowStart + window.length) {
        window = await this.log.read(pos, Math.min(RECOVERY_READ_CHUNK, end - pos))
        windowStart = pos
      }
      const size = window.readInt32BE(pos - windowStart + 8) + LOG_OVERHEAD
      if (size < RECORD_BATCH_OVERHEAD || pos + size > end) break
      if (pos + size > windowStart + window.length) {
        window = await this.log.read(pos, Math.min(Math.max(RECOVERY_READ_CHUNK, size), end - pos))
        windowStart = pos
      }
      const at = pos - windowStart
      if (!isValidBatch(window, at, size)) break
      const b = batchEntryAt(window, at, pos)
      if (b.baseOffset < this.next || b.lastOffset - this.baseOffset > INT32_MAX) break
      this.indexBatch(b, pos)
      onBatch?.(b)
      pos += size
    }
    const truncated = await this.log.truncateTo(pos)
    this.timeIndex.maybeAppend(this.maxTimestamp, this.offsetOfMaxTimestamp)
    await this.loadRollingBasedTimestamp()
    return truncated
  }

  /** Updates the in-memory indexes for one batch written at file position `filePosition`. */
  private indexBatch(b: BatchEntry, filePosition: number): void {
    this.observe(b)
    if (this.bytesSinceLastIndexEntry > this.indexIntervalBytes) {
      if (!this.offsetIndex.isFull) this.offsetIndex.append(b.lastOffset, filePosition)
      this.timeIndex.maybeAppend(this.maxTimestamp, this.offsetOfMaxTimestamp)
      this.bytesSinceLastIndexEntry = 0
    }
    this.bytesSinceLastIndexEntry += b.size
  }

  /**
   * Appends validated batches whose offsets are assigned (`batches` positions are relative to `data`).
   * If the write fails the file is cut back and nothing in memory changes.
   */
  async append(data: Buffer, batches: readonly BatchEntry[], now: number): Promise<void> {
    const first = batches[0]
    if (!first) return
    const last = batches[batches.length - 1]!
    if (last.lastOffset - this.baseOffset > INT32_MAX || first.baseOffset < this.next) {
      throw new Error(`offsets ${first.baseOffset}..${last.lastOffset} do not fit segment ${this.baseOffset}`)
    }
    const start = await this.log.append(data)
    if (start === 0 && first.maxTimestamp >= 0) this.rollingBasedTimestamp = first.maxTimestamp
    for (const b of batches) this.indexBatch(b, start + b.position)
    this.lastModified = now
    this.rememberBoundary(last.lastOffset + 1, start + data.length)
  }

  private rememberBoundary(offset: number, position: number): void {
    // Maps iterate in insertion order: re-inserting keeps the latest last, and the oldest goes first.
    if (!this.boundaries.delete(offset) && this.boundaries.size >= MAX_KNOWN_BOUNDARIES) {
      this.boundaries.delete(this.boundaries.keys().next().value as number)
    }
    this.boundaries.set(offset, position)
  }

  /** File position of the batch holding `offset` when it starts a batch this segment recently wrote or read. */
  knownPosition(offset: number): number | undefined {
    return this.boundaries.get(offset)
  }

  shouldRoll(p: RollParams): boolean {
    if (this.size === 0) return false
    const waited =
      this.rollingBasedTimestamp !== undefined
        ? p.maxTimestampInMessages - this.rollingBasedTimestamp
        : p.now - this.created
    return (
      this.size > p.maxSegmentBytes - p.messagesSize ||
      waited > p.maxSegmentMs ||
      this.offsetIndex.isFull ||
      this.timeIndex.isFull ||
      p.maxOffsetInMessages - this.baseOffset > INT32_MAX
    )
  }

  /** The first batch whose last offset is >= `offset`, scanning from the nearest index entry. */
  async translateOffset(offset: number, end = this.size): Promise<BatchEntry | undefined> {
    const from = this.offsetIndex.lookup(offset).position
    for await (const b of this.log.batches(from, end)) {
      if (b.lastOffset >= offset) return b
    }
    return undefined
  }

  /**
   * Whole batches from the one holding `startOffset`, at most `maxSize` bytes and ending at or before
   * `maxPosition`; with `minOneMessage` the first batch is returned even if larger than `maxSize`.
   * Undefined when no batch in this segment reaches `startOffset`. With a pool, `records` views a leased
   * buffer (see FileRecords.read).
   */
  async read(
    startOffset: number,
    maxSize: number,
    maxPosition = this.size,
    minOneMessage = false,
    pool?: BufferPool
  ): Promise<SegmentReadResult | undefined> {
    const end = Math.min(maxPosition, this.size)
    const known = this.boundaries.get(startOffset)
    if (known !== undefined) return this.readFrom(known, end, maxSize, minOneMessage, pool)
    const first = await this.translateOffset(startOffset, end)
    if (!first) return undefined
    const budget = Math.min(end - first.position, minOneMessage ? Math.max(maxSize, first.size) : maxSize)
    if (budget < first.size) return { records: Buffer.alloc(0), position: first.position }
    return this.wholeBatches(await this.log.read(first.position, budget, pool), first.position)
  }

  /** read() from a known batch boundary: the first header comes with the data instead of a scan. */
  private async readFrom(
    position: number,
    end: number,
    maxSize: number,
    minOneMessage: boolean,
    pool: BufferPool | undefined
  ): Promise<SegmentReadResult | undefined> {
    const available = end - position
    if (available < RECORD_BATCH_OVERHEAD) return undefined
    let data = await this.log.read(
      position,
      Math.min(available, Math.max(maxSize, RECORD_BATCH_OVERHEAD)),
      pool
    )
    const firstSize = data.readInt32BE(8) + LOG_OVERHEAD
    // As translateOffset: a batch that does not end below `end` is not readable yet.
    if (firstSize > available) {
      pool?.release(data)
      return undefined
    }
    const budget = Math.min(available, minOneMessage ? Math.max(maxSize, firstSize) : maxSize)
    if (budget < firstSize) {
      pool?.release(data)
      return { records: Buffer.alloc(0), position }
    }
    if (budget > data.length) {
      pool?.release(data)
      data = await this.log.read(position, budget, pool)
    }
    return this.wholeBatches(data.subarray(0, budget), position)
  }

  /** The whole batches at the start of `data` (read at `position`); remembers where the next read starts. */
  private wholeBatches(data: Buffer, position: number): SegmentReadResult {
    let whole = 0
    let nextOffset = -1
    while (whole + RECORD_BATCH_OVERHEAD <= data.length) {
      const size = data.readInt32BE(whole + 8) + LOG_OVERHEAD
      if (whole + size > data.length) break
      nextOffset = Number(data.readBigInt64BE(whole)) + data.readInt32BE(whole + LAST_OFFSET_DELTA_OFFSET) + 1
      whole += size
    }
    if (nextOffset >= 0) this.rememberBoundary(nextOffset, position + whole)
    return { records: data.subarray(0, whole), position }
  }

  /** The first record at or after `startingOffset` with a timestamp >= `timestamp`. */
  async findOffsetByTimestamp(
    timestamp: number,
    startingOffset = this.baseOffset
  ): Promise<TimestampOffset | undefined> {
    const below = this.timeIndex.lookupBelow(timestamp)
    const from = this.offsetIndex.lookup(Math.max(below.offset, startingOffset)).position
    for await (const b of this.log.batches(from)) {
      if (b.maxTimestamp < timestamp || b.lastOffset < startingOffset) continue
      const data = await this.log.read(b.position, b.size)
      const found = await findRecord(data, (ts, offset) => ts >= timestamp && offset >= startingOffset)
      if (found) return found
    }
    return undefined
  }

  /** The record holding this segment's max timestamp, for ListOffsets MAX_TIMESTAMP. */
  async findMaxTimestampRecord(): Promise<TimestampOffset | undefined> {
    if (this.maxTimestamp < 0) return undefined
    const b = await this.translateOffset(this.offsetOfMaxTimestamp)
    if (!b) return undefined
    const data = await this.log.read(b.position, b.size)
    return (
      (await findRecord(data, (ts) => ts === this.maxTimestamp)) ?? {
        timestamp: this.maxTimestamp,
        offset: b.baseOffset
      }
    )
  }

  /**
   * Removes every batch from the one holding `offset` on (a batch is never split), with the index entries
   * pointing into them. Returns the bytes removed.
   */
  async truncateTo(offset: number): Promise<number> {
    this.boundaries.clear()
    const at = await this.translateOffset(offset)
    this.offsetIndex.truncateTo(offset)
    this.timeIndex.truncateTo(offset)
    await this.offsetIndex.file.truncate(this.offsetIndex.entries)
    await this.timeIndex.file.truncate(this.timeIndex.entries)
    if (!at) return 0
    const removed = await this.log.truncateTo(at.position)
    // Max timestamp and next offset: start from what the indexes still vouch for and rescan the tail.
    const t = this.timeIndex.lastEntry()
    this.maxTimestamp = t.timestamp
    this.offsetOfMaxTimestamp = this.timeIndex.entries > 0 ? t.offset : -1
    this.next = this.baseOffset
    // lookup() never returns an entry after the last one, so this scan also covers the last batch.
    const from = this.offsetIndex.lookup(t.offset).position
    for await (const b of this.log.batches(from)) this.observe(b)
    this.bytesSinceLastIndexEntry = 0
    if (this.size === 0) this.rollingBasedTimestamp = undefined
    return removed
  }

  /** Called when a newer segment takes over appends: the time index gets its final entry, as in Kafka. */
  onBecomeInactiveSegment(): void {
    if (this.maxTimestamp >= 0) this.timeIndex.maybeAppend(this.maxTimestamp, this.offsetOfMaxTimestamp)
  }

  /** fsyncs the log and writes and fsyncs both indexes. */
  async flush(): Promise<void> {
    await this.log.flush()
    await this.offsetIndex.flush()
    await this.timeIndex.flush()
  }

  /** Renames the three files, e.g. to add `.deleted`; open handles keep working. */
  async changeFileSuffixes(oldSuffix: string, newSuffix: string): Promise<void> {
    const swap = (p: string) =>
      (p.endsWith(oldSuffix) ? p.slice(0, p.length - oldSuffix.length) : p) + newSuffix
    await this.log.renameTo(swap(this.log.path))
    await this.offsetIndex.file.renameTo(swap(this.offsetIndex.file.path))
    await this.timeIndex.file.renameTo(swap(this.timeIndex.file.path))
  }

  async close(): Promise<void> {
    this.onBecomeInactiveSegment()
    await this.offsetIndex.flush()
    await this.timeIndex.flush()
    await this.offsetIndex.file.close()
    await this.timeIndex.file.close()
    await this.log.close()
  }

  /** Closes without writing anything, then removes the files. */
  async deleteFiles(): Promise<void> {
    await this.offsetIndex.file.delete()
    await this.timeIndex.file.delete()
    await this.log.close().catch(() => undefined)
    await unlink(this.log.path).catch((err: NodeJS.ErrnoException) => {
      if (err.code !== 'ENOENT') throw err
    })
  }
}
