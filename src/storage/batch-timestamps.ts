import { Reader } from '../protocol/reader.js'
import { decodeRecordBatch } from '../protocol/records/record-batch.js'
import {
  ATTRIBUTES_OFFSET,
  BASE_OFFSET_OFFSET,
  BASE_TIMESTAMP_OFFSET,
  MAX_TIMESTAMP_OFFSET,
  RECORD_BATCH_OVERHEAD,
  RECORDS_COUNT_OFFSET
} from '../protocol/records/record-batch-header.js'
import type { TimestampOffset } from './time-index.js'

const COMPRESSION_MASK = 0x07
const TIMESTAMP_TYPE_BIT = 0x08

/**
 * The first record in the batch (at the start of `batch`) whose timestamp satisfies `match`, for
 * ListOffsets. For uncompressed batches it reads only each record's timestamp and offset deltas.
 */
export async function findRecord(
  batch: Buffer,
  match: (timestamp: number, offset: number) => boolean
): Promise<TimestampOffset | undefined> {
  const baseOffset = Number(batch.readBigInt64BE(BASE_OFFSET_OFFSET))
  const attributes = batch.readInt16BE(ATTRIBUTES_OFFSET)
  if ((attributes & TIMESTAMP_TYPE_BIT) !== 0) {
    // LogAppendTime: every record carries the batch's max timestamp.
    return wholeBatch(batch, baseOffset, match)
  }
  if ((attributes & COMPRESSION_MASK) !== 0) {
    // Rare path (ListOffsets by time on a compressed batch): decompress to answer exactly.
    const decoded = await decodeRecordBatch(batch)
    for (const r of decoded.records) {
      const timestamp = Number(decoded.baseTimestamp + r.timestampDelta)
      if (match(timestamp, baseOffset + r.offsetDelta))
        return { timestamp, offset: baseOffset + r.offsetDelta }
    }
    return undefined
  }
  const baseTimestamp = Number(batch.readBigInt64BE(BASE_TIMESTAMP_OFFSET))
  const count = batch.readInt32BE(RECORDS_COUNT_OFFSET)
  const r = new Reader(batch, RECORD_BATCH_OVERHEAD)
  for (let i = 0; i < count; i++) {
    const length = r.readVarint()
    const start = r.offset
    r.readInt8()
    const timestamp = baseTimestamp + Number(r.readVarlong())
    const offsetDelta = r.readVarint()
    if (match(timestamp, baseOffset + offsetDelta)) return { timestamp, offset: baseOffset + offsetDelta }
    r.offset = start + length
  }
  return undefined
}

function wholeBatch(
  batch: Buffer,
  baseOffset: number,
  match: (timestamp: number, offset: number) => boolean
): TimestampOffset | undefined {
  const timestamp = Number(batch.readBigInt64BE(MAX_TIMESTAMP_OFFSET))
  return match(timestamp, baseOffset) ? { timestamp, offset: baseOffset } : undefined
}
