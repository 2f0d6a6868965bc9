import { ErrorCode, KafkaError } from '../protocol/error-codes.js'
import { ControlRecordType, type EndTxnMarker } from '../protocol/records/control-record.js'
import { CONTROL_BIT, NO_PRODUCER_EPOCH, TRANSACTIONAL_BIT } from '../protocol/records/record-batch.js'
import type { RecordBatchHeader } from '../protocol/records/record-batch-header.js'
import { incrementSequence, inSequence } from './producer-sequence.js'
import type { BatchMetadata, ProducerStateEntry } from './producer-state-entry.js'

/**
 * Who is appending, which decides how much is checked (the same values as the log's AppendOrigin):
 * clients get epoch and sequence checks, coordinators (offset commits, transaction markers) only the epoch
 * check, and replication nothing, since the leader already validated what it sends.
 */
export type ProducerAppendOrigin = 'client' | 'coordinator' | 'replication'

/**
 * The batch header fields producer state looks at; a RecordBatchHeader has them all. A control batch also
 * carries its COMMIT/ABORT marker, read from its record.
 */
export type ProducerBatchHeader = Pick<
  RecordBatchHeader,
  | 'baseOffset'
  | 'lastOffsetDelta'
  | 'maxTimestamp'
  | 'producerId'
  | 'producerEpoch'
  | 'baseSequence'
  | 'attributes'
> & { endTxnMarker?: EndTxnMarker | undefined }

/** A transaction a marker ended on this partition: from its first record to the marker (Kafka's CompletedTxn). */
export interface CompletedTxn {
  producerId: bigint
  firstOffset: number
  /** The marker's offset. */
  lastOffset: number
  isAborted: boolean
}

/**
 * KIP-890 part 1 for this append: `required` when transactional batches that open a transaction must
 * have been announced by the transaction coordinator, which verified `verifiedEpoch` (undefined: none).
 */
export interface TxnVerification {
  required: boolean
  verifiedEpoch: number | undefined
}

export function isTransactionalBatch(h: Pick<RecordBatchHeader, 'attributes'>): boolean {
  return (h.attributes & TRANSACTIONAL_BIT) !== 0
}

export function isControlBatch(h: Pick<RecordBatchHeader, 'attributes'>): boolean {
  return (h.attributes & CONTROL_BIT) !== 0
}

/** The sequence of the batch's last record. */
export function batchLastSequence(h: Pick<RecordBatchHeader, 'baseSequence' | 'lastOffsetDelta'>): number {
  return incrementSequence(h.baseSequence, h.lastOffsetDelta)
}

/**
 * Validates the batches one producer appends in one request against its state after the last successful
 * append, and accumulates the state they lead to. Nothing is changed in the manager until
 * ProducerStateManager.update(info) is called after the batches were written, so a failed append leaves
 * the producer state untouched.
 *
 * Checks, in Kafka's order: an epoch older than the current one is INVALID_PRODUCER_EPOCH (Kafka ≥ 2.7
 * returns this rather than PRODUCER_FENCED on produce, for transactional producers too, so the client can
 * abort and retry); then, for clients only, a new epoch must start at sequence 0 and the same epoch must
 * continue at lastSeq + 1, else OUT_OF_ORDER_SEQUENCE_NUMBER. A producer the partition has no epoch for
 * (new, expired, or all its data deleted) may start at any sequence, as in Kafka since KIP-360: the broker
 * no longer answers UNKNOWN_PRODUCER_ID.
 */
export class ProducerAppendInfo {
  readonly producerId: bigint
  private readonly currentEntry: ProducerStateEntry
  private readonly origin: ProducerAppendOrigin
  private readonly partition: string
  private readonly updatedEntry: ProducerStateEntry
  /** First offsets of transactions that batches of this append opened. */
  readonly startedTransactions: number[] = []
  /** Transactions that markers of this append ended. */
  readonly completedTransactions: CompletedTxn[] = []
  private readonly verification: TxnVerification

  constructor(
    producerId: bigint,
    currentEntry: ProducerStateEntry,
    origin: ProducerAppendOrigin,
    partition = '',
    verification: TxnVerification = { required: false, verifiedEpoch: undefined }
  ) {
    this.producerId = producerId
    this.currentEntry = currentEntry
    this.origin = origin
    this.partition = partition
    this.verification = verification
    this.updatedEntry = currentEntry.withoutBatches()
  }

  /** Validates and records one batch of this producer, whose offsets are already assigned. */
  append(h: ProducerBatchHeader): void {
    const firstOffset = Number(h.baseOffset)
    const lastOffset = firstOffset + h.lastOffsetDelta
    const timestamp = Number(h.maxTimestamp)
    if (isControlBatch(h)) {
      // Other control records (KRaft's) carry no producer state.
      if (h.endTxnMarker) this.appendEndTxnMarker(h.producerEpoch, firstOffset, timestamp, h.endTxnMarker)
      return
    }
    this.appendDataBatch(
      h.producerEpoch,
      h.baseSequence,
      batchLastSequence(h),
      timestamp,
      firstOffset,
      lastOffset,
      isTransactionalBatch(h)
    )
  }

  appendDataBatch(
    epoch: number,
    firstSeq: number,
    lastSeq: number,
    lastTimestamp: number,
    firstOffset: number,
    lastOffset: number,
    isTransactional: boolean
  ): void {
    this.checkProducerEpoch(epoch, firstOffset)
    if (this.origin === 'client') this.checkSequence(epoch, firstSeq, firstOffset)
    const batch: BatchMetadata = {
      lastSeq,
      lastOffset,
      offsetDelta: lastOffset - firstOffset,
      timestamp: lastTimestamp
    }
    this.updatedEntry.addBatch(epoch, batch)
    const txnFirst = this.updatedEntry.currentTxnFirstOffset
    if (txnFirst !== undefined && !isTransactional) {
      throw new KafkaError(
        ErrorCode.INVALID_TXN_STATE,
        `expected a transactional write from producer ${this.producerId} at offset ${firstOffset}${this.where()}`
      )
    }
    if (txnFirst === undefined && isTransactional) {
      this.checkTxnVerified(epoch, firstOffset)
      this.updatedEntry.currentTxnFirstOffset = firstOffset
      this.startedTransactions.push(firstOffset)
    }
  }

  /**
   * A COMMIT/ABORT marker closes the producer's open transaction, as Kafka's appendEndTxnMarker: the epoch
   * may not go back, and a marker from an older coordinator epoch than the last marker's is
   * TRANSACTION_COORDINATOR_FENCED (replicas copy it anyway). A marker without an open transaction on this
   * partition completes nothing: it does not move the last stable offset or enter the transaction index.
   */
  appendEndTxnMarker(epoch: number, offset: number, timestamp: number, marker: EndTxnMarker): void {
    this.checkProducerEpoch(epoch, offset)
    if (this.updatedEntry.coordinatorEpoch > marker.coordinatorEpoch && this.origin !== 'replication') {
      throw new KafkaError(
        ErrorCode.TRANSACTION_COORDINATOR_FENCED,
        `marker for producer ${this.producerId} at offset ${offset}${this.where()} has coordinator epoch ` +
          `${marker.coordinatorEpoch}, older than ${this.updatedEntry.coordinatorEpoch}`
      )
    }
    const txnFirst = this.updatedEntry.currentTxnFirstOffset
    if (txnFirst !== undefined) {
      this.completedTransactions.push({
        producerId: this.producerId,
        firstOffset: txnFirst,
        lastOffset: offset,
        isAborted: marker.type === ControlRecordType.ABORT
      })
    }
    this.updatedEntry.maybeUpdateProducerEpoch(epoch)
    this.updatedEntry.currentTxnFirstOffset = undefined
    this.updatedEntry.coordinatorEpoch = marker.coordinatorEpoch
    this.updatedEntry.lastTimestamp = timestamp
  }

  /**
   * KIP-890 part 1: the first transactional batch of a transaction is only accepted once the coordinator
   * has told this partition (beginTxnVerification) that the producer added it to a transaction in this epoch.
   */
  private checkTxnVerified(epoch: number, offset: number): void {
    if (this.origin !== 'client' || !this.verification.required) return
    if (this.verification.verifiedEpoch === epoch) return
    throw new KafkaError(
      ErrorCode.INVALID_TXN_STATE,
      `producer ${this.producerId} (epoch ${epoch}) wrote transactional data at offset ${offset}${this.where()} ` +
        'without adding the partition to its transaction'
    )
  }

  /** The producer's state after this append: epoch and transaction fields, plus only the batches it added. */
  toEntry(): ProducerStateEntry {
    return this.updatedEntry
  }

  private checkProducerEpoch(epoch: number, offset: number): void {
    const current = this.updatedEntry.producerEpoch
    // Replicas copy whatever the leader accepted, even if it looks stale from here.
    if (epoch >= current || this.origin === 'replication') return
    throw new KafkaError(
      ErrorCode.INVALID_PRODUCER_EPOCH,
      `epoch of producer ${this.producerId} at offset ${offset}${this.where()} is ${epoch}, ` +
        `older than the last seen epoch ${current}`
    )
  }

  private checkSequence(epoch: number, firstSeq: number, offset: number): void {
    if (epoch !== this.updatedEntry.producerEpoch) {
      if (firstSeq !== 0 && this.updatedEntry.producerEpoch !== NO_PRODUCER_EPOCH) {
        throw new KafkaError(
          ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER,
          `producer ${this.producerId} starts epoch ${epoch} at sequence ${firstSeq} instead of 0 ` +
            `at offset ${offset}${this.where()} (current epoch ${this.updatedEntry.producerEpoch})`
        )
      }
      return
    }
    // Within one request, later batches follow the earlier ones of the same request.
    let lastSeq: number
    if (!this.updatedEntry.isEmpty) lastSeq = this.updatedEntry.lastSeq
    else if (epoch === this.currentEntry.producerEpoch) lastSeq = this.currentEntry.lastSeq
    else lastSeq = -1
    if (this.currentEntry.producerEpoch === NO_PRODUCER_EPOCH || inSequence(lastSeq, firstSeq)) return
    throw new KafkaError(
      ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER,
      `out of order sequence for producer ${this.producerId} at offset ${offset}${this.where()}: ` +
        `got ${firstSeq}, expected ${incrementSequence(lastSeq, 1)}`
    )
  }

  private where(): string {
    return this.partition ? ` in ${this.partition}` : ''
  }
}
