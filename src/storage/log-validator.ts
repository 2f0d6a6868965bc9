import { ErrorCode, KafkaError } from '../protocol/error-codes.js'
import { Reader } from '../protocol/reader.js'
import { decompress } from '../protocol/records/compression.js'
import { crc32c } from '../protocol/records/crc32c.js'
import { readRecord } from '../protocol/records/record.js'
import {
  ATTRIBUTES_OFFSET,
  BATCH_LENGTH_OFFSET,
  CRC_OFFSET,
  LAST_OFFSET_DELTA_OFFSET,
  LOG_OVERHEAD,
  MAGIC_OFFSET,
  MAX_TIMESTAMP_OFFSET,
  PARTITION_LEADER_EPOCH_OFFSET,
  patchBaseOffset,
  patchPartitionLeaderEpoch,
  RECORD_BATCH_OVERHEAD,
  RECORDS_COUNT_OFFSET
} from '../protocol/records/record-batch-header.js'
import type { BatchEntry } from './file-records.js'
import type { LogConfig } from './log-config.js'

const COMPRESSION_MASK = 0x07
const TIMESTAMP_TYPE_BIT = 0x08
const CONTROL_BIT = 0x20
/** Kafka shows at most this many record errors in the partition's error message. */
const RECORD_ERRORS_IN_MESSAGE = 3

/** Who is appending: clients get full validation and fresh offsets; replicas and recovery keep theirs. */
export type AppendOrigin = 'client' | 'coordinator' | 'replication'

/**
 * Checks the framing and CRC of every batch in `buf` without decoding records, returning their positions in
 * `buf`. Kafka's error codes: CORRUPT_MESSAGE for bad framing or CRC, INVALID_RECORD for impossible headers,
 * MESSAGE_TOO_LARGE for a batch over max.message.bytes.
 */
export function validateBatches(buf: Buffer, maxMessageBytes: number, origin: AppendOrigin): BatchEntry[] {
  const batches: BatchEntry[] = []
  let pos = 0
  while (pos < buf.length) {
    if (buf.length - pos < RECORD_BATCH_OVERHEAD) {
      throw new KafkaError(
        ErrorCode.CORRUPT_MESSAGE,
        `${buf.length - pos} trailing bytes are not a whole batch`
      )
    }
    const size = buf.readInt32BE(pos + BATCH_LENGTH_OFFSET) + LOG_OVERHEAD
    if (size < RECORD_BATCH_OVERHEAD || pos + size > buf.length) {
      throw new KafkaError(ErrorCode.CORRUPT_MESSAGE, `batch at byte ${pos} has impossible size ${size}`)
    }
    const magic = buf.readInt8(pos + MAGIC_OFFSET)
    if (magic !== 2)
      throw new KafkaError(ErrorCode.INVALID_RECORD, `batch magic ${magic} is not supported, only 2`)
    if (size > maxMessageBytes) {
      throw new KafkaError(
        ErrorCode.MESSAGE_TOO_LARGE,
        `batch of ${size} bytes exceeds max.message.bytes ${maxMessageBytes}`
      )
    }
    const stored = buf.readUInt32BE(pos + CRC_OFFSET)
    const computed = crc32c(buf.subarray(pos + ATTRIBUTES_OFFSET, pos + size)) >>> 0
    if (stored !== computed) {
      throw new KafkaError(ErrorCode.CORRUPT_MESSAGE, `batch at byte ${pos} fails its CRC check`)
    }
    const lastOffsetDelta = buf.readInt32BE(pos + LAST_OFFSET_DELTA_OFFSET)
    const count = buf.readInt32BE(pos + RECORDS_COUNT_OFFSET)
    if (count <= 0 || lastOffsetDelta + 1 !== count) {
      throw new KafkaError(
        ErrorCode.INVALID_RECORD,
        `batch has ${count} records but a last offset delta of ${lastOffsetDelta}`
      )
    }
    const attributes = buf.readInt16BE(pos + ATTRIBUTES_OFFSET)
    if (origin === 'client' && (attributes & CONTROL_BIT) !== 0) {
      throw new KafkaError(ErrorCode.INVALID_RECORD, 'clients may not append control batches')
    }
    if (origin === 'client' && (attributes & TIMESTAMP_TYPE_BIT) !== 0) {
      throw new KafkaError(
        ErrorCode.INVALID_TIMESTAMP,
        'producers may not set the timestamp type to LogAppendTime'
      )
    }
    const baseOffset = Number(buf.readBigInt64BE(pos))
    batches.push({
      position: pos,
      size,
      baseOffset,
      lastOffset: baseOffset + lastOffsetDelta,
      maxTimestamp: Number(buf.readBigInt64BE(pos + MAX_TIMESTAMP_OFFSET)),
      partitionLeaderEpoch: buf.readInt32BE(pos + PARTITION_LEADER_EPOCH_OFFSET)
    })
    pos += size
  }
  if (batches.length === 0)
    throw new KafkaError(ErrorCode.INVALID_RECORD, 'an append needs at least one batch')
  return batches
}

/**
 * Rewrites the batches in place with consecutive offsets from `nextOffset` and the leader epoch; both fields
 * lie outside the CRC. Updates `batches` to match and returns the offset after the last batch.
 */
export function assignOffsets(
  buf: Buffer,
  batches: BatchEntry[],
  nextOffset: number,
  leaderEpoch: number
): number {
  let next = nextOffset
  for (const b of batches) {
    patchBaseOffset(buf, BigInt(next), b.position)
    patchPartitionLeaderEpoch(buf, leaderEpoch, b.position)
    const delta = b.lastOffset - b.baseOffset
    b.baseOffset = next
    b.lastOffset = next + delta
    b.partitionLeaderEpoch = leaderEpoch
    next += delta + 1
  }
  return next
}

/** Stamps LogAppendTime into each batch: the timestamp type bit and maxTimestamp are in the CRC, so it is redone. */
export function stampLogAppendTime(buf: Buffer, batches: BatchEntry[], now: number): void {
  for (const b of batches) {
    const attributes = buf.readInt16BE(b.position + ATTRIBUTES_OFFSET)
    buf.writeInt16BE(attributes | TIMESTAMP_TYPE_BIT, b.position + ATTRIBUTES_OFFSET)
    buf.writeBigInt64BE(BigInt(now), b.position + MAX_TIMESTAMP_OFFSET)
    const crc = crc32c(buf.subarray(b.position + ATTRIBUTES_OFFSET, b.position + b.size)) >>> 0
    buf.writeUInt32BE(crc, b.position + CRC_OFFSET)
    b.maxTimestamp = now
  }
}

/** True when the batch at `pos` in `buf` is whole, has magic 2 and passes its CRC: used by recovery. */
export function isValidBatch(buf: Buffer, pos: number, size: number): boolean {
  if (size < RECORD_BATCH_OVERHEAD || pos + size > buf.length) return false
  if (buf.readInt8(pos + MAGIC_OFFSET) !== 2) return false
  const lastOffsetDelta = buf.readInt32BE(pos + LAST_OFFSET_DELTA_OFFSET)
  if (lastOffsetDelta < 0) return false
  const stored = buf.readUInt32BE(pos + CRC_OFFSET)
  return stored === crc32c(buf.subarray(pos + ATTRIBUTES_OFFSET, pos + size)) >>> 0
}

/** One rejected record: its index within its batch, as ProduceResponse's record_errors carries it. */
export interface RecordError {
  batchIndex: number
  message: string
}

/**
 * Kafka's RecordValidationException: the append is refused because of individual records, which the produce
 * response lists in record_errors (KIP-467) besides the partition's error code.
 */
export class RecordValidationError extends KafkaError {
  override readonly name: string = 'RecordValidationError'
  constructor(
    code: number,
    readonly recordErrors: readonly RecordError[]
  ) {
    const shown = recordErrors.slice(0, RECORD_ERRORS_IN_MESSAGE).map((e) => `${e.batchIndex}: ${e.message}`)
    super(
      code,
      `One or more records have been rejected due to ${recordErrors.length} record errors in total, and ` +
        `only showing the first ${RECORD_ERRORS_IN_MESSAGE} errors at most: [${shown.join(', ')}]`
    )
  }
}

/**
 * Kafka's LogValidator.validateKey for appends to a `cleanup.policy=compact` topic: a record without a key
 * could never be compacted, so the whole append is refused with INVALID_RECORD and a record error for every
 * keyless record of the first batch holding one. Compressed batches are decompressed for this (bounded, see
 * compression.ts); the bytes appended stay the producer's. Call only for compacted topics, after
 * validateBatches: it is the one place the append path looks inside records.
 */
export async function validateRecordKeys(
  buf: Buffer,
  batches: readonly BatchEntry[],
  topicPartition: string
): Promise<void> {
  for (const b of batches) {
    const attributes = buf.readInt16BE(b.position + ATTRIBUTES_OFFSET)
    if ((attributes & CONTROL_BIT) !== 0) continue
    const payload = buf.subarray(b.position + RECORD_BATCH_OVERHEAD, b.position + b.size)
    const compression = attributes & COMPRESSION_MASK
    const records = compression === 0 ? payload : await decompress(compression, payload)
    const count = buf.readInt32BE(b.position + RECORDS_COUNT_OFFSET)
    // Every record takes at least 7 bytes: a count the bytes cannot hold is rejected before parsing.
    if (count * 7 > records.length) {
      throw new KafkaError(
        ErrorCode.INVALID_RECORD,
        `batch declares ${count} records in ${records.length} bytes`
      )
    }
    const r = new Reader(records)
    const errors: RecordError[] = []
    for (let i = 0; i < count; i++) {
      if (readRecord(r).key === null) {
        errors.push({
          batchIndex: i,
          message: `Compacted topic cannot accept message without key in topic partition ${topicPartition}`
        })
      }
    }
    if (r.remaining !== 0) {
      throw new KafkaError(
        ErrorCode.INVALID_RECORD,
        `${r.remaining} bytes left after the batch's ${count} records`
      )
    }
    if (errors.length > 0) throw new RecordValidationError(ErrorCode.INVALID_RECORD, errors)
  }
}

export interface AppendContext {
  config: Pick<LogConfig, 'maxMessageBytes' | 'cleanupPolicy' | 'segmentBytes' | 'messageTimestampType'>
  origin: AppendOrigin
  /** Where the records go: client appends start there, replicated ones may not start below it. */
  logEndOffset: number
  /** Stamped into client batches. */
  leaderEpoch: number
  /** `${topic}-${partition}`, for record errors. */
  topicPartition: string
  time: () => number
}

export interface ValidatedAppend {
  batches: BatchEntry[]
  /** The append's broker time, read after validation. */
  now: number
  /** The broker's timestamp when message.timestamp.type=LogAppendTime, else -1. */
  logAppendTime: number
}

/**
 * The validation and offset assignment of one append (Kafka's LogValidator.validateMessagesAndAssignOffsets
 * with UnifiedLog's checks around it): framing and CRC of every batch, keys on compacted topics (not for
 * replication), the segment.bytes cap; then client batches get their offsets and leader epoch patched in
 * place, and LogAppendTime stamped, while replicated batches keep theirs but may not go backwards. Only
 * `records` changes, so a duplicate or a refused append leaves the log untouched.
 */
export async function validateAndAssignOffsets(
  records: Buffer,
  ctx: AppendContext
): Promise<ValidatedAppend> {
  const { config, origin } = ctx
  const batches = validateBatches(records, config.maxMessageBytes, origin)
  if (config.cleanupPolicy.includes('compact') && origin !== 'replication') {
    await validateRecordKeys(records, batches, ctx.topicPartition)
  }
  if (records.length > config.segmentBytes) {
    throw new KafkaError(
      ErrorCode.RECORD_LIST_TOO_LARGE,
      `append of ${records.length} bytes exceeds segment.bytes ${config.segmentBytes}`
    )
  }
  const now = ctx.time()
  let logAppendTime = -1
  if (origin === 'replication') {
    let expected = ctx.logEndOffset
    for (const b of batches) {
      if (b.baseOffset < expected) {
        throw new KafkaError(ErrorCode.INVALID_RECORD, `batch offset ${b.baseOffset} is below ${expected}`)
      }
      expected = b.lastOffset + 1
    }
  } else {
    assignOffsets(records, batches, ctx.logEndOffset, ctx.leaderEpoch)
    if (config.messageTimestampType === 'LogAppendTime') {
      stampLogAppendTime(records, batches, now)
      logAppendTime = now
    }
  }
  return { batches, now, logAppendTime }
}
