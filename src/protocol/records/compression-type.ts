import { UnsupportedCompressionTypeError } from './record-errors.js'

/** Kafka's codec ids, stored in bits 0-2 of a batch's attributes. */
export const CompressionType = { NONE: 0, GZIP: 1, SNAPPY: 2, LZ4: 3, ZSTD: 4 } as const
export type CompressionType = (typeof CompressionType)[keyof typeof CompressionType]

export const COMPRESSION_CODEC_MASK = 0x07

export function isCompressionType(id: number): id is CompressionType {
  return Number.isInteger(id) && id >= CompressionType.NONE && id <= CompressionType.ZSTD
}

/** The codec named by a batch's attributes; ids 5-7 are undefined in Kafka and rejected. */
export function compressionTypeOf(attributes: number): CompressionType {
  const id = attributes & COMPRESSION_CODEC_MASK
  if (!isCompressionType(id)) throw new UnsupportedCompressionTypeError(id)
  return id
}
