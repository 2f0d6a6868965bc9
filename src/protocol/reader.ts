import { ProtocolDecodeError } from './decode-error.js'

/** A tagged field the decoder did not recognise, kept so that re-encoding is lossless. */
export interface UnknownTaggedField {
  tag: number
  data: Buffer
}

const UUID_BYTES = 16

/**
 * Cursor over one received buffer. Every read checks bounds first, so malformed input throws
 * ProtocolDecodeError and never allocates beyond the input. Byte fields are zero-copy views.
 */
export class Reader {
  offset: number
  readonly buffer: Buffer

  constructor(buffer: Buffer, offset = 0) {
    this.buffer = buffer
    this.offset = offset
  }

  get remaining(): number {
    return this.buffer.length - this.offset
  }

  private need(n: number): number {
    const at = this.offset
    if (n < 0 || at + n > this.buffer.length) {
      throw new ProtocolDecodeError(`need ${n} bytes at offset ${at}, only ${this.buffer.length - at} left`)
    }
    this.offset = at + n
    return at
  }

  readInt8(): number {
    return this.buffer.readInt8(this.need(1))
  }
  readBool(): boolean {
    return this.buffer.readInt8(this.need(1)) !== 0
  }
  readInt16(): number {
    return this.buffer.readInt16BE(this.need(2))
  }
  readUInt16(): number {
    return this.buffer.readUInt16BE(this.need(2))
  }
  readInt32(): number {
    return this.buffer.readInt32BE(this.need(4))
  }
  readUInt32(): number {
    return this.buffer.readUInt32BE(this.need(4))
  }
  readInt64(): bigint {
    return this.buffer.readBigInt64BE(this.need(8))
  }
  readFloat64(): number {
    return this.buffer.readDoubleBE(this.need(8))
  }

  readUnsignedVarint(): number {
    let value = 0
    let shift = 0
    for (;;) {
      const b = this.buffer[this.need(1)]!
      value |= (b & 0x7f) << shift
      if ((b & 0x80) === 0) return value >>> 0
      shift += 7
      if (shift > 28) throw new ProtocolDecodeError('unsigned varint is longer than 5 bytes')
    }
  }

  readVarint(): number {
    const raw = this.readUnsignedVarint()
    return (raw >>> 1) ^ -(raw & 1)
  }

  readUnsignedVarlong(): bigint {
    let value = 0n
    let shift = 0n
    for (;;) {
      const b = this.buffer[this.need(1)]!
      value |= BigInt(b & 0x7f) << shift
      if ((b & 0x80) === 0) return value
      shift += 7n
      if (shift > 63n) throw new ProtocolDecodeError('varlong is longer than 10 bytes')
    }
  }

  readVarlong(): bigint {
    const raw = this.readUnsignedVarlong()
    return BigInt.asIntN(64, (raw >> 1n) ^ -(raw & 1n))
  }

  readUuid(): string {
    const at = this.need(UUID_BYTES)
    return this.buffer.toString('base64url', at, at + UUID_BYTES)
  }

  /** Raw bytes of a known length, as a view into the input. */
  readRaw(length: number): Buffer {
    const at = this.need(length)
    return this.buffer.subarray(at, at + length)
  }

  private lengthOrNull(length: number, what: string, nullable: boolean): number | null {
    if (length === -1 && nullable) return null
    if (length < 0) throw new ProtocolDecodeError(`invalid ${what} length ${length}`)
    if (length > this.remaining) {
      throw new ProtocolDecodeError(`${what} length ${length} exceeds the ${this.remaining} bytes left`)
    }
    return length
  }

  readString(): string {
    return this.readStringOfLength(this.lengthOrNull(this.readInt16(), 'string', false)!)
  }
  readNullableString(): string | null {
    const n = this.lengthOrNull(this.readInt16(), 'string', true)
    return n === null ? null : this.readStringOfLength(n)
  }
  readCompactString(): string {
    const n = this.lengthOrNull(this.readUnsignedVarint() - 1, 'compact string', false)!
    return this.readStringOfLength(n)
  }
  readCompactNullableString(): string | null {
    const n = this.lengthOrNull(this.readUnsignedVarint() - 1, 'compact string', true)
    return n === null ? null : this.readStringOfLength(n)
  }
  private readStringOfLength(n: number): string {
    const at = this.need(n)
    return this.buffer.toString('utf8', at, at + n)
  }

  readBytes(): Buffer {
    return this.readRaw(this.lengthOrNull(this.readInt32(), 'bytes', false)!)
  }
  readNullableBytes(): Buffer | null {
    const n = this.lengthOrNull(this.readInt32(), 'bytes', true)
    return n === null ? null : this.readRaw(n)
  }
  readCompactBytes(): Buffer {
    return this.readRaw(this.lengthOrNull(this.readUnsignedVarint() - 1, 'compact bytes', false)!)
  }
  readCompactNullableBytes(): Buffer | null {
    const n = this.lengthOrNull(this.readUnsignedVarint() - 1, 'compact bytes', true)
    return n === null ? null : this.readRaw(n)
  }

  /**
   * Array length prefix. Every element takes at least one byte on the wire, so a count larger than the
   * bytes left is malformed; checking it here bounds the allocation by the input size.
   */
  readArrayLength(compact: boolean, nullable: boolean): number | null {
    const n = compact ? this.readUnsignedVarint() - 1 : this.readInt32()
    return this.lengthOrNull(n, 'array', nullable)
  }

  readArray<T>(compact: boolean, read: (r: Reader) => T): T[] {
    const n = this.readArrayLength(compact, false)!
    const out = new Array<T>(n)
    for (let i = 0; i < n; i++) out[i] = read(this)
    return out
  }

  readNullableArray<T>(compact: boolean, read: (r: Reader) => T): T[] | null {
    const n = this.readArrayLength(compact, true)
    if (n === null) return null
    const out = new Array<T>(n)
    for (let i = 0; i < n; i++) out[i] = read(this)
    return out
  }

  /**
   * Reads a tagged-field section. `known` handles the tags this version defines and returns false for
   * any other tag, which is then kept verbatim.
   */
  readTaggedFields(known: (tag: number, r: Reader) => boolean): UnknownTaggedField[] | undefined {
    const count = this.readUnsignedVarint()
    let unknown: UnknownTaggedField[] | undefined
    let lastTag = -1
    for (let i = 0; i < count; i++) {
      const tag = this.readUnsignedVarint()
      if (tag <= lastTag) throw new ProtocolDecodeError(`tagged field ${tag} out of order`)
      lastTag = tag
      const size = this.readUnsignedVarint()
      if (size > this.remaining) throw new ProtocolDecodeError(`tagged field ${tag} size ${size} too large`)
      const end = this.offset + size
      const field = new Reader(this.buffer.subarray(0, end), this.offset)
      if (known(tag, field)) {
        if (field.offset !== end) throw new ProtocolDecodeError(`tagged field ${tag} has trailing bytes`)
      } else {
        if (unknown === undefined) unknown = []
        unknown.push({ tag, data: this.buffer.subarray(this.offset, end) })
      }
      this.offset = end
    }
    return unknown
  }
}
