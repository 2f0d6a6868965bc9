import { AbstractIndex, lastIndexBelow } from './abstract-index.js'

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
export class OffsetIndex extends AbstractIndex<OffsetPosition> {
  private positions = new Int32Array(this.relativeOffsets.length)
  /** The log's size while loading, to check positions against. */
  private loadingLogSize = 0

  constructor(path: string, baseOffset: number, maxEntries: number) {
    super(path, baseOffset, maxEntries, OFFSET_INDEX_ENTRY_SIZE)
  }

  lastEntry(): OffsetPosition {
    if (this.count === 0) return { offset: this.baseOffset, position: 0 }
    return this.entry(this.count - 1)
  }

  entry(i: number): OffsetPosition {
    return { offset: this.baseOffset + this.relativeOffsets[i]!, position: this.positions[i]! }
  }

  /** Loads entries from the file; returns false when they do not check out against a log of `logSize` bytes. */
  async load(logSize: number): Promise<boolean> {
    this.loadingLogSize = logSize
    return this.loadEntries()
  }

  protected loadEntry(data: Buffer, at: number): boolean {
    const rel = data.readInt32BE(at)
    const pos = data.readInt32BE(at + 4)
    if (rel < 0 || pos < 0 || pos >= this.loadingLogSize) return false
    const last = this.count - 1
    if (last >= 0 && (rel <= this.relativeOffsets[last]! || pos <= this.positions[last]!)) return false
    this.append(this.baseOffset + rel, pos)
    return true
  }

  append(offset: number, position: number): void {
    // Compared in relative terms: no entry object is built on the append path.
    if (this.count > 0 && offset - this.baseOffset <= this.relativeOffsets[this.count - 1]!) {
      throw new Error(`offset index entry ${offset} is not larger than ${this.lastEntry().offset}`)
    }
    this.ensureCapacity()
    this.relativeOffsets[this.count] = offset - this.baseOffset
    this.positions[this.count] = position
    this.count++
  }

  /** The entry with the largest offset <= target, or (baseOffset, 0) when there is none. */
  lookup(target: number): OffsetPosition {
    const i = lastIndexBelow(this.relativeOffsets, this.count, target - this.baseOffset + 1)
    return i < 0 ? { offset: this.baseOffset, position: 0 } : this.entry(i)
  }

  protected resizeValues(size: number): void {
    const positions = new Int32Array(size)
    positions.set(this.positions.subarray(0, this.count))
    this.positions = positions
  }

  protected writeEntry(i: number, into: Buffer, at: number): void {
    into.writeInt32BE(this.relativeOffsets[i]!, at)
    into.writeInt32BE(this.positions[i]!, at + 4)
  }
}
