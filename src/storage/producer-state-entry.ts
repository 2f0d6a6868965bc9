import { NO_PRODUCER_EPOCH, NO_SEQUENCE } from '../protocol/records/record-batch.js'
import { decrementSequence } from './producer-sequence.js'

/** Kafka's in-flight window: a producer has at most 5 unacknowledged batches per partition. */
export const NUM_BATCHES_TO_RETAIN = 5

/** What is remembered of one appended batch, enough to recognise a retry of it and answer with its offsets. */
export interface BatchMetadata {
  readonly lastSeq: number
  readonly lastOffset: number
  /** lastOffset - firstOffset, which is also lastSeq - firstSeq (modulo wrap-around). */
  readonly offsetDelta: number
  /** The batch's max timestamp (the log append time when the topic uses LogAppendTime). */
  readonly timestamp: number
}

export function batchFirstSeq(b: BatchMetadata): number {
  return decrementSequence(b.lastSeq, b.offsetDelta)
}

export function batchFirstOffset(b: BatchMetadata): number {
  return b.lastOffset - b.offsetDelta
}

/**
 * The state of one producer id on one partition: its epoch and its last appended batches, oldest first.
 * Changing the epoch forgets the batches, since sequences restart at 0 in a new epoch.
 *
 * Ownership: belongs to one ProducerStateManager and is mutated only through it (or a ProducerAppendInfo's
 * private copy), on the owning log's event loop.
 */
export class ProducerStateEntry {
  readonly producerId: bigint
  producerEpoch: number
  /** Epoch of the transaction coordinator that wrote the last marker; -1 when none. */
  coordinatorEpoch: number
  lastTimestamp: number
  /** First offset of the producer's open transaction on this partition; undefined outside a transaction. */
  currentTxnFirstOffset: number | undefined
  private readonly batches: BatchMetadata[]

  constructor(
    producerId: bigint,
    producerEpoch: number,
    coordinatorEpoch: number,
    lastTimestamp: number,
    currentTxnFirstOffset: number | undefined,
    batches: readonly BatchMetadata[] = []
  ) {
    this.producerId = producerId
    this.producerEpoch = producerEpoch
    this.coordinatorEpoch = coordinatorEpoch
    this.lastTimestamp = lastTimestamp
    this.currentTxnFirstOffset = currentTxnFirstOffset
    this.batches = batches.slice(-NUM_BATCHES_TO_RETAIN)
  }

  static empty(producerId: bigint): ProducerStateEntry {
    return new ProducerStateEntry(producerId, NO_PRODUCER_EPOCH, -1, -1, undefined)
  }

  /** Same epoch, coordinator epoch, timestamp and transaction, but no batches: the start of an append. */
  withoutBatches(): ProducerStateEntry {
    return new ProducerStateEntry(
      this.producerId,
      this.producerEpoch,
      this.coordinatorEpoch,
      this.lastTimestamp,
      this.currentTxnFirstOffset
    )
  }

  get isEmpty(): boolean {
    return this.batches.length === 0
  }

  get batchMetadata(): readonly BatchMetadata[] {
    return this.batches
  }

  get firstSeq(): number {
    const first = this.batches[0]
    return first ? batchFirstSeq(first) : NO_SEQUENCE
  }

  get lastSeq(): number {
    return this.batches[this.batches.length - 1]?.lastSeq ?? NO_SEQUENCE
  }

  get firstDataOffset(): number {
    const first = this.batches[0]
    return first ? batchFirstOffset(first) : -1
  }

  get lastDataOffset(): number {
    return this.batches[this.batches.length - 1]?.lastOffset ?? -1
  }

  addBatch(producerEpoch: number, batch: BatchMetadata): void {
    this.maybeUpdateProducerEpoch(producerEpoch)
    this.addBatchMetadata(batch)
    this.lastTimestamp = batch.timestamp
  }

  /** Returns true when the epoch changed (and the batches were forgotten). */
  maybeUpdateProducerEpoch(producerEpoch: number): boolean {
    if (this.producerEpoch === producerEpoch) return false
    this.batches.length = 0
    this.producerEpoch = producerEpoch
    return true
  }

  private addBatchMetadata(batch: BatchMetadata): void {
    if (this.batches.length === NUM_BATCHES_TO_RETAIN) this.batches.shift()
    this.batches.push(batch)
  }

  /** Folds in the result of an append (`next` holds only the batches that append added). */
  update(next: ProducerStateEntry): void {
    this.maybeUpdateProducerEpoch(next.producerEpoch)
    for (const b of next.batches) this.addBatchMetadata(b)
    this.coordinatorEpoch = next.coordinatorEpoch
    this.currentTxnFirstOffset = next.currentTxnFirstOffset
    this.lastTimestamp = next.lastTimestamp
  }

  /** A cached batch with exactly this epoch and sequence range: the batch being sent again is a retry. */
  findDuplicateBatch(producerEpoch: number, firstSeq: number, lastSeq: number): BatchMetadata | undefined {
    if (producerEpoch !== this.producerEpoch) return undefined
    return this.batches.find((b) => b.lastSeq === lastSeq && batchFirstSeq(b) === firstSeq)
  }
}
