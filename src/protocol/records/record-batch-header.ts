import { ProtocolDecodeError } from '../decode-error.js'

/**
 * Byte layout of a v2 record batch header (magic 2). The CRC covers everything from `attributes` to
 * the end of the batch, so baseOffset and partitionLeaderEpoch can be patched without recomputing it.
 */
export const BASE_OFFSET_OFFSET = 0
export const BATCH_LENGTH_OFFSET = 8
export const PARTITION_LEADER_EPOCH_OFFSET = 12
export const MAGIC_OFFSET = 16
export const CRC_OFFSET = 17
export const ATTRIBUTES_OFFSET = 21
export const LAST_OFFSET_DELTA_OFFSET = 23
export const BASE_TIMESTAMP_OFFSET = 27
export const MAX_TIMESTAMP_OFFSET = 35
export const PRODUCER_ID_OFFSET = 43
export const PRODUCER_EPOCH_OFFSET = 51
export const BASE_SEQUENCE_OFFSET = 53
export const RECORDS_COUNT_OFFSET = 57
export const RECORD_BATCH_OVERHEAD = 61
/** baseOffset and batchLength precede the part that batchLength counts. */
export const LOG_OVERHEAD = 12

export interface RecordBatchHeader {
  baseOffset: bigint
  batchLength: number
  partitionLeaderEpoch: number
  magic: number
  crc: number
  attributes: number
  lastOffsetDelta: number
  baseTimestamp: bigint
  maxTimestamp: bigint
  producerId: bigint
  producerEpoch: number
  baseSequence: number
  recordsCount: number
}

/** Reads the header fields of the batch starting at `position` without touching its records. */
export function readRecordBatchHeader(buf: Buffer, position = 0): RecordBatchHeader {
  if (buf.length - position < RECORD_BATCH_OVERHEAD) {
    throw new ProtocolDecodeError(`record batch header needs ${RECORD_BATCH_OVERHEAD} bytes`)
  }
  return {
    baseOffset: buf.readBigInt64BE(position + BASE_OFFSET_OFFSET),
    batchLength: buf.readInt32BE(position + BATCH_LENGTH_OFFSET),
    partitionLeaderEpoch: buf.readInt32BE(position + PARTITION_LEADER_EPOCH_OFFSET),
    magic: buf.readInt8(position + MAGIC_OFFSET),
    crc: buf.readUInt32BE(position + CRC_OFFSET),
    attributes: buf.readInt16BE(position + ATTRIBUTES_OFFSET),
    lastOffsetDelta: buf.readInt32BE(position + LAST_OFFSET_DELTA_OFFSET),
    baseTimestamp: buf.readBigInt64BE(position + BASE_TIMESTAMP_OFFSET),
    maxTimestamp: buf.readBigInt64BE(position + MAX_TIMESTAMP_OFFSET),
    producerId: buf.readBigInt64BE(position + PRODUCER_ID_OFFSET),
    producerEpoch: buf.readInt16BE(position + PRODUCER_EPOCH_OFFSET),
    baseSequence: buf.readInt32BE(position + BASE_SEQUENCE_OFFSET),
    recordsCount: buf.readInt32BE(position + RECORDS_COUNT_OFFSET)
  }
}

/** Sets baseOffset in place; outside the CRC, so the batch stays valid. */
export function patchBaseOffset(buf: Buffer, baseOffset: bigint, position = 0): void {
  buf.writeBigInt64BE(baseOffset, position + BASE_OFFSET_OFFSET)
}

/** Sets partitionLeaderEpoch in place; outside the CRC, so the batch stays valid. */
export function patchPartitionLeaderEpoch(buf: Buffer, epoch: number, position = 0): void {
  buf.writeInt32BE(epoch, position + PARTITION_LEADER_EPOCH_OFFSET)
}
