import { LOG_OVERHEAD, RECORD_BATCH_OVERHEAD } from '../protocol/records/record-batch-header.js'
import { type BatchEntry, batchEntryAt, type FileRecords } from './file-records.js'

const READ_CHUNK = 1024 * 1024

export interface StoredBatch {
  entry: BatchEntry
  /** The whole batch; a view into a chunk shared with its neighbours. */
  data: Buffer
}

/**
 * Whole batches of a (non-active) segment file, read in 1 MiB chunks rather than one read per batch. Stops
 * quietly at a tail that is not a whole batch, which only recovery may judge.
 */
export async function* readStoredBatches(
  records: FileRecords,
  end = records.sizeInBytes
): AsyncGenerator<StoredBatch> {
  let pos = 0
  while (pos + RECORD_BATCH_OVERHEAD <= end) {
    let chunk = await records.read(pos, Math.min(READ_CHUNK, end - pos))
    if (chunk.length < RECORD_BATCH_OVERHEAD) return
    const firstSize = chunk.readInt32BE(8) + LOG_OVERHEAD
    if (firstSize < RECORD_BATCH_OVERHEAD || pos + firstSize > end) return
    // A batch larger than the chunk is read on its own.
    if (firstSize > chunk.length) chunk = await records.read(pos, firstSize)
    let at = 0
    while (at + RECORD_BATCH_OVERHEAD <= chunk.length) {
      const size = chunk.readInt32BE(at + 8) + LOG_OVERHEAD
      if (size < RECORD_BATCH_OVERHEAD || at + size > chunk.length) break
      yield { entry: batchEntryAt(chunk, at, pos + at), data: chunk.subarray(at, at + size) }
      at += size
    }
    pos += at
  }
}
