import { COMPRESSION_CODEC_MASK, isCompressionType } from './compression-type.js'
import { crc32c } from './crc32c.js'
import {
  ATTRIBUTES_OFFSET,
  BATCH_LENGTH_OFFSET,
  CRC_OFFSET,
  LOG_OVERHEAD,
  MAGIC_OFFSET,
  RECORD_BATCH_OVERHEAD,
  RECORDS_COUNT_OFFSET,
  type RecordBatchHeader,
  readRecordBatchHeader
} from './record-batch-header.js'
import { CorruptRecordError } from './record-errors.js'

export const CURRENT_MAGIC = 2
/** Smallest legal batchLength: the header after baseOffset and batchLength, with no records. */
export const MIN_BATCH_LENGTH = RECORD_BATCH_OVERHEAD - LOG_OVERHEAD

/** Outcome of checking one batch: OK, a batch cut short by the end of the buffer, or bad bytes. */
export const BatchCheck = { OK: 0, TRUNCATED: 1, CORRUPT: 2 } as const
export type BatchCheck = (typeof BatchCheck)[keyof typeof BatchCheck]

/** Total size (batchLength plus the 12 bytes before it) of the batch at `position`, unchecked. */
export function batchSizeAt(buf: Buffer, position = 0): number {
  return buf.readInt32BE(position + BATCH_LENGTH_OFFSET) + LOG_OVERHEAD
}

/** CRC-32C of attributes..end matches the stored one; false also when the batch does not fit in `buf`. */
export function isBatchCrcValid(buf: Buffer, position = 0): boolean {
  if (buf.length - position < RECORD_BATCH_OVERHEAD) return false
  const end = position + batchSizeAt(buf, position)
  if (end > buf.length || end < position + RECORD_BATCH_OVERHEAD) return false
  const stored = buf.readUInt32BE(position + CRC_OFFSET)
  return crc32c(buf.subarray(position + ATTRIBUTES_OFFSET, end)) === stored
}

/**
 * Structural check of the batch at `position` without decoding its records: the hot path of produce
 * and of log recovery. Allocates nothing but one buffer view for the CRC. `reason` receives a
 * description only when the result is not OK.
 */
export function checkBatch(
  buf: Buffer,
  position: number,
  verifyCrc: boolean,
  reason?: { message: string }
): BatchCheck {
  const remaining = buf.length - position
  if (remaining < LOG_OVERHEAD) {
    if (reason) reason.message = `${remaining} bytes left, less than a batch header`
    return BatchCheck.TRUNCATED
  }
  const batchLength = buf.readInt32BE(position + BATCH_LENGTH_OFFSET)
  if (batchLength < MIN_BATCH_LENGTH) {
    if (reason) reason.message = `batchLength ${batchLength} is below the minimum ${MIN_BATCH_LENGTH}`
    return BatchCheck.CORRUPT
  }
  if (remaining > MAGIC_OFFSET && buf[position + MAGIC_OFFSET] !== CURRENT_MAGIC) {
    if (reason) reason.message = `unsupported magic ${buf.readInt8(position + MAGIC_OFFSET)}`
    return BatchCheck.CORRUPT
  }
  if (batchLength > remaining - LOG_OVERHEAD) {
    if (reason) reason.message = `batch needs ${batchLength + LOG_OVERHEAD} bytes, only ${remaining} left`
    return BatchCheck.TRUNCATED
  }
  if (!isCompressionType(buf.readInt16BE(position + ATTRIBUTES_OFFSET) & COMPRESSION_CODEC_MASK)) {
    if (reason) reason.message = 'unknown compression type'
    return BatchCheck.CORRUPT
  }
  if (buf.readInt32BE(position + RECORDS_COUNT_OFFSET) < 0) {
    if (reason) reason.message = 'negative record count'
    return BatchCheck.CORRUPT
  }
  if (verifyCrc) {
    const stored = buf.readUInt32BE(position + CRC_OFFSET)
    const computed = crc32c(buf.subarray(position + ATTRIBUTES_OFFSET, position + LOG_OVERHEAD + batchLength))
    if (computed !== stored) {
      if (reason) reason.message = `crc mismatch: stored ${stored}, computed ${computed}`
      return BatchCheck.CORRUPT
    }
  }
  return BatchCheck.OK
}

/**
 * Checks that `buf` from `position` holds one valid v2 batch (magic, lengths, CRC) and returns its
 * header. Bytes after the batch are not looked at; use iterateBatches for concatenated batches.
 */
export function validateRecordBatch(buf: Buffer, position = 0): RecordBatchHeader {
  const reason = { message: '' }
  if (checkBatch(buf, position, true, reason) !== BatchCheck.OK) {
    throw new CorruptRecordError(`invalid record batch at ${position}: ${reason.message}`)
  }
  return readRecordBatchHeader(buf, position)
}
