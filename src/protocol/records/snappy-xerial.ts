import { CorruptRecordError } from './record-errors.js'

/**
 * snappy-java's stream framing, which the Java producer emits: an 8-byte magic, two int32 versions, then
 * blocks of (int32 big-endian length, raw snappy block). librdkafka and kafkajs send unframed raw snappy
 * instead, and every client (snappy-java included) accepts raw snappy, so we only ever parse this framing.
 */
const MAGIC = Buffer.from([0x82, 0x53, 0x4e, 0x41, 0x50, 0x50, 0x59, 0x00])
const HEADER_SIZE = 16

export function isXerialFramed(data: Uint8Array): boolean {
  if (data.length < HEADER_SIZE) return false
  for (let i = 0; i < MAGIC.length; i++) if (data[i] !== MAGIC[i]) return false
  return true
}

/** The raw snappy blocks of a framed stream, as views into `data`. */
export function xerialBlocks(data: Buffer): Buffer[] {
  const blocks: Buffer[] = []
  let pos = HEADER_SIZE
  while (pos < data.length) {
    if (data.length - pos < 4) throw new CorruptRecordError('snappy-java frame: truncated block length')
    const n = data.readInt32BE(pos)
    pos += 4
    if (n < 0 || n > data.length - pos)
      throw new CorruptRecordError(`snappy-java frame: bad block length ${n}`)
    blocks.push(data.subarray(pos, pos + n))
    pos += n
  }
  return blocks
}
