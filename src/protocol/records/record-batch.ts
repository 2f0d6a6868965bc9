import { Reader } from '../reader.js'
import { Writer } from '../writer.js'
import { compress, decompress } from './compression.js'
import { CompressionType, compressionTypeOf } from './compression-type.js'
import { crc32c } from './crc32c.js'
import { type KafkaRecord, readRecord, writeRecord } from './record.js'
import {
  ATTRIBUTES_OFFSET,
  BASE_OFFSET_OFFSET,
  BASE_SEQUENCE_OFFSET,
  BASE_TIMESTAMP_OFFSET,
  BATCH_LENGTH_OFFSET,
  CRC_OFFSET,
  LAST_OFFSET_DELTA_OFFSET,
  LOG_OVERHEAD,
  MAGIC_OFFSET,
  MAX_TIMESTAMP_OFFSET,
  PARTITION_LEADER_EPOCH_OFFSET,
  PRODUCER_EPOCH_OFFSET,
  PRODUCER_ID_OFFSET,
  RECORD_BATCH_OVERHEAD,
  RECORDS_COUNT_OFFSET
} from './record-batch-header.js'
import { CURRENT_MAGIC, validateRecordBatch } from './record-batch-validation.js'
import { CorruptRecordError } from './record-errors.js'

/** Bit 3 of the attributes: 0 CreateTime (set by the producer), 1 LogAppendTime (set by the broker). */
export const TimestampType = { CREATE_TIME: 0, LOG_APPEND_TIME: 1 } as const
export type TimestampType = (typeof TimestampType)[keyof typeof TimestampType]

export const TIMESTAMP_TYPE_BIT = 0x08
export const TRANSACTIONAL_BIT = 0x10
export const CONTROL_BIT = 0x20
export const DELETE_HORIZON_BIT = 0x40

export const NO_PRODUCER_ID = -1n
export const NO_PRODUCER_EPOCH = -1
export const NO_SEQUENCE = -1
export const NO_PARTITION_LEADER_EPOCH = -1

/** A decoded v2 record batch (magic 2). The attribute bits are split into named fields. */
export interface RecordBatch {
  baseOffset: bigint
  partitionLeaderEpoch: number
  compression: CompressionType
  timestampType: TimestampType
  isTransactional: boolean
  isControl: boolean
  /** When set, baseTimestamp holds the delete horizon of a compacted batch (KIP-534). */
  hasDeleteHorizonMs: boolean
  lastOffsetDelta: number
  baseTimestamp: bigint
  maxTimestamp: bigint
  producerId: bigint
  producerEpoch: number
  baseSequence: number
  records: KafkaRecord[]
}

export function batchAttributes(batch: RecordBatch): number {
  return (
    batch.compression |
    (batch.timestampType === TimestampType.LOG_APPEND_TIME ? TIMESTAMP_TYPE_BIT : 0) |
    (batch.isTransactional ? TRANSACTIONAL_BIT : 0) |
    (batch.isControl ? CONTROL_BIT : 0) |
    (batch.hasDeleteHorizonMs ? DELETE_HORIZON_BIT : 0)
  )
}

export type RecordBatchInit = Partial<Omit<RecordBatch, 'records'>> & { records: KafkaRecord[] }

/**
 * Fills the fields a producer would: no producer id, CreateTime, no compression, and lastOffsetDelta
 * and maxTimestamp derived from the records (baseTimestamp defaults to 0, so deltas are absolute).
 */
export function createRecordBatch(init: RecordBatchInit): RecordBatch {
  let lastOffsetDelta = -1
  let maxDelta: bigint | undefined
  for (const r of init.records) {
    if (r.offsetDelta > lastOffsetDelta) lastOffsetDelta = r.offsetDelta
    if (maxDelta === undefined || r.timestampDelta > maxDelta) maxDelta = r.timestampDelta
  }
  const baseTimestamp = init.baseTimestamp ?? 0n
  return {
    baseOffset: 0n,
    partitionLeaderEpoch: NO_PARTITION_LEADER_EPOCH,
    compression: CompressionType.NONE,
    timestampType: TimestampType.CREATE_TIME,
    isTransactional: false,
    isControl: false,
    hasDeleteHorizonMs: false,
    lastOffsetDelta: Math.max(lastOffsetDelta, 0),
    baseTimestamp,
    maxTimestamp: baseTimestamp + (maxDelta ?? 0n),
    producerId: NO_PRODUCER_ID,
    producerEpoch: NO_PRODUCER_EPOCH,
    baseSequence: NO_SEQUENCE,
    ...init
  }
}

/** Encodes a batch: records, then compression (on the thread pool where the codec allows), then CRC-32C. */
export async function encodeRecordBatch(batch: RecordBatch): Promise<Buffer> {
  const w = new Writer(1024)
  for (const record of batch.records) writeRecord(w, record)
  const payload = await compress(batch.compression, w.toBuffer())
  const out = Buffer.allocUnsafe(RECORD_BATCH_OVERHEAD + payload.length)
  out.writeBigInt64BE(batch.baseOffset, BASE_OFFSET_OFFSET)
  out.writeInt32BE(RECORD_BATCH_OVERHEAD - LOG_OVERHEAD + payload.length, BATCH_LENGTH_OFFSET)
  out.writeInt32BE(batch.partitionLeaderEpoch, PARTITION_LEADER_EPOCH_OFFSET)
  out.writeInt8(CURRENT_MAGIC, MAGIC_OFFSET)
  out.writeInt16BE(batchAttributes(batch), ATTRIBUTES_OFFSET)
  out.writeInt32BE(batch.lastOffsetDelta, LAST_OFFSET_DELTA_OFFSET)
  out.writeBigInt64BE(batch.baseTimestamp, BASE_TIMESTAMP_OFFSET)
  out.writeBigInt64BE(batch.maxTimestamp, MAX_TIMESTAMP_OFFSET)
  out.writeBigInt64BE(batch.producerId, PRODUCER_ID_OFFSET)
  out.writeInt16BE(batch.producerEpoch, PRODUCER_EPOCH_OFFSET)
  out.writeInt32BE(batch.baseSequence, BASE_SEQUENCE_OFFSET)
  out.writeInt32BE(batch.records.length, RECORDS_COUNT_OFFSET)
  payload.copy(out, RECORD_BATCH_OVERHEAD)
  out.writeUInt32BE(crc32c(out.subarray(ATTRIBUTES_OFFSET)), CRC_OFFSET)
  return out
}

/**
 * Decodes the batch at `position`: checks magic, lengths and CRC, decompresses, and parses exactly
 * the declared number of records, which must use up the payload. Any defect rejects with a KafkaError
 * (CorruptRecordError, or UnsupportedCompressionTypeError).
 */
export async function decodeRecordBatch(buf: Buffer, position = 0): Promise<RecordBatch> {
  const header = validateRecordBatch(buf, position)
  const attributes = header.attributes
  const compression = compressionTypeOf(attributes)
  const start = position + RECORD_BATCH_OVERHEAD
  const payload = buf.subarray(start, position + LOG_OVERHEAD + header.batchLength)
  const recordBytes = await decompress(compression, payload)
  const r = new Reader(recordBytes)
  // Do not trust recordsCount for allocation: every record takes at least 7 bytes of decompressed input.
  if (header.recordsCount * 7 > recordBytes.length) {
    throw new CorruptRecordError(
      `record count ${header.recordsCount} does not fit in ${recordBytes.length} bytes`
    )
  }
  const records: KafkaRecord[] = new Array(header.recordsCount)
  for (let i = 0; i < header.recordsCount; i++) records[i] = readRecord(r)
  if (r.remaining !== 0) {
    throw new CorruptRecordError(`${r.remaining} bytes left after the batch's ${header.recordsCount} records`)
  }
  return {
    baseOffset: header.baseOffset,
    partitionLeaderEpoch: header.partitionLeaderEpoch,
    compression,
    timestampType:
      attributes & TIMESTAMP_TYPE_BIT ? TimestampType.LOG_APPEND_TIME : TimestampType.CREATE_TIME,
    isTransactional: (attributes & TRANSACTIONAL_BIT) !== 0,
    isControl: (attributes & CONTROL_BIT) !== 0,
    hasDeleteHorizonMs: (attributes & DELETE_HORIZON_BIT) !== 0,
    lastOffsetDelta: header.lastOffsetDelta,
    baseTimestamp: header.baseTimestamp,
    maxTimestamp: header.maxTimestamp,
    producerId: header.producerId,
    producerEpoch: header.producerEpoch,
    baseSequence: header.baseSequence,
    records
  }
}

/** Absolute offset of a record of `batch`. */
export function recordOffset(batch: RecordBatch, record: KafkaRecord): bigint {
  return batch.baseOffset + BigInt(record.offsetDelta)
}

/** Absolute timestamp of a record: with LogAppendTime every record takes the batch's maxTimestamp. */
export function recordTimestamp(batch: RecordBatch, record: KafkaRecord): bigint {
  return batch.timestampType === TimestampType.LOG_APPEND_TIME
    ? batch.maxTimestamp
    : batch.baseTimestamp + record.timestampDelta
}
