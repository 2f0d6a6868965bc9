import { LOG_OVERHEAD, type RecordBatchHeader, readRecordBatchHeader } from './record-batch-header.js'
import { BatchCheck, batchSizeAt, checkBatch } from './record-batch-validation.js'
import { RecordBatchScanError } from './record-errors.js'

export interface BatchEntry {
  /** Offset of the batch's first byte in the buffer. */
  position: number
  header: RecordBatchHeader
}

export interface BatchScanOptions {
  /** Check each batch's CRC (default true). Turn off only for bytes already validated. */
  verifyCrc?: boolean
  /**
   * Stop quietly at a batch cut short by the end of the buffer instead of throwing. Fetch responses
   * legitimately end that way; a produce request or a log segment must not.
   */
  allowTruncatedTail?: boolean
}

/**
 * Walks the batches concatenated in a records buffer (a produce request's records, a fetch response's,
 * a log segment). Each batch is validated before it is yielded; a bad or cut-short batch throws
 * RecordBatchScanError whose `position` is where the valid bytes end. Returns that end position when
 * iteration finishes normally.
 */
export function* iterateBatches(
  buf: Buffer,
  options: BatchScanOptions = {}
): Generator<BatchEntry, number, void> {
  const verifyCrc = options.verifyCrc ?? true
  const reason = { message: '' }
  let position = 0
  while (position < buf.length) {
    const check = checkBatch(buf, position, verifyCrc, reason)
    if (check === BatchCheck.TRUNCATED && options.allowTruncatedTail) return position
    if (check !== BatchCheck.OK) {
      throw new RecordBatchScanError(
        `record batch at ${position}: ${reason.message}`,
        position,
        check === BatchCheck.TRUNCATED
      )
    }
    yield { position, header: readRecordBatchHeader(buf, position) }
    position += batchSizeAt(buf, position)
  }
  return position
}

export interface BatchScanResult {
  /** Bytes from the start that form whole, valid batches: where a log should be truncated to. */
  validBytes: number
  batchCount: number
  lastBatch?: BatchEntry
  /** Why scanning stopped before the end of the buffer, if it did. */
  error?: RecordBatchScanError
}

/** Scans without throwing, for log recovery: how far the buffer is made of valid batches. */
export function scanBatches(buf: Buffer, options: BatchScanOptions = {}): BatchScanResult {
  const result: BatchScanResult = { validBytes: 0, batchCount: 0 }
  const it = iterateBatches(buf, options)
  try {
    for (;;) {
      const next = it.next()
      if (next.done) {
        result.validBytes = next.value
        return result
      }
      result.batchCount++
      result.lastBatch = next.value
      result.validBytes = next.value.position + next.value.header.batchLength + LOG_OVERHEAD
    }
  } catch (err) {
    if (!(err instanceof RecordBatchScanError)) throw err
    result.error = err
    result.validBytes = err.position
    return result
  }
}
