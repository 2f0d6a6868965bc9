import type { UnknownTaggedField } from './reader.js'

const INITIAL_SIZE = 256
/** Byte fields at least this large are referenced, not copied, so record batches stay zero-copy. */
const ZERO_COPY_THRESHOLD = 1024

/**
 * Growable output for encoding. Large byte fields are kept as references in a chunk list, so encoding
 * a fetch response does not copy the record batches it carries. Not shared between encodes.
 */
export class Writer {
  private buf: Buffer
  private pos = 0
  private readonly chunks: Buffer[] = []
  private chunkedLength = 0

  constructor(initialSize = INITIAL_SIZE) {
    this.buf = Buffer.allocUnsafe(initialSize)
  }

  /** Total bytes written so far. */
  get length(): number {
    return this.chunkedLength + this.pos
  }

  private ensure(n: number): void {
    if (this.pos + n <= this.buf.length) return
    let size = this.buf.length * 2
    while (size < this.pos + n) size *= 2
    const next = Buffer.allocUnsafe(size)
    this.buf.copy(next, 0, 0, this.pos)
    this.buf = next
  }

  writeInt8(v: number): this {
    this.ensure(1)
    this.buf.writeInt8(v, this.pos)
    this.pos += 1
    return this
  }
  writeBool(v: boolean): this {
    return this.writeInt8(v ? 1 : 0)
  }
  writeInt16(v: number): this {
    this.ensure(2)
    this.buf.writeInt16BE(v, this.pos)
    this.pos += 2
    return this
  }
  writeUInt16(v: number): this {
    this.ensure(2)
    this.buf.writeUInt16BE(v, this.pos)
    this.pos += 2
    return this
  }
  writeInt32(v: number): this {
    this.ensure(4)
    this.buf.writeInt32BE(v, this.pos)
    this.pos += 4
    return this
  }
  writeUInt32(v: number): this {
    this.ensure(4)
    this.buf.writeUInt32BE(v, this.pos)
    this.pos += 4
    return this
  }
  writeInt64(v: bigint): this {
    this.ensure(8)
    this.buf.writeBigInt64BE(v, this.pos)
    this.pos += 8
    return this
  }
  writeFloat64(v: number): this {
    this.ensure(8)
    this.buf.writeDoubleBE(v, this.pos)
    this.pos += 8
    return this
  }

  writeUnsignedVarint(v: number): this {
    this.ensure(5)
    let x = v >>> 0
    while (x >= 0x80) {
      this.buf[this.pos++] = (x & 0x7f) | 0x80
      x >>>= 7
    }
    this.buf[this.pos++] = x
    return this
  }
  writeVarint(v: number): this {
    return this.writeUnsignedVarint(((v << 1) ^ (v >> 31)) >>> 0)
  }
  writeUnsignedVarlong(v: bigint): this {
    this.ensure(10)
    let x = BigInt.asUintN(64, v)
    while (x >= 0x80n) {
      this.buf[this.pos++] = Number(x & 0x7fn) | 0x80
      x >>= 7n
    }
    this.buf[this.pos++] = Number(x)
    return this
  }
  writeVarlong(v: bigint): this {
    return this.writeUnsignedVarlong((v << 1n) ^ (v >> 63n))
  }

  writeUuid(v: string): this {
    const bytes = Buffer.from(v, 'base64url')
    if (bytes.length !== 16) throw new RangeError(`invalid uuid ${v}`)
    return this.writeRaw(bytes)
  }

  /** Appends bytes; large ones are referenced rather than copied. */
  writeRaw(b: Uint8Array): this {
    if (b.length >= ZERO_COPY_THRESHOLD) {
      this.flushChunk()
      const view = Buffer.isBuffer(b) ? b : Buffer.from(b.buffer, b.byteOffset, b.length)
      this.chunks.push(view)
      this.chunkedLength += b.length
      return this
    }
    this.ensure(b.length)
    this.buf.set(b, this.pos)
    this.pos += b.length
    return this
  }

  private flushChunk(): void {
    if (this.pos === 0) return
    this.chunks.push(this.buf.subarray(0, this.pos))
    this.chunkedLength += this.pos
    this.buf = Buffer.allocUnsafe(Math.max(INITIAL_SIZE, this.buf.length - this.pos))
    this.pos = 0
  }

  writeString(v: string): this {
    const n = Buffer.byteLength(v)
    this.writeInt16(n)
    return this.writeUtf8(v, n)
  }
  writeNullableString(v: string | null): this {
    return v === null ? this.writeInt16(-1) : this.writeString(v)
  }
  writeCompactString(v: string): this {
    const n = Buffer.byteLength(v)
    this.writeUnsignedVarint(n + 1)
    return this.writeUtf8(v, n)
  }
  writeCompactNullableString(v: string | null): this {
    return v === null ? this.writeUnsignedVarint(0) : this.writeCompactString(v)
  }
  private writeUtf8(v: string, n: number): this {
    this.ensure(n)
    this.buf.write(v, this.pos, n, 'utf8')
    this.pos += n
    return this
  }

  writeBytes(v: Uint8Array): this {
    return this.writeInt32(v.length).writeRaw(v)
  }
  writeNullableBytes(v: Uint8Array | null): this {
    return v === null ? this.writeInt32(-1) : this.writeBytes(v)
  }
  writeCompactBytes(v: Uint8Array): this {
    return this.writeUnsignedVarint(v.length + 1).writeRaw(v)
  }
  writeCompactNullableBytes(v: Uint8Array | null): this {
    return v === null ? this.writeUnsignedVarint(0) : this.writeCompactBytes(v)
  }

  writeArrayLength(compact: boolean, n: number | null): this {
    if (compact) return this.writeUnsignedVarint(n === null ? 0 : n + 1)
    return this.writeInt32(n === null ? -1 : n)
  }

  writeArray<T>(compact: boolean, items: readonly T[], write: (w: Writer, item: T) => void): this {
    this.writeArrayLength(compact, items.length)
    for (const item of items) write(this, item)
    return this
  }

  writeNullableArray<T>(
    compact: boolean,
    items: readonly T[] | null,
    write: (w: Writer, item: T) => void
  ): this {
    if (items === null) return this.writeArrayLength(compact, null)
    return this.writeArray(compact, items, write)
  }

  /**
   * Writes a tagged-field section: the known fields, each encoded by its own callback into a scratch
   * writer so its size can be prefixed, merged in tag order with the unknown fields kept from decoding.
   */
  writeTaggedFields(
    known: ReadonlyArray<readonly [tag: number, write: (w: Writer) => void]>,
    unknown: readonly UnknownTaggedField[] | undefined
  ): this {
    const total = known.length + (unknown?.length ?? 0)
    this.writeUnsignedVarint(total)
    if (total === 0) return this
    const fields: Array<{ tag: number; data: Buffer }> = []
    for (const [tag, write] of known) {
      const scratch = new Writer(64)
      write(scratch)
      fields.push({ tag, data: scratch.toBuffer() })
    }
    if (unknown) fields.push(...unknown)
    fields.sort((a, b) => a.tag - b.tag)
    for (const f of fields) {
      this.writeUnsignedVarint(f.tag).writeUnsignedVarint(f.data.length).writeRaw(f.data)
    }
    return this
  }

  /** Overwrites an int32 written earlier (used for length prefixes). Only valid within the current chunk. */
  patchInt32(position: number, v: number): void {
    const local = position - this.chunkedLength
    if (local < 0) throw new RangeError('cannot patch a position in a flushed chunk')
    this.buf.writeInt32BE(v, local)
  }

  /** The encoded bytes as a list of buffers, for a vectored socket write. */
  toChunks(): Buffer[] {
    this.flushChunk()
    return this.chunks
  }

  toBuffer(): Buffer {
    if (this.chunks.length === 0) return this.buf.subarray(0, this.pos)
    const chunks = this.toChunks()
    return chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, this.chunkedLength)
  }
}
