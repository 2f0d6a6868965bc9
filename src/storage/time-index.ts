import { AbstractIndex, lastIndexBelow } from './abstract-index.js'

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
export class TimeIndex extends AbstractIndex<TimestampOffset> {
  private timestamps = new Float64Array(this.relativeOffsets.length)
  /** The segment's next offset while loading, to check offsets against. */
  private loadingNextOffset = 0

  constructor(path: string, baseOffset: number, maxEntries: number) {
    super(path, baseOffset, maxEntries, TIME_INDEX_ENTRY_SIZE)
  }

  entry(i: number): TimestampOffset {
    return { timestamp: this.timestamps[i]!, offset: this.baseOffset + this.relativeOffsets[i]! }
  }

  /** The last entry, or (-1, baseOffset) when empty. */
  lastEntry(): TimestampOffset {
    return this.count === 0 ? { timestamp: -1, offset: this.baseOffset } : this.entry(this.count - 1)
  }

  /** Loads entries from the file; returns false when they do not check out against the segment's offsets. */
  async load(nextOffset: number): Promise<boolean> {
    this.loadingNextOffset = nextOffset
    return this.loadEntries()
  }

  protected loadEntry(data: Buffer, at: number): boolean {
    const ts = Number(data.readBigInt64BE(at))
    const rel = data.readInt32BE(at + 8)
    if (rel < 0 || this.baseOffset + rel >= this.loadingNextOffset) return false
    const last = this.count - 1
    if (last >= 0 && (ts <= this.timestamps[last]! || rel < this.relativeOffsets[last]!)) return false
    this.push(ts, rel)
    return true
  }

  /** Appends (timestamp, offset) only if the timestamp is larger than the last entry's, as Kafka does. */
  maybeAppend(timestamp: number, offset: number): void {
    // An empty index counts as last timestamp -1, as lastEntry() reports it.
    const last = this.count === 0 ? -1 : this.timestamps[this.count - 1]!
    if (timestamp <= last || this.isFull) return
    this.push(timestamp, offset - this.baseOffset)
  }

  private push(timestamp: number, rel: number): void {
    this.ensureCapacity()
    this.timestamps[this.count] = timestamp
    this.relativeOffsets[this.count] = rel
    this.count++
  }

  /** The last entry with timestamp strictly below target, or (-1, baseOffset) when there is none. */
  lookupBelow(target: number): TimestampOffset {
    const found = lastIndexBelow(this.timestamps, this.count, target)
    return found < 0 ? { timestamp: -1, offset: this.baseOffset } : this.entry(found)
  }

  protected resizeValues(size: number): void {
    const timestamps = new Float64Array(size)
    timestamps.set(this.timestamps.subarray(0, this.count))
    this.timestamps = timestamps
  }

  protected writeEntry(i: number, into: Buffer, at: number): void {
    into.writeBigInt64BE(BigInt(this.timestamps[i]!), at)
    into.writeInt32BE(this.relativeOffsets[i]!, at + 8)
  }
}
