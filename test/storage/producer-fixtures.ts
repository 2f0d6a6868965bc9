import { ErrorCode, KafkaError } from '../../src/protocol/error-codes.js'
import { TRANSACTIONAL_BIT } from '../../src/protocol/records/record-batch.js'
import type { ProducerBatchHeader } from '../../src/storage/producer-append-info.js'
import type { ProducerStateManager } from '../../src/storage/producer-state-manager.js'

export interface SentBatch {
  producerId: bigint
  epoch: number
  baseSequence: number
  /** Number of records, so lastOffsetDelta = count - 1. */
  count: number
  timestamp?: number
  transactional?: boolean
}

export function headerOf(b: SentBatch, baseOffset: number): ProducerBatchHeader {
  return {
    baseOffset: BigInt(baseOffset),
    lastOffsetDelta: b.count - 1,
    maxTimestamp: BigInt(b.timestamp ?? 1_000),
    producerId: b.producerId,
    producerEpoch: b.epoch,
    baseSequence: b.baseSequence,
    attributes: b.transactional ? TRANSACTIONAL_BIT : 0
  }
}

export type ProduceOutcome =
  | { kind: 'appended'; baseOffset: number; lastOffset: number }
  | { kind: 'duplicate'; baseOffset: number; lastOffset: number }
  | { kind: 'error'; error: string }

/**
 * What UnifiedLog does for a client append, minus the bytes: offsets assigned from the log end, producer
 * state validated, the "write", then the state update. `log.end` is the log end offset.
 */
export function produce(psm: ProducerStateManager, log: { end: number }, b: SentBatch): ProduceOutcome {
  const h = headerOf(b, log.end)
  try {
    const analysis = psm.analyzeAndValidate([h], 'client')
    if (analysis.duplicate) {
      return {
        kind: 'duplicate',
        baseOffset: analysis.duplicate.firstOffset,
        lastOffset: analysis.duplicate.lastOffset
      }
    }
    const baseOffset = log.end
    log.end += b.count
    psm.completeAppend(analysis, log.end)
    return { kind: 'appended', baseOffset, lastOffset: log.end - 1 }
  } catch (err) {
    if (err instanceof KafkaError) return { kind: 'error', error: err.errorName }
    throw err
  }
}

export const ERRORS = {
  OUT_OF_ORDER: 'OUT_OF_ORDER_SEQUENCE_NUMBER',
  INVALID_EPOCH: 'INVALID_PRODUCER_EPOCH',
  INVALID_TXN_STATE: 'INVALID_TXN_STATE'
} as const

// Fail loudly if the registry names ever change, rather than comparing against strings that never match.
for (const name of Object.values(ERRORS)) {
  if (!(name in ErrorCode)) throw new Error(`unknown error name ${name}`)
}
