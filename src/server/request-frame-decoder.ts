/**
 * Splits a TCP byte stream into Kafka request frames: int32 size, then `size` bytes of payload.
 * The size is checked against `socket.request.max.bytes` as soon as the 4-byte prefix is seen, before any of
 * the payload is buffered. Sans-io: owned by one connection, used only from the event loop.
 */

export class InvalidReceiveError extends Error {
  override readonly name = 'InvalidReceiveError'
}

const SIZE_BYTES = 4

export class RequestFrameDecoder {
  private chunks: Buffer[] = []
  private buffered = 0
  /** Payload size of the frame being assembled, once its prefix has been read. */
  private frameSize = -1

  constructor(private readonly maxRequestBytes: number) {}

  /** Bytes received but not yet returned as frames. */
  get bufferedBytes(): number {
    return this.buffered
  }

  push(chunk: Buffer): void {
    if (chunk.length === 0) return
    this.chunks.push(chunk)
    this.buffered += chunk.length
  }

  /** The next complete payload (without its size prefix), or null if more bytes are needed. */
  next(): Buffer | null {
    if (this.frameSize < 0) {
      if (this.buffered < SIZE_BYTES) return null
      const size = this.take(SIZE_BYTES).readInt32BE(0)
      if (size < 0 || size > this.maxRequestBytes) {
        throw new InvalidReceiveError(`Invalid receive (size = ${size} larger than ${this.maxRequestBytes})`)
      }
      this.frameSize = size
    }
    if (this.buffered < this.frameSize) return null
    const payload = this.take(this.frameSize)
    this.frameSize = -1
    return payload
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
    const out = Buffer.allocUnsafe(n)
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
