import {
  BATCH_LENGTH_OFFSET,
  LOG_OVERHEAD,
  RECORD_BATCH_OVERHEAD
} from '../protocol/records/record-batch-header.js'
import type { LogSegment } from './log-segment.js'
import type { ProducerStateManager } from './producer-state-manager.js'
import type { AbortedTxn } from './transaction-index.js'

const REPLAY_READ_CHUNK = 1024 * 1024

/**
 * Brings `psm` up to the log end by replaying the batches from its mapEndOffset on, as Kafka's
 * rebuildProducerState does after a load or truncation: segments wholly below mapEndOffset are skipped,
 * the first one is entered at its offset index entry, and the rest are read in chunks of whole batches.
 * Only batch headers (and markers' records) are looked at; nothing is decompressed. `onAborted` gets the
 * aborted transactions whose markers were replayed, with the segment holding each marker, to rebuild the
 * transaction index from.
 *
 * Runs on the log's mutation chain (or before the log is shared), so the segments do not change under it.
 */
export async function replayProducerState(
  psm: ProducerStateManager,
  segments: readonly LogSegment[],
  onAborted: (txns: AbortedTxn[], segment: LogSegment) => Promise<void>
): Promise<void> {
  const from = psm.mapEndOffset
  for (let i = 0; i < segments.length; i++) {
    const s = segments[i]!
    const next = segments[i + 1]
    if (next && next.baseOffset <= from) continue
    if (s.nextOffset <= from) continue
    let pos = from > s.baseOffset ? s.offsetIndex.lookup(from).position : 0
    const end = s.size
    while (end - pos >= RECORD_BATCH_OVERHEAD) {
      let chunk = await s.log.read(pos, Math.min(REPLAY_READ_CHUNK, end - pos))
      let whole = wholeBatchesLength(chunk)
      if (whole === 0) {
        // One batch larger than the chunk: read exactly that batch.
        const size = chunk.readInt32BE(BATCH_LENGTH_OFFSET) + LOG_OVERHEAD
        if (size < RECORD_BATCH_OVERHEAD || pos + size > end) break
        chunk = await s.log.read(pos, size)
        whole = wholeBatchesLength(chunk)
        if (whole === 0) break
      }
      const aborted = psm.replayRecords(chunk.subarray(0, whole))
      if (aborted.length > 0) await onAborted(aborted, s)
      pos += whole
    }
  }
}

/** Bytes of the whole batches at the start of `buf`. */
function wholeBatchesLength(buf: Buffer): number {
  let pos = 0
  while (buf.length - pos >= RECORD_BATCH_OVERHEAD) {
    const size = buf.readInt32BE(pos + BATCH_LENGTH_OFFSET) + LOG_OVERHEAD
    if (size < RECORD_BATCH_OVERHEAD || pos + size > buf.length) break
    pos += size
  }
  return pos
}
