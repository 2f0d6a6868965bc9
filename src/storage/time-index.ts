import { IndexFile } from './index-file.js'

export const TIME_INDEX_ENTRY_SIZE = 12

export interface TimestampOffset {
  timestamp: number
  offset: number
}

/**
 * Sparse map from timestamp to offset in one segment: entries (timestamp int64, relative offset int32), both
 * strictly increasing. An entry (t, o) says no record at an offset <= o has a timestamp above t, so a search
 * for the first record with timestamp >= target may start at the last entry whose timestamp is < target.
 *
 * Ownership: belongs to one LogSegment on one event loop; mutations are serialised by the owning log.
 */
export class TimeIndex {
  private timestamps: Float64Array
  private offsets: Int32Array
  private count = 0
  readonly file: IndexFile

  constructor(
    path: string,
    readonly baseOffset: number,
    readonly maxEntries: number
  ) {
    this.file = new IndexFile(path, TIME_INDEX_ENTRY_SIZE)
    const initial = Math.max(1, Math.min(maxEntries, 1024))
    this.timestamps = new Float64Array(initial)
    this.offsets = new Int32Array(initial)
  }

  get entries(): number {
    return this.count
  }

  get isFull(): boolean {
    return this.count >= this.maxEntries
  }

  entry(i: number): TimestampOffset {
    return { timestamp: this.timestamps[i]!, offset: this.baseOffset + this.offsets[i]! }
  }

  /** The last entry, or (-1, baseOffset) when empty. */
  lastEntry(): TimestampOffset {
    return this.count === 0 ? { timestamp: -1, offset: this.baseOffset } : this.entry(this.count - 1)
  }

  /** Loads entries from the file; returns false when they do not check out against the segment's offsets. */
  async load(nextOffset: number): Promise<boolean> {
    const data = await this.file.load()
    this.count = 0
    for (let at = 0; at < data.length; at += TIME_INDEX_ENTRY_SIZE) {
      const ts = Number(data.readBigInt64BE(at))
      const rel = data.readInt32BE(at + 8)
      const last = this.count > 0 ? this.lastEntry() : undefined
      const bad = rel < 0 || this.baseOffset + rel >= nextOffset || this.isFull
      if (bad || (last && (ts <= last.timestamp || this.baseOffset + rel < last.offset))) {
        this.count = 0
        return false
      }
      this.push(ts, rel)
    }
    return true
  }

  /** Appends (timestamp, offset) only if the timestamp is larger than the last entry's, as Kafka does. */
  maybeAppend(timestamp: number, offset: number): void {
    if (timestamp <= this.lastEntry().timestamp || this.isFull) return
    this.push(timestamp, offset - this.baseOffset)
  }

  private push(timestamp: number, rel: number): void {
    if (this.count === this.timestamps.length) {
      const size = Math.min(this.maxEntries, this.count * 2)
      const timestamps = new Float64Array(size)
      timestamps.set(this.timestamps)
      const offsets = new Int32Array(size)
      offsets.set(this.offsets)
      this.timestamps = timestamps
      this.offsets = offsets
    }
    this.timestamps[this.count] = timestamp
    this.offsets[this.count] = rel
    this.count++
  }

  /** The last entry with timestamp strictly below target, or (-1, baseOffset) when there is none. */
  lookupBelow(target: number): TimestampOffset {
    let lo = 0
    let hi = this.count - 1
    let found = -1
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1
      if (this.timestamps[mid]! < target) {
        found = mid
        lo = mid + 1
      } else hi = mid - 1
    }
    return found < 0 ? { timestamp: -1, offset: this.baseOffset } : this.entry(found)
  }

  /** Removes every entry with offset >= target. */
  truncateTo(target: number): void {
    while (this.count > 0 && this.baseOffset + this.offsets[this.count - 1]! >= target) this.count--
  }

  reset(): void {
    this.count = 0
  }

  async flush(sync = true): Promise<void> {
    await this.file.flush(
      this.count,
      (i, into, at) => {
        into.writeBigInt64BE(BigInt(this.timestamps[i]!), at)
        into.writeInt32BE(this.offsets[i]!, at + 8)
      },
      sync
    )
  }
}
