import { CorruptRecordError } from './record-errors.js'

const LZ4_FRAME_MAGIC = 0x184d2204
const FLG_CONTENT_SIZE = 0x08
const FLG_CONTENT_CHECKSUM = 0x04
const FLG_BLOCK_CHECKSUM = 0x10
const FLG_DICT_ID = 0x01
const BLOCK_UNCOMPRESSED_BIT = 0x7fffffff

/**
 * Walks the block structure of one LZ4 frame (Kafka's lz4 payload) and checks that it ends with its
 * end mark exactly at the end of the input. The native decoder returns what it has for a frame cut short,
 * so without this a truncated payload would decode "successfully". Checksums are left to the decoder.
 */
export function assertCompleteLz4Frame(data: Buffer): void {
  if (data.length < 7 || data.readUInt32LE(0) !== LZ4_FRAME_MAGIC) {
    throw new CorruptRecordError('lz4: not an LZ4 frame')
  }
  const flg = data[4]!
  let pos = 6
  if (flg & FLG_CONTENT_SIZE) pos += 8
  if (flg & FLG_DICT_ID) pos += 4
  pos += 1 // header checksum
  const blockChecksum = (flg & FLG_BLOCK_CHECKSUM) !== 0
  for (;;) {
    if (data.length - pos < 4) throw new CorruptRecordError('lz4: frame is truncated')
    const size = data.readUInt32LE(pos) & BLOCK_UNCOMPRESSED_BIT
    pos += 4
    if (size === 0) break
    pos += size + (blockChecksum ? 4 : 0)
  }
  if (flg & FLG_CONTENT_CHECKSUM) pos += 4
  if (pos !== data.length) {
    throw new CorruptRecordError(`lz4: frame ends at ${pos} but payload is ${data.length} bytes`)
  }
}
