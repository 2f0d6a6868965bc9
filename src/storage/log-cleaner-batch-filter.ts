import type { KafkaRecord } from '../protocol/records/record.js'
import {
  CONTROL_BIT,
  decodeRecordBatch,
  encodeRecordBatch,
  TimestampType
} from '../protocol/records/record-batch.js'
import { ATTRIBUTES_OFFSET } from '../protocol/records/record-batch-header.js'
import type { OffsetMap } from './log-cleaner-offset-map.js'

export interface BatchFilterContext {
  map: OffsetMap
  /** Records at or above it were not covered by the offset map and are kept as they are. */
  retainFrom: number
  /** Cleaning time: tombstones in batches whose delete horizon is at or before it are removed. */
  now: number
  /** delete.retention.ms: a batch that keeps a tombstone and has no delete horizon yet gets now + this. */
  deleteRetentionMs: number
}

export interface BatchFilterResult {
  /** The batch to write (the original bytes when nothing changed), or undefined when nothing survives. */
  batch: Buffer | undefined
  retainedRecords: number
  removedRecords: number
  /** The delete horizon of the written batch when it keeps a tombstone (newly set or earlier). */
  retainedTombstoneHorizon: number | undefined
}

/**
 * Kafka's cleaner retention rule for one stored v2 batch (Cleaner.shouldRetainRecord and KIP-534):
 * a keyed record survives only as the latest occurrence of its key in the offset map, and a tombstone
 * (null value) only until the batch's delete horizon has passed. The first cleaning that keeps a tombstone
 * stamps the horizon (now + delete.retention.ms) into the batch's baseTimestamp with the hasDeleteHorizonMs
 * attribute; record timestamps are rebased so their absolute values do not change.
 *
 * Deliberate differences from Kafka, until transactions and produce-time key validation exist: control
 * batches are kept untouched, transactional batches are compacted like any other (no aborted-data removal),
 * and a record without a key is kept (Kafka's cleaner counts it invalid and drops it).
 *
 * A rewritten batch keeps its baseOffset, offset deltas, lastOffsetDelta (so an idempotent producer's last
 * sequence is unchanged), producer fields, leader epoch and compression codec.
 */
export async function filterBatch(data: Buffer, ctx: BatchFilterContext): Promise<BatchFilterResult> {
  const attributes = data.readInt16BE(ATTRIBUTES_OFFSET)
  if (attributes & CONTROL_BIT) {
    return { batch: data, retainedRecords: 1, removedRecords: 0, retainedTombstoneHorizon: undefined }
  }
  const decoded = await decodeRecordBatch(data)
  const base = Number(decoded.baseOffset)
  const horizon = decoded.hasDeleteHorizonMs ? Number(decoded.baseTimestamp) : undefined
  const tombstonesExpired = horizon !== undefined && ctx.now >= horizon
  const kept: KafkaRecord[] = []
  let keepsTombstone = false
  for (const record of decoded.records) {
    const offset = base + record.offsetDelta
    const key = record.key
    const retain =
      offset >= ctx.retainFrom ||
      key === null ||
      (offset >= ctx.map.get(key) && (record.value !== null || !tombstonesExpired))
    if (!retain) continue
    kept.push(record)
    if (record.value === null && key !== null) keepsTombstone = true
  }
  const removedRecords = decoded.records.length - kept.length
  const setHorizon = keepsTombstone && horizon === undefined
  if (kept.length === 0) {
    return { batch: undefined, retainedRecords: 0, removedRecords, retainedTombstoneHorizon: undefined }
  }
  if (removedRecords === 0 && !setHorizon) {
    const retainedTombstoneHorizon = keepsTombstone ? horizon : undefined
    return { batch: data, retainedRecords: kept.length, removedRecords: 0, retainedTombstoneHorizon }
  }
  const oldBase = decoded.baseTimestamp
  const newBase = setHorizon ? BigInt(ctx.now + ctx.deleteRetentionMs) : oldBase
  let maxTimestamp = -1n
  const records = kept.map((r) => {
    const absolute = oldBase + r.timestampDelta
    if (absolute > maxTimestamp) maxTimestamp = absolute
    return newBase === oldBase ? r : { ...r, timestampDelta: absolute - newBase }
  })
  const batch = await encodeRecordBatch({
    ...decoded,
    hasDeleteHorizonMs: decoded.hasDeleteHorizonMs || setHorizon,
    baseTimestamp: newBase,
    maxTimestamp:
      decoded.timestampType === TimestampType.LOG_APPEND_TIME ? decoded.maxTimestamp : maxTimestamp,
    records
  })
  return {
    batch,
    retainedRecords: kept.length,
    removedRecords,
    retainedTombstoneHorizon: keepsTombstone ? Number(newBase) : undefined
  }
}
