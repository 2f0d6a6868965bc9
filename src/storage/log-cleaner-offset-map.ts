import { createHash } from 'node:crypto'

/** Keys up to this many bytes are stored as they are; longer ones by their MD5 digest (as Kafka always does). */
const MAX_PLAIN_KEY_BYTES = 24
/** Rough V8 cost of one entry (Map slot, short string, number), to turn a byte budget into a capacity. */
export const OFFSET_MAP_BYTES_PER_ENTRY = 96

/**
 * Kafka's OffsetMap for one cleaning pass: record key → offset of its latest occurrence in the dirty section.
 * Memory is bounded by `capacity` entries (log.cleaner.dedupe.buffer.size / OFFSET_MAP_BYTES_PER_ENTRY);
 * the cleaner stops building when the next batch would not fit and cleans only up to what the map covers.
 * Long keys are hashed, so two different long keys colliding on MD5 would be treated as one, the same risk
 * Kafka accepts.
 *
 * Ownership: one cleaning pass, on the event loop; never shared.
 */
export class OffsetMap {
  private readonly map = new Map<string, number>()
  private latest = -1

  constructor(readonly capacity: number) {}

  static slotOf(key: Buffer): string {
    if (key.length <= MAX_PLAIN_KEY_BYTES) return `s${key.toString('latin1')}`
    return `h${createHash('md5').update(key).digest('base64')}`
  }

  get size(): number {
    return this.map.size
  }

  /** The last offset the map has seen (covered), -1 when empty. */
  get latestOffset(): number {
    return this.latest
  }

  /** True when `more` additional keys might not fit. An empty map always takes one batch, to make progress. */
  wouldOverflow(more: number): boolean {
    return this.map.size > 0 && this.map.size + more > this.capacity
  }

  put(key: Buffer, offset: number): void {
    this.map.set(OffsetMap.slotOf(key), offset)
  }

  /** Marks every offset up to `offset` as covered, keyed or not. */
  advanceTo(offset: number): void {
    if (offset > this.latest) this.latest = offset
  }

  /** Latest offset of `key`, or -1 when the dirty section never had it. */
  get(key: Buffer): number {
    return this.map.get(OffsetMap.slotOf(key)) ?? -1
  }
}
