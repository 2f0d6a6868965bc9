import { ProtocolDecodeError } from '../decode-error.js'
import { Reader } from '../reader.js'
import type { Writer } from '../writer.js'
import { CorruptRecordError } from './record-errors.js'

/** A record header: the key is a UTF-8 string, the value opaque bytes (null allowed). */
export interface RecordHeader {
  key: string
  value: Buffer | null
}

/**
 * One record of a v2 batch, in its wire form: offset and timestamp are deltas from the batch's
 * baseOffset and baseTimestamp. Decoded keys, values and header values are views into the batch bytes
 * (or into the decompressed payload), never copies.
 */
export interface KafkaRecord {
  /** Unused by Kafka (always 0 from real clients); kept so a round trip is lossless. */
  attributes: number
  timestampDelta: bigint
  offsetDelta: number
  key: Buffer | null
  value: Buffer | null
  headers: RecordHeader[]
}

/** Bytes taken by a zig-zag varint of a 32-bit value. */
export function sizeOfVarint(v: number): number {
  return sizeOfUnsignedVarint(((v << 1) ^ (v >> 31)) >>> 0)
}

function sizeOfUnsignedVarint(u: number): number {
  if (u < 0x80) return 1
  if (u < 0x4000) return 2
  if (u < 0x200000) return 3
  if (u < 0x10000000) return 4
  return 5
}

/** Bytes taken by a zig-zag varlong. */
export function sizeOfVarlong(v: bigint): number {
  let u = BigInt.asUintN(64, (v << 1n) ^ (v >> 63n))
  let n = 1
  while (u >= 0x80n) {
    u >>= 7n
    n++
  }
  return n
}

function sizeOfVarBytes(b: Buffer | null): number {
  return b === null ? 1 : sizeOfVarint(b.length) + b.length
}

/** Size of the record body, i.e. everything after its own length varint. */
export function sizeOfRecordBody(record: KafkaRecord): number {
  let size =
    1 +
    sizeOfVarlong(record.timestampDelta) +
    sizeOfVarint(record.offsetDelta) +
    sizeOfVarBytes(record.key) +
    sizeOfVarBytes(record.value) +
    sizeOfVarint(record.headers.length)
  for (const h of record.headers) {
    const keyLength = Buffer.byteLength(h.key)
    size += sizeOfVarint(keyLength) + keyLength + sizeOfVarBytes(h.value)
  }
  return size
}

function writeVarBytes(w: Writer, b: Buffer | null): void {
  if (b === null) w.writeVarint(-1)
  else w.writeVarint(b.length).writeRaw(b)
}

export function writeRecord(w: Writer, record: KafkaRecord): void {
  w.writeVarint(sizeOfRecordBody(record))
  w.writeInt8(record.attributes)
  w.writeVarlong(record.timestampDelta)
  w.writeVarint(record.offsetDelta)
  writeVarBytes(w, record.key)
  writeVarBytes(w, record.value)
  w.writeVarint(record.headers.length)
  for (const h of record.headers) {
    const key = Buffer.from(h.key, 'utf8')
    w.writeVarint(key.length).writeRaw(key)
    writeVarBytes(w, h.value)
  }
}

function readVarBytes(r: Reader, what: string): Buffer | null {
  const n = r.readVarint()
  if (n === -1) return null
  if (n < 0) throw new ProtocolDecodeError(`invalid ${what} length ${n}`)
  return r.readRaw(n)
}

/**
 * Reads one record. Its declared length bounds every read, so a record can never consume its
 * neighbour's bytes; any inconsistency throws CorruptRecordError.
 */
export function readRecord(r: Reader): KafkaRecord {
  try {
    const length = r.readVarint()
    if (length < 0 || length > r.remaining) {
      throw new ProtocolDecodeError(`record length ${length} with ${r.remaining} bytes left`)
    }
    const end = r.offset + length
    const body = new Reader(r.buffer.subarray(0, end), r.offset)
    const attributes = body.readInt8()
    const timestampDelta = body.readVarlong()
    const offsetDelta = body.readVarint()
    const key = readVarBytes(body, 'key')
    const value = readVarBytes(body, 'value')
    const headerCount = body.readVarint()
    // Each header takes at least two bytes, which bounds the array by the input size.
    if (headerCount < 0 || headerCount * 2 > body.remaining) {
      throw new ProtocolDecodeError(`invalid header count ${headerCount}`)
    }
    const headers: RecordHeader[] = new Array(headerCount)
    for (let i = 0; i < headerCount; i++) {
      const keyLength = body.readVarint()
      if (keyLength < 0) throw new ProtocolDecodeError(`invalid header key length ${keyLength}`)
      const headerKey = body.readRaw(keyLength).toString('utf8')
      headers[i] = { key: headerKey, value: readVarBytes(body, 'header value') }
    }
    if (body.offset !== end) throw new ProtocolDecodeError(`record has ${end - body.offset} trailing bytes`)
    r.offset = end
    return { attributes, timestampDelta, offsetDelta, key, value, headers }
  } catch (err) {
    if (err instanceof ProtocolDecodeError)
      throw new CorruptRecordError(`invalid record: ${err.message}`, { cause: err })
    throw err
  }
}
