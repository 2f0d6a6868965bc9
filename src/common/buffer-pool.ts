/**
 * Reusable large buffers for the produce/fetch hot path. Allocating a fresh large buffer is expensive
 * (allocations of 128 KiB and more are mmap'ed, and every page faults on first touch), while copying into
 * memory that is already mapped is an order of magnitude cheaper. Request frames and fetch reads therefore
 * lease a buffer from size classes of powers of two and give it back once nothing can see it any more.
 *
 * Ownership rules: a leased buffer belongs to exactly one holder until `release`; whoever releases it
 * promises that no view into it is used afterwards. Releasing a buffer the pool did not lease (or releasing
 * twice) is a no-op, so callers may release every buffer of a response without knowing where each came from.
 * A leased buffer that is never released is simply garbage collected. Memory is bounded: at most
 * `maxRetainedBytes` sit idle in the pool; leases are bounded by their callers (in-flight request limits).
 * Used only from the event loop.
 */

const MIN_CLASS_SHIFT = 16
const MAX_CLASS_SHIFT = 26

/** Smaller buffers come from Node's own allocator, which is cheap at these sizes. */
export const MIN_POOLED_BYTES = 1 << MIN_CLASS_SHIFT
const MAX_POOLED_BYTES = 1 << MAX_CLASS_SHIFT
const DEFAULT_MAX_RETAINED_BYTES = 32 * 1024 * 1024

export class BufferPool {
  private readonly free: ArrayBuffer[][] = []
  private readonly leased = new WeakSet<ArrayBuffer>()
  private retained = 0

  constructor(private readonly maxRetainedBytes = DEFAULT_MAX_RETAINED_BYTES) {
    for (let s = 0; s <= MAX_CLASS_SHIFT - MIN_CLASS_SHIFT; s++) this.free.push([])
  }

  /** Bytes held idle for reuse. */
  get retainedBytes(): number {
    return this.retained
  }

  /**
   * A buffer of exactly `size` bytes, uninitialised. Sizes outside the pooled range are allocated normally
   * and are not tracked.
   */
  acquire(size: number): Buffer {
    if (size < MIN_POOLED_BYTES || size > MAX_POOLED_BYTES) return Buffer.allocUnsafe(size)
    const cls = classOf(size)
    const list = this.free[cls]!
    let ab = list.pop()
    if (ab === undefined) ab = new ArrayBuffer(1 << (cls + MIN_CLASS_SHIFT))
    else this.retained -= ab.byteLength
    this.leased.add(ab)
    return Buffer.from(ab, 0, size)
  }

  /** True while `buf` is a view into a buffer leased from this pool and not yet released. */
  isLeased(buf: Uint8Array): boolean {
    return this.leased.has(buf.buffer as ArrayBuffer)
  }

  /** Gives back the buffer `buf` views; no view into it may be used afterwards. */
  release(buf: Uint8Array): void {
    const ab = buf.buffer as ArrayBuffer
    if (!this.leased.delete(ab)) return
    if (this.retained + ab.byteLength > this.maxRetainedBytes) return
    this.free[classOf(ab.byteLength)]!.push(ab)
    this.retained += ab.byteLength
  }

  releaseAll(bufs: readonly Uint8Array[]): void {
    for (const b of bufs) this.release(b)
  }
}

/** Index of the smallest class that holds `size` bytes (size within the pooled range). */
function classOf(size: number): number {
  const shift = 32 - Math.clz32(size - 1)
  return Math.max(0, shift - MIN_CLASS_SHIFT)
}

/**
 * A broker's two pools. The broker assembly creates them once and hands them to the network layer (which
 * leases request frames and releases fetched bytes after writing them) and to the fetch path (which leases
 * its reads), so both sides of a fetch-read buffer see the same pool.
 */
export interface BrokerBufferPools {
  /**
   * Where large request frames are assembled. Kept apart from the fetch read pool: a frame's views may end up
   * in a response (JoinGroup metadata), and only fetch-read buffers are released when a response is written.
   */
  readonly requestFrames: BufferPool
  /**
   * Where fetch reads land. Only the fetch path leases from it, so a leased buffer of this pool found in a
   * response being written can only be fetched record bytes: the connection releases them after the write.
   */
  readonly fetchReads: BufferPool
}

export function createBrokerBufferPools(): BrokerBufferPools {
  return { requestFrames: new BufferPool(), fetchReads: new BufferPool() }
}
