/**
 * One transactional id's state (Kafka's TransactionMetadata): producer id and epoch, timeout, the partitions
 * of the ongoing transaction and its state. Every change is two-phase, as in Kafka: `prepare*` computes the
 * next state (a TxnTransitMetadata) and marks it pending; the caller persists it to `__transaction_state`
 * and then calls `completeTransitionTo` (or `abortPendingTransition` if the write failed). While a
 * transition is pending, other requests get CONCURRENT_TRANSACTIONS.
 *
 * Event loop: plain synchronous state, owned by the TransactionStateManager of the broker.
 */

import { ErrorCode, KafkaError } from '../../protocol/error-codes.js'
import { isValidTransition, type TransactionState } from './transaction-state.js'

/** RecordBatch.NO_PRODUCER_ID / NO_PRODUCER_EPOCH. */
export const NO_PRODUCER_ID = -1n
export const NO_PRODUCER_EPOCH = -1
const MAX_EPOCH = 32767

export interface TopicPartition {
  readonly topic: string
  readonly partition: number
}

export interface TxnTransitMetadata {
  readonly producerId: bigint
  readonly previousProducerId: bigint
  readonly producerEpoch: number
  readonly lastProducerEpoch: number
  readonly txnTimeoutMs: number
  readonly state: TransactionState
  readonly partitions: readonly TopicPartition[]
  readonly txnStartTimestamp: number
  readonly txnLastUpdateTimestamp: number
}

export interface TransactionMetadataInit {
  transactionalId: string
  producerId: bigint
  previousProducerId?: bigint
  producerEpoch: number
  lastProducerEpoch?: number
  txnTimeoutMs: number
  state: TransactionState
  partitions?: readonly TopicPartition[]
  txnStartTimestamp?: number
  txnLastUpdateTimestamp: number
}

function partitionKey(tp: TopicPartition): string {
  return `${tp.topic}\u0000${tp.partition}`
}

export class TransactionMetadata {
  readonly transactionalId: string
  producerId: bigint
  previousProducerId: bigint
  producerEpoch: number
  /** The epoch before the last bump: lets a producer retrying InitProducerId get its bumped epoch again. */
  lastProducerEpoch: number
  txnTimeoutMs: number
  state: TransactionState
  pendingState: TransactionState | null = null
  txnStartTimestamp: number
  txnLastUpdateTimestamp: number
  private partitionSet = new Map<string, TopicPartition>()

  constructor(init: TransactionMetadataInit) {
    this.transactionalId = init.transactionalId
    this.producerId = init.producerId
    this.previousProducerId = init.previousProducerId ?? NO_PRODUCER_ID
    this.producerEpoch = init.producerEpoch
    this.lastProducerEpoch = init.lastProducerEpoch ?? NO_PRODUCER_EPOCH
    this.txnTimeoutMs = init.txnTimeoutMs
    this.state = init.state
    this.txnStartTimestamp = init.txnStartTimestamp ?? -1
    this.txnLastUpdateTimestamp = init.txnLastUpdateTimestamp
    for (const tp of init.partitions ?? []) this.partitionSet.set(partitionKey(tp), tp)
  }

  get partitions(): TopicPartition[] {
    return [...this.partitionSet.values()]
  }

  hasPartition(tp: TopicPartition): boolean {
    return this.partitionSet.has(partitionKey(tp))
  }

  get pendingTransitionInProgress(): boolean {
    return this.pendingState !== null
  }

  /** Kafka bumps the producer id instead of the epoch once the epoch is about to overflow. */
  get isProducerEpochExhausted(): boolean {
    return this.producerEpoch >= MAX_EPOCH - 1
  }

  /**
   * InitProducerId on an Empty / Complete* transaction (KIP-360): with no expected epoch a new producer
   * instance bumps the epoch; with one, the epoch is bumped if it matches, the bump is repeated for a retry
   * that carries the epoch before the last bump, and anything else is fenced.
   */
  prepareIncrementProducerEpoch(
    newTimeoutMs: number,
    expectedEpoch: number | undefined,
    now: number
  ): TxnTransitMetadata {
    if (this.isProducerEpochExhausted) throw new Error('cannot bump an exhausted producer epoch')
    const bumped = this.producerEpoch + 1
    let epoch: number
    let lastEpoch: number
    if (expectedEpoch === undefined) {
      epoch = bumped
      lastEpoch = NO_PRODUCER_EPOCH
    } else if (this.producerEpoch === NO_PRODUCER_EPOCH || expectedEpoch === this.producerEpoch) {
      epoch = bumped
      lastEpoch = this.producerEpoch
    } else if (expectedEpoch === this.lastProducerEpoch) {
      // A retry whose first attempt succeeded but whose response was lost: hand out the same epoch.
      epoch = this.producerEpoch
      lastEpoch = this.lastProducerEpoch
    } else {
      throw new KafkaError(
        ErrorCode.PRODUCER_FENCED,
        `epoch ${expectedEpoch} is fenced by ${this.producerEpoch}`
      )
    }
    return this.prepareTransitionTo({
      producerEpoch: epoch,
      lastProducerEpoch: lastEpoch,
      txnTimeoutMs: newTimeoutMs,
      state: 'Empty',
      partitions: [],
      txnStartTimestamp: -1,
      txnLastUpdateTimestamp: now
    })
  }

  prepareProducerIdRotation(
    newProducerId: bigint,
    newTimeoutMs: number,
    now: number,
    recordLastEpoch: boolean
  ): TxnTransitMetadata {
    return this.prepareTransitionTo({
      producerId: newProducerId,
      previousProducerId: this.producerId,
      producerEpoch: 0,
      lastProducerEpoch: recordLastEpoch ? this.producerEpoch : NO_PRODUCER_EPOCH,
      txnTimeoutMs: newTimeoutMs,
      state: 'Empty',
      partitions: [],
      txnStartTimestamp: -1,
      txnLastUpdateTimestamp: now
    })
  }

  /** Fences the current producer before aborting its transaction on its behalf (timeout, new instance). */
  prepareFenceProducerEpoch(): TxnTransitMetadata {
    const epoch = this.isProducerEpochExhausted ? this.producerEpoch : this.producerEpoch + 1
    return this.prepareTransitionTo({
      producerEpoch: epoch,
      lastProducerEpoch: NO_PRODUCER_EPOCH,
      state: 'PrepareEpochFence'
    })
  }

  prepareAddPartitions(added: readonly TopicPartition[], now: number): TxnTransitMetadata {
    const startsNew =
      this.state === 'Empty' || this.state === 'CompleteCommit' || this.state === 'CompleteAbort'
    const all = new Map(this.partitionSet)
    for (const tp of added) all.set(partitionKey(tp), tp)
    return this.prepareTransitionTo({
      state: 'Ongoing',
      partitions: [...all.values()],
      txnStartTimestamp: startsNew ? now : this.txnStartTimestamp,
      txnLastUpdateTimestamp: now
    })
  }

  prepareAbortOrCommit(state: 'PrepareCommit' | 'PrepareAbort', now: number): TxnTransitMetadata {
    return this.prepareTransitionTo({ state, txnLastUpdateTimestamp: now })
  }

  /** After the markers are written: the transaction is over and its partition list is cleared. */
  prepareComplete(now: number): TxnTransitMetadata {
    const state = this.state === 'PrepareCommit' ? 'CompleteCommit' : 'CompleteAbort'
    return this.prepareTransitionTo({ state, partitions: [], txnLastUpdateTimestamp: now })
  }

  prepareDead(): TxnTransitMetadata {
    return this.prepareTransitionTo({ state: 'Dead', partitions: [] })
  }

  /**
   * The epoch fence is never persisted: EndTxn(ABORT) on the coordinator's behalf turns it into a
   * PrepareAbort with the bumped epoch, which is what gets written.
   */
  takeOverEpochFence(fencedEpoch: number): void {
    this.pendingState = null
    this.producerEpoch = fencedEpoch
    this.lastProducerEpoch = NO_PRODUCER_EPOCH
  }

  private prepareTransitionTo(
    change: Partial<TxnTransitMetadata> & { state: TransactionState }
  ): TxnTransitMetadata {
    if (this.pendingState !== null) {
      throw new KafkaError(
        ErrorCode.CONCURRENT_TRANSACTIONS,
        `${this.transactionalId} is ${this.pendingState} already`
      )
    }
    if (!isValidTransition(this.state, change.state)) {
      throw new KafkaError(
        ErrorCode.INVALID_TXN_STATE,
        `${this.transactionalId} cannot go from ${this.state} to ${change.state}`
      )
    }
    const transit: TxnTransitMetadata = {
      producerId: change.producerId ?? this.producerId,
      previousProducerId: change.previousProducerId ?? this.previousProducerId,
      producerEpoch: change.producerEpoch ?? this.producerEpoch,
      lastProducerEpoch: change.lastProducerEpoch ?? this.lastProducerEpoch,
      txnTimeoutMs: change.txnTimeoutMs ?? this.txnTimeoutMs,
      state: change.state,
      partitions: change.partitions ?? this.partitions,
      txnStartTimestamp: change.txnStartTimestamp ?? this.txnStartTimestamp,
      txnLastUpdateTimestamp: change.txnLastUpdateTimestamp ?? this.txnLastUpdateTimestamp
    }
    this.pendingState = change.state
    return transit
  }

  /** Applies a transition once it is durable. */
  completeTransitionTo(transit: TxnTransitMetadata): void {
    if (this.pendingState !== transit.state || !isValidTransition(this.state, transit.state)) {
      this.pendingState = null
      throw new KafkaError(
        ErrorCode.INVALID_TXN_STATE,
        `${this.transactionalId}: unexpected completion ${this.state} -> ${transit.state} (pending ${this.pendingState})`
      )
    }
    this.producerId = transit.producerId
    this.previousProducerId = transit.previousProducerId
    this.producerEpoch = transit.producerEpoch
    this.lastProducerEpoch = transit.lastProducerEpoch
    this.txnTimeoutMs = transit.txnTimeoutMs
    this.state = transit.state
    this.txnStartTimestamp = transit.txnStartTimestamp
    this.txnLastUpdateTimestamp = transit.txnLastUpdateTimestamp
    this.partitionSet = new Map(transit.partitions.map((tp) => [partitionKey(tp), tp]))
    this.pendingState = null
  }

  abortPendingTransition(): void {
    this.pendingState = null
  }
}
