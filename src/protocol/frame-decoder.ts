/**
 * Splits a TCP byte stream into Kafka frames (requests on the broker's side, responses on a broker-to-broker
 * client's): int32 size, then `size` bytes of payload. The size is checked against the maximum (for
 * requests, `socket.request.max.bytes`) as soon as the 4-byte prefix is seen, before any of the payload is
 * buffered. Sans-io: owned by one connection, used only from the event loop.
 *
 * Two ways in. `push` takes chunks the decoder may keep (a socket's 'data' events): a frame within one
 * chunk is returned as a view into it, and a large frame spread over many chunks is assembled in a buffer
 * leased from the pool as its chunks arrive. `pushTransient` takes chunks of a reused read buffer: every
 * frame is copied into a buffer of its own (leased when large) as its bytes arrive. Either way a large frame
 * costs one copy into memory that is usually already mapped, while the chunk is still in cache. The caller
 * owns every returned payload; it may give a pooled one back with `pool.release` once no view into it is
 * used any more.
 */

export class InvalidReceiveError extends Error {
  override readonly name = 'InvalidReceiveError'
}

const SIZE_BYTES = 4

function invalidReceive(size: number, max: number): InvalidReceiveError {
  return new InvalidReceiveError(`Invalid receive (size = ${size} larger than ${max})`)
}

/** Where frames get their memory (a BufferPool leases large ones); Buffer.allocUnsafe by default. */
export interface FrameBufferSource {
  acquire(size: number): Buffer
}

const UNPOOLED: FrameBufferSource = { acquire: (size) => Buffer.allocUnsafe(size) }
/** The size below which a frame spread over chunks is concatenated rather than given its own buffer. */
const MIN_ASSEMBLED_BYTES = 1 << 16

export class FrameDecoder {
  private chunks: Buffer[] = []
  private buffered = 0
  /** Payload size of the frame being assembled, once its prefix has been read. */
  private frameSize = -1
  /** The pooled buffer a large frame is copied into as it arrives, and how much of it is filled. */
  private assembly: Buffer | null = null
  private filled = 0
  /** pushTransient's state: the size prefix being read, the frame being filled, frames completed. */
  private readonly prefix = Buffer.alloc(SIZE_BYTES)
  private prefixFilled = 0
  private target: Buffer | null = null
  private readonly ready: Buffer[] = []
  private transient = false
  /** A bad size prefix pushTransient met; thrown by next() once the frames before it are returned. */
  private invalid: InvalidReceiveError | null = null

  constructor(
    private maxFrameBytes: number,
    private readonly pool: FrameBufferSource = UNPOOLED
  ) {}

  /**
   * Changes the size limit for frames whose prefix has not been read yet (a SASL connection is held to
   * `sasl.server.max.receive.size` until it has authenticated).
   */
  setMaxFrameBytes(maxFrameBytes: number): void {
    this.maxFrameBytes = maxFrameBytes
  }

  /** Bytes received but not yet returned as frames. */
  get bufferedBytes(): number {
    return this.buffered
  }

  push(chunk: Buffer): void {
    if (chunk.length === 0) return
    this.buffered += chunk.length
    const target = this.assembly
    if (target !== null) {
      const n = Math.min(chunk.length, target.length - this.filled)
      chunk.copy(target, this.filled, 0, n)
      this.filled += n
      if (n === chunk.length) return
      chunk = chunk.subarray(n)
    }
    this.chunks.push(chunk)
  }

  /**
   * Like push, for a chunk valid only during this call (a socket's shared read buffer). Parsed at once:
   * each frame gets its own buffer as soon as its size prefix is read (leased from the pool when large) and
   * every byte is copied exactly once, into the frame that keeps it. Completed frames wait for next().
   * A connection uses either push or pushTransient, never both.
   */
  pushTransient(chunk: Buffer): void {
    this.transient = true
    this.buffered += chunk.length
    let pos = 0
    while (pos < chunk.length && this.invalid === null) {
      let target = this.target
      if (target === null) {
        const n = Math.min(SIZE_BYTES - this.prefixFilled, chunk.length - pos)
        chunk.copy(this.prefix, this.prefixFilled, pos, pos + n)
        pos += n
        this.prefixFilled += n
        if (this.prefixFilled < SIZE_BYTES) break
        this.prefixFilled = 0
        const size = this.prefix.readInt32BE(0)
        if (size < 0 || size > this.maxFrameBytes) {
          this.invalid = invalidReceive(size, this.maxFrameBytes)
          break
        }
        target = this.pool.acquire(size)
        this.target = target
        this.filled = 0
      }
      const n = Math.min(target.length - this.filled, chunk.length - pos)
      chunk.copy(target, this.filled, pos, pos + n)
      pos += n
      this.filled += n
      if (this.filled === target.length) {
        this.ready.push(target)
        this.target = null
      }
    }
  }

  /** The next complete payload (without its size prefix), or null if more bytes are needed. */
  next(): Buffer | null {
    const done = this.ready.shift()
    if (done !== undefined) {
      this.buffered -= SIZE_BYTES + done.length
      return done
    }
    if (this.invalid !== null) throw this.invalid
    if (this.transient) return null
    const target = this.assembly
    if (target !== null) {
      if (this.filled < target.length) return null
      this.assembly = null
      this.frameSize = -1
      this.buffered -= target.length
      return target
    }
    if (this.frameSize < 0) {
      if (this.buffered < SIZE_BYTES) return null
      const size = this.take(SIZE_BYTES).readInt32BE(0)
      if (size < 0 || size > this.maxFrameBytes) throw invalidReceive(size, this.maxFrameBytes)
      this.frameSize = size
    }
    if (this.buffered < this.frameSize) {
      if (this.frameSize >= MIN_ASSEMBLED_BYTES) this.startAssembly()
      return null
    }
    const payload = this.take(this.frameSize)
    this.frameSize = -1
    return payload
  }

  /** Moves the buffered part of the current (incomplete) frame into a leased buffer; push() fills the rest. */
  private startAssembly(): void {
    const target = this.pool.acquire(this.frameSize)
    let filled = 0
    for (const c of this.chunks) {
      c.copy(target, filled)
      filled += c.length
    }
    this.chunks = []
    this.assembly = target
    this.filled = filled
  }

  /** Removes n buffered bytes; zero-copy when they lie within the first chunk. */
  private take(n: number): Buffer {
    this.buffered -= n
    const first = this.chunks[0]
    if (first !== undefined && first.length >= n) {
      if (first.length === n) this.chunks.shift()
      else this.chunks[0] = first.subarray(n)
      return first.subarray(0, n)
    }
    const out = this.pool.acquire(n)
    let filled = 0
    while (filled < n) {
      const c = this.chunks[0]!
      const want = n - filled
      if (c.length <= want) {
        c.copy(out, filled)
        filled += c.length
        this.chunks.shift()
      } else {
        c.copy(out, filled, 0, want)
        this.chunks[0] = c.subarray(want)
        filled = n
      }
    }
    return out
  }
}
