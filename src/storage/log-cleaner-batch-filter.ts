import { decodeControlRecordKey } from '../protocol/records/control-record.js'
import type { KafkaRecord } from '../protocol/records/record.js'
import {
  decodeRecordBatch,
  encodeRecordBatch,
  type RecordBatch,
  TimestampType
} from '../protocol/records/record-batch.js'
import type { OffsetMap } from './log-cleaner-offset-map.js'
import type { CleanedTransactionMetadata } from './log-cleaner-transaction-metadata.js'

export interface BatchFilterContext {
  map: OffsetMap
  /** Records at or above it were not covered by the offset map and are kept as they are. */
  retainFrom: number
  /** Cleaning time: tombstones and markers whose batch's delete horizon is at or before it are removed. */
  now: number
  /** delete.retention.ms: a batch that keeps a tombstone (or a removable marker) and has no horizon yet gets now + this. */
  deleteRetentionMs: number
  /** Transactions met so far in this pass, fed with the segments' aborted transactions. */
  txns: CleanedTransactionMetadata
}

export interface BatchFilterResult {
  /** The batch to write (the original bytes when nothing changed), or undefined when nothing survives. */
  batch: Buffer | undefined
  retainedRecords: number
  removedRecords: number
  /** The delete horizon of the written batch when it keeps a tombstone or a removable marker. */
  retainedTombstoneHorizon: number | undefined
}

/**
 * Kafka's cleaner retention rules for one stored v2 batch (Cleaner.cleanInto's filter, shouldRetainRecord,
 * KIP-534 delete horizons), in offset order with the pass's transaction state:
 * - a batch of an aborted transaction is removed whole;
 * - a COMMIT or ABORT marker is kept while its transaction's data is still being met; once it may go, its
 *   batch is stamped with a delete horizon (now + delete.retention.ms) and removed by the first cleaning
 *   after that horizon;
 * - otherwise a record survives only as the latest occurrence of its key in the offset map, and a tombstone
 *   (null value) only until the batch's delete horizon, stamped by the first cleaning that keeps it;
 *   a record without a key is removed (the produce path refuses them on compacted topics).
 * Stamping a horizon rebases record timestamps so their absolute values do not change.
 *
 * A rewritten batch keeps its baseOffset, offset deltas, lastOffsetDelta (so an idempotent producer's last
 * sequence is unchanged), producer fields, leader epoch and compression codec. Kafka keeps an empty batch
 * where it holds a live producer's last sequence; this cleaner drops empty batches.
 */
export async function filterBatch(data: Buffer, ctx: BatchFilterContext): Promise<BatchFilterResult> {
  const decoded = await decodeRecordBatch(data)
  const info = {
    producerId: decoded.producerId,
    lastOffset: Number(decoded.baseOffset) + decoded.lastOffsetDelta,
    isTransactional: decoded.isTransactional
  }
  const horizon = decoded.hasDeleteHorizonMs ? Number(decoded.baseTimestamp) : undefined
  const horizonPassed = horizon !== undefined && ctx.now >= horizon
  const count = decoded.records.length
  if (decoded.isControl) {
    const first = decoded.records[0]
    const removable = ctx.txns.onControlBatchRead(
      info,
      first ? decodeControlRecordKey(first.key).type : undefined
    )
    if (removable && horizonPassed) return dropped(count)
    if (!removable || horizon !== undefined) {
      return {
        batch: data,
        retainedRecords: count,
        removedRecords: 0,
        retainedTombstoneHorizon: removable ? horizon : undefined
      }
    }
    return rewrite(decoded, decoded.records, true, ctx, 0, true)
  }
  if (ctx.txns.onBatchRead(info)) return dropped(count)
  const base = Number(decoded.baseOffset)
  const kept: KafkaRecord[] = []
  let keepsTombstone = false
  for (const record of decoded.records) {
    const offset = base + record.offsetDelta
    const key = record.key
    const retain =
      offset >= ctx.retainFrom ||
      (key !== null && offset >= ctx.map.get(key) && (record.value !== null || !horizonPassed))
    if (!retain) continue
    kept.push(record)
    if (record.value === null && key !== null) keepsTombstone = true
  }
  const removedRecords = count - kept.length
  if (kept.length === 0) return dropped(count)
  const setHorizon = keepsTombstone && horizon === undefined
  if (removedRecords === 0 && !setHorizon) {
    const retainedTombstoneHorizon = keepsTombstone ? horizon : undefined
    return { batch: data, retainedRecords: kept.length, removedRecords: 0, retainedTombstoneHorizon }
  }
  return rewrite(decoded, kept, setHorizon, ctx, removedRecords, keepsTombstone)
}

function dropped(records: number): BatchFilterResult {
  return {
    batch: undefined,
    retainedRecords: 0,
    removedRecords: records,
    retainedTombstoneHorizon: undefined
  }
}

/** Re-encodes `decoded` with `kept`, stamping the delete horizon when `setHorizon`. */
async function rewrite(
  decoded: RecordBatch,
  kept: KafkaRecord[],
  setHorizon: boolean,
  ctx: BatchFilterContext,
  removedRecords: number,
  reportHorizon: boolean
): Promise<BatchFilterResult> {
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
    retainedTombstoneHorizon: reportHorizon ? Number(newBase) : undefined
  }
}
