import { IndexFile } from './index-file.js'

export const OFFSET_INDEX_ENTRY_SIZE = 8

export interface OffsetPosition {
  offset: number
  position: number
}

/**
 * Sparse map from offset to the file position of a batch in one segment: entries (relative offset int32,
 * position int32), both strictly increasing. An entry (o, p) says the batch starting at byte p ends at
 * offset o, so a lookup for any target >= o may start scanning batch headers at p.
 *
 * Ownership: belongs to one LogSegment on one event loop; mutations are serialised by the owning log.
 */
export class OffsetIndex {
  private offsets: Int32Array
  private positions: Int32Array
  private count = 0
  readonly file: IndexFile

  constructor(
    path: string,
    readonly baseOffset: number,
    readonly maxEntries: number
  ) {
    this.file = new IndexFile(path, OFFSET_INDEX_ENTRY_SIZE)
    const initial = Math.max(1, Math.min(maxEntries, 1024))
    this.offsets = new Int32Array(initial)
    this.positions = new Int32Array(initial)
  }

  get entries(): number {
    return this.count
  }

  get isFull(): boolean {
    return this.count >= this.maxEntries
  }

  lastEntry(): OffsetPosition {
    if (this.count === 0) return { offset: this.baseOffset, position: 0 }
    return this.entry(this.count - 1)
  }

  entry(i: number): OffsetPosition {
    return { offset: this.baseOffset + this.offsets[i]!, position: this.positions[i]! }
  }

  /** Loads entries from the file; returns false when they do not check out against a log of `logSize` bytes. */
  async load(logSize: number): Promise<boolean> {
    const data = await this.file.load()
    this.count = 0
    for (let at = 0; at < data.length; at += OFFSET_INDEX_ENTRY_SIZE) {
      const rel = data.readInt32BE(at)
      const pos = data.readInt32BE(at + 4)
      const last = this.count > 0 ? this.lastEntry() : undefined
      if (rel < 0 || pos < 0 || pos >= logSize || this.isFull) return this.failLoad()
      if (last && (this.baseOffset + rel <= last.offset || pos <= last.position)) return this.failLoad()
      this.append(this.baseOffset + rel, pos)
    }
    return true
  }

  private failLoad(): false {
    this.count = 0
    return false
  }

  append(offset: number, position: number): void {
    if (this.count > 0 && offset <= this.lastEntry().offset) {
      throw new Error(`offset index entry ${offset} is not larger than ${this.lastEntry().offset}`)
    }
    if (this.count === this.offsets.length) {
      const size = Math.min(this.maxEntries, this.count * 2)
      const offsets = new Int32Array(size)
      offsets.set(this.offsets)
      const positions = new Int32Array(size)
      positions.set(this.positions)
      this.offsets = offsets
      this.positions = positions
    }
    this.offsets[this.count] = offset - this.baseOffset
    this.positions[this.count] = position
    this.count++
  }

  /** The entry with the largest offset <= target, or (baseOffset, 0) when there is none. */
  lookup(target: number): OffsetPosition {
    const i = this.largestLowerBound(target - this.baseOffset)
    return i < 0 ? { offset: this.baseOffset, position: 0 } : this.entry(i)
  }

  private largestLowerBound(rel: number): number {
    let lo = 0
    let hi = this.count - 1
    let found = -1
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1
      if (this.offsets[mid]! <= rel) {
        found = mid
        lo = mid + 1
      } else hi = mid - 1
    }
    return found
  }

  /** Removes every entry with offset >= target. */
  truncateTo(target: number): void {
    this.count = this.largestLowerBound(target - this.baseOffset - 1) + 1
  }

  reset(): void {
    this.count = 0
  }

  async flush(sync = true): Promise<void> {
    await this.file.flush(
      this.count,
      (i, into, at) => {
        into.writeInt32BE(this.offsets[i]!, at)
        into.writeInt32BE(this.positions[i]!, at + 4)
      },
      sync
    )
  }
}
