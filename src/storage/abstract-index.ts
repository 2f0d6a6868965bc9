import { IndexFile } from './index-file.js'

/**
 * What OffsetIndex and TimeIndex share (Kafka's AbstractIndex): a sparse, in-memory array of fixed-size
 * entries, each holding an offset relative to the segment's base offset plus one value of its own kind,
 * persisted through an IndexFile; bounded by `maxEntries`; loaded and checked entry by entry; truncated by
 * offset. Subclasses keep their values in a typed array as long as `relativeOffsets` (allocated in their
 * field initialiser, which runs after this constructor) and append to both directly, so the append path is
 * plain array stores; the base only grows the arrays when they are full.
 *
 * Ownership: belongs to one LogSegment on one event loop; mutations are serialised by the owning log.
 */
export abstract class AbstractIndex<Entry> {
  /** Relative offsets of the entries [0, count), non-decreasing. */
  protected relativeOffsets: Int32Array
  protected count = 0
  readonly file: IndexFile

  constructor(
    path: string,
    readonly baseOffset: number,
    readonly maxEntries: number,
    private readonly entrySize: number
  ) {
    this.file = new IndexFile(path, entrySize)
    // Most segments never fill their index: start small, double on demand up to maxEntries.
    const initial = Math.max(1, Math.min(maxEntries, 1024))
    this.relativeOffsets = new Int32Array(initial)
  }

  get entries(): number {
    return this.count
  }

  get isFull(): boolean {
    return this.count >= this.maxEntries
  }

  abstract entry(i: number): Entry

  /** Replaces the subclass's value array by one of `size` entries holding the first `count`. */
  protected abstract resizeValues(size: number): void

  /** Reads entry `i`'s value and relative offset from `data` at `at` into slot `count` if it checks out. */
  protected abstract loadEntry(data: Buffer, at: number): boolean

  /** Serialises entry `i` into `into` at `at`, as the file holds it. */
  protected abstract writeEntry(i: number, into: Buffer, at: number): void

  /** Makes room for one more entry: callers check `isFull` first. */
  protected ensureCapacity(): void {
    if (this.count < this.relativeOffsets.length) return
    const size = Math.min(this.maxEntries, this.count * 2)
    const offsets = new Int32Array(size)
    offsets.set(this.relativeOffsets)
    this.relativeOffsets = offsets
    this.resizeValues(size)
  }

  /** Loads entries from the file; false (and empty) when one of them does not check out. */
  protected async loadEntries(): Promise<boolean> {
    const data = await this.file.load()
    this.count = 0
    for (let at = 0; at < data.length; at += this.entrySize) {
      if (this.isFull || !this.loadEntry(data, at)) {
        this.count = 0
        return false
      }
    }
    return true
  }

  /** Removes every entry with offset >= target. */
  truncateTo(target: number): void {
    this.count = lastIndexBelow(this.relativeOffsets, this.count, target - this.baseOffset) + 1
  }

  reset(): void {
    this.count = 0
  }

  async flush(sync = true): Promise<void> {
    await this.file.flush(this.count, (i, into, at) => this.writeEntry(i, into, at), sync)
  }
}

/** The largest i < count with keys[i] < bound (keys non-decreasing), or -1: a binary search. */
export function lastIndexBelow(keys: Int32Array | Float64Array, count: number, bound: number): number {
  let lo = 0
  let hi = count - 1
  let found = -1
  while (lo <= hi) {
    const mid = (lo + hi) >>> 1
    if (keys[mid]! < bound) {
      found = mid
      lo = mid + 1
    } else hi = mid - 1
  }
  return found
}
