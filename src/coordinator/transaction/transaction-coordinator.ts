/**
 * Kafka's TransactionCoordinator: InitProducerId for transactional ids (epoch bumps, zombie fencing,
 * KIP-360 retries), AddPartitionsToTxn / AddOffsetsToTxn, EndTxn (Prepare* persisted, then markers to every
 * partition, then Complete*), the abort of timed-out transactions and the expiry of idle transactional ids.
 *
 * Event loop: validation and state changes are synchronous; only `__transaction_state` appends, producer id
 * allocation and marker writes are awaited, and their continuations act only through pending transitions.
 */

import { ErrorCode, errorCodeOf, KafkaError } from '../../protocol/error-codes.js'
import {
  NO_PRODUCER_EPOCH,
  type TopicPartition,
  TransactionMetadata,
  type TxnTransitMetadata
} from './transaction-metadata.js'
import { isCompleteOrEmpty, type TransactionState } from './transaction-state.js'
import type { TransactionStateManager } from './transaction-state-manager.js'

export interface TxnMarker {
  readonly transactionalId: string
  readonly producerId: bigint
  readonly producerEpoch: number
  readonly coordinatorEpoch: number
  readonly commit: boolean
  readonly partitions: readonly TopicPartition[]
}

/** Writes the COMMIT/ABORT marker to each partition; returns the partitions that failed, with their error. */
export type TxnMarkerWriter = (marker: TxnMarker) => Promise<{ tp: TopicPartition; errorCode: number }[]>

export interface TransactionCoordinatorConfig {
  /** transaction.max.timeout.ms */
  readonly maxTimeoutMs: number
  /** transactional.id.expiration.ms */
  readonly transactionalIdExpirationMs: number
}

export interface TransactionCoordinatorDeps {
  readonly stateManager: TransactionStateManager
  readonly generateProducerId: () => Promise<bigint>
  readonly writeMarkers: TxnMarkerWriter
  readonly config: TransactionCoordinatorConfig
  readonly now?: () => number
  /** Delay between marker retries; markers are retried until written or the coordinator moves. */
  readonly markerRetryBackoffMs?: number
  readonly onError?: (err: unknown, what: string) => void
  /**
   * Tells the partition leaders that the producer added these partitions to its transaction in this epoch
   * (KIP-890 part 1), so that its first transactional batch there is accepted.
   */
  readonly onPartitionsAdded?: (
    producerId: bigint,
    producerEpoch: number,
    partitions: readonly TopicPartition[]
  ) => Promise<void>
}

export interface InitProducerIdResult {
  errorCode: number
  producerId: bigint
  producerEpoch: number
}

const INIT_FAILED = { producerId: -1n, producerEpoch: -1 }
/** Kafka gives up on marker partitions whose topic is gone. */
const DROPPED_MARKER_ERRORS: ReadonlySet<number> = new Set([ErrorCode.UNKNOWN_TOPIC_OR_PARTITION])

export class TransactionCoordinator {
  private readonly state: TransactionStateManager
  private readonly now: () => number
  private active = true
  private readonly inFlight = new Set<Promise<void>>()

  constructor(private readonly deps: TransactionCoordinatorDeps) {
    this.state = deps.stateManager
    this.now = deps.now ?? Date.now
  }

  get stateManager(): TransactionStateManager {
    return this.state
  }

  /** Stops completing transactions; waits for marker writes already under way. */
  async shutdown(): Promise<void> {
    this.active = false
    await Promise.allSettled([...this.inFlight])
  }

  /** This broker leads a `__transaction_state` partition: load it and finish transactions left in Prepare*. */
  async onElection(partition: number, coordinatorEpoch: number): Promise<void> {
    const loaded = await this.state.loadPartition(partition, coordinatorEpoch)
    for (const md of loaded) {
      if (md.state === 'PrepareCommit' || md.state === 'PrepareAbort') this.completeInBackground(md)
    }
  }

  validTimeout(timeoutMs: number): boolean {
    return timeoutMs > 0 && timeoutMs <= this.deps.config.maxTimeoutMs
  }

  async handleInitProducerId(
    transactionalId: string,
    transactionTimeoutMs: number,
    expected?: { producerId: bigint; producerEpoch: number }
  ): Promise<InitProducerIdResult> {
    try {
      if (transactionalId === '') throw new KafkaError(ErrorCode.INVALID_REQUEST)
      if (!this.validTimeout(transactionTimeoutMs))
        throw new KafkaError(ErrorCode.INVALID_TRANSACTION_TIMEOUT)
      let md = this.state.get(transactionalId)
      if (md === undefined) {
        const producerId = await this.deps.generateProducerId()
        md = this.state.putIfNotExists(
          new TransactionMetadata({
            transactionalId,
            producerId,
            producerEpoch: NO_PRODUCER_EPOCH,
            txnTimeoutMs: transactionTimeoutMs,
            state: 'Empty',
            txnLastUpdateTimestamp: this.now()
          })
        )
      }
      const transit = await this.prepareInitProducerIdTransit(md, transactionTimeoutMs, expected)
      if (transit.state === 'PrepareEpochFence') {
        // A previous instance left a transaction open: abort it on its behalf, then let the client retry.
        const code = await this.endTransaction(
          transactionalId,
          transit.producerId,
          transit.producerEpoch,
          false,
          false
        )
        if (md.pendingState === 'PrepareEpochFence') md.abortPendingTransition()
        return {
          errorCode: code === ErrorCode.NONE ? ErrorCode.CONCURRENT_TRANSACTIONS : code,
          ...INIT_FAILED
        }
      }
      await this.state.appendTransition(md, transit, this.now())
      return {
        errorCode: ErrorCode.NONE,
        producerId: transit.producerId,
        producerEpoch: transit.producerEpoch
      }
    } catch (err) {
      return { errorCode: errorCodeOf(err), ...INIT_FAILED }
    }
  }

  private async prepareInitProducerIdTransit(
    md: TransactionMetadata,
    timeoutMs: number,
    expected: { producerId: bigint; producerEpoch: number } | undefined
  ): Promise<TxnTransitMetadata> {
    if (md.pendingTransitionInProgress) throw new KafkaError(ErrorCode.CONCURRENT_TRANSACTIONS)
    if (expected !== undefined && !isValidExpectedProducer(md, expected)) {
      throw new KafkaError(ErrorCode.PRODUCER_FENCED)
    }
    switch (md.state) {
      case 'PrepareCommit':
      case 'PrepareAbort':
        throw new KafkaError(ErrorCode.CONCURRENT_TRANSACTIONS)
      case 'Empty':
      case 'CompleteCommit':
      case 'CompleteAbort': {
        if (
          md.isProducerEpochExhausted &&
          (expected === undefined || expected.producerEpoch === md.producerEpoch)
        ) {
          const newId = await this.deps.generateProducerId()
          if (md.pendingTransitionInProgress) throw new KafkaError(ErrorCode.CONCURRENT_TRANSACTIONS)
          return md.prepareProducerIdRotation(newId, timeoutMs, this.now(), expected !== undefined)
        }
        return md.prepareIncrementProducerEpoch(timeoutMs, expected?.producerEpoch, this.now())
      }
      case 'Ongoing':
        return md.prepareFenceProducerEpoch()
      default:
        throw new KafkaError(ErrorCode.CONCURRENT_TRANSACTIONS, `${md.transactionalId} is ${md.state}`)
    }
  }

  /** The checks every transactional request shares: mapping, epoch and whether a transition is pending. */
  private validatedMetadata(
    transactionalId: string,
    producerId: bigint,
    producerEpoch: number
  ): TransactionMetadata {
    if (transactionalId === '') throw new KafkaError(ErrorCode.INVALID_REQUEST)
    const md = this.state.get(transactionalId)
    if (md === undefined || md.producerId !== producerId)
      throw new KafkaError(ErrorCode.INVALID_PRODUCER_ID_MAPPING)
    if (md.producerEpoch !== producerEpoch) throw new KafkaError(ErrorCode.PRODUCER_FENCED)
    if (md.pendingTransitionInProgress) throw new KafkaError(ErrorCode.CONCURRENT_TRANSACTIONS)
    return md
  }

  /** AddPartitionsToTxn / AddOffsetsToTxn: NONE or the error for every partition of the request. */
  async handleAddPartitions(
    transactionalId: string,
    producerId: bigint,
    producerEpoch: number,
    partitions: readonly TopicPartition[]
  ): Promise<number> {
    try {
      const md = this.validatedMetadata(transactionalId, producerId, producerEpoch)
      if (md.state === 'PrepareCommit' || md.state === 'PrepareAbort') {
        throw new KafkaError(ErrorCode.CONCURRENT_TRANSACTIONS)
      }
      if (!(md.state === 'Ongoing' && partitions.every((tp) => md.hasPartition(tp)))) {
        const transit = md.prepareAddPartitions(partitions, this.now())
        await this.state.appendTransition(md, transit, this.now())
      }
      await this.deps.onPartitionsAdded?.(producerId, producerEpoch, partitions)
      return ErrorCode.NONE
    } catch (err) {
      return errorCodeOf(err)
    }
  }

  /** AddPartitionsToTxn v4+ verifyOnly (KIP-890): is each partition already part of the ongoing transaction? */
  handleVerifyPartitions(
    transactionalId: string,
    producerId: bigint,
    producerEpoch: number,
    partitions: readonly TopicPartition[]
  ): number | number[] {
    let md: TransactionMetadata | undefined
    try {
      md = this.state.get(transactionalId)
    } catch (err) {
      return errorCodeOf(err)
    }
    if (md === undefined || md.producerId !== producerId) return ErrorCode.INVALID_PRODUCER_ID_MAPPING
    if (md.producerEpoch !== producerEpoch) return ErrorCode.PRODUCER_FENCED
    const ongoing = md.state === 'Ongoing'
    return partitions.map((tp) =>
      ongoing && md.hasPartition(tp) ? ErrorCode.NONE : ErrorCode.INVALID_TXN_STATE
    )
  }

  /** EndTxn from a client: resolves once the Prepare* state is durable (markers follow in the background). */
  handleEndTransaction(
    transactionalId: string,
    producerId: bigint,
    producerEpoch: number,
    commit: boolean
  ): Promise<number> {
    return this.endTransaction(transactionalId, producerId, producerEpoch, commit, true)
  }

  private async endTransaction(
    transactionalId: string,
    producerId: bigint,
    producerEpoch: number,
    commit: boolean,
    fromClient: boolean
  ): Promise<number> {
    let md: TransactionMetadata
    let transit: TxnTransitMetadata
    try {
      if (transactionalId === '') throw new KafkaError(ErrorCode.INVALID_REQUEST)
      const found = this.state.get(transactionalId)
      if (found === undefined || found.producerId !== producerId) {
        throw new KafkaError(ErrorCode.INVALID_PRODUCER_ID_MAPPING)
      }
      md = found
      // A client must use the current epoch exactly; the coordinator aborting on its own may use a bumped one.
      if ((fromClient && producerEpoch !== md.producerEpoch) || producerEpoch < md.producerEpoch) {
        throw new KafkaError(ErrorCode.PRODUCER_FENCED)
      }
      if (md.pendingTransitionInProgress && md.pendingState !== 'PrepareEpochFence') {
        throw new KafkaError(ErrorCode.CONCURRENT_TRANSACTIONS)
      }
      const sameResult = (s: TransactionState) => (commit ? s.endsWith('Commit') : s.endsWith('Abort'))
      switch (md.state) {
        case 'Ongoing': {
          if (!commit && md.pendingState === 'PrepareEpochFence') md.takeOverEpochFence(producerEpoch)
          transit = md.prepareAbortOrCommit(commit ? 'PrepareCommit' : 'PrepareAbort', this.now())
          break
        }
        case 'CompleteCommit':
        case 'CompleteAbort':
          // A retried EndTxn whose first attempt completed.
          if (sameResult(md.state)) return ErrorCode.NONE
          throw new KafkaError(ErrorCode.INVALID_TXN_STATE)
        case 'PrepareCommit':
        case 'PrepareAbort':
          if (sameResult(md.state)) throw new KafkaError(ErrorCode.CONCURRENT_TRANSACTIONS)
          throw new KafkaError(ErrorCode.INVALID_TXN_STATE)
        default:
          throw new KafkaError(ErrorCode.INVALID_TXN_STATE, `EndTxn in state ${md.state}`)
      }
    } catch (err) {
      return errorCodeOf(err)
    }
    try {
      await this.state.appendTransition(md, transit, this.now())
    } catch (err) {
      return errorCodeOf(err)
    }
    this.completeInBackground(md)
    return ErrorCode.NONE
  }

  /** Writes the markers of a prepared transaction, then persists Complete*. */
  private completeInBackground(md: TransactionMetadata): void {
    const run = this.complete(md).catch((err: unknown) =>
      this.deps.onError?.(err, `completing ${md.transactionalId}`)
    )
    this.inFlight.add(run)
    void run.finally(() => this.inFlight.delete(run))
  }

  private async complete(md: TransactionMetadata): Promise<void> {
    const coordinatorEpoch = this.state.coordinatorEpochOf(md.transactionalId)
    let transit = md.prepareComplete(this.now())
    let remaining: TopicPartition[] = md.partitions
    const backoff = this.deps.markerRetryBackoffMs ?? 100
    while (remaining.length > 0) {
      // A resignation (or a reload in a newer epoch, which resumes the markers itself) ends this attempt.
      if (!this.active || !this.state.isCurrent(md, coordinatorEpoch)) {
        md.abortPendingTransition()
        return
      }
      const failed = await this.deps.writeMarkers({
        transactionalId: md.transactionalId,
        producerId: md.producerId,
        producerEpoch: md.producerEpoch,
        coordinatorEpoch,
        commit: md.state === 'PrepareCommit',
        partitions: remaining
      })
      remaining = failed.filter((f) => !DROPPED_MARKER_ERRORS.has(f.errorCode)).map((f) => f.tp)
      if (remaining.length > 0) await sleep(backoff)
    }
    // Every marker is written: Complete* must follow even if `__transaction_state` is briefly short of
    // replicas (a broker just died), as Kafka retries that append.
    for (;;) {
      try {
        await this.state.appendTransition(md, transit, this.now())
        return
      } catch (err) {
        if (errorCodeOf(err) !== ErrorCode.COORDINATOR_NOT_AVAILABLE) throw err
      }
      await sleep(backoff)
      if (!this.active || !this.state.isCurrent(md, coordinatorEpoch)) return
      transit = md.prepareComplete(this.now())
    }
  }

  /** Aborts Ongoing transactions older than their timeout, fencing their producer (Kafka's periodic task). */
  async abortTimedOutTransactions(): Promise<number> {
    const now = this.now()
    const timedOut = this.state
      .ownedTransactions()
      .filter(
        (md) =>
          md.state === 'Ongoing' &&
          !md.pendingTransitionInProgress &&
          md.txnStartTimestamp + md.txnTimeoutMs < now
      )
    for (const md of timedOut) {
      const fence = md.prepareFenceProducerEpoch()
      const code = await this.endTransaction(
        md.transactionalId,
        fence.producerId,
        fence.producerEpoch,
        false,
        false
      )
      if (code !== ErrorCode.NONE && md.pendingState === 'PrepareEpochFence') md.abortPendingTransition()
    }
    return timedOut.length
  }

  /** Tombstones transactional ids idle for transactional.id.expiration.ms (Empty or Complete* only). */
  async removeExpiredTransactionalIds(): Promise<number> {
    const now = this.now()
    let removed = 0
    for (const md of this.state.ownedTransactions()) {
      if (!isCompleteOrEmpty(md.state) || md.pendingTransitionInProgress) continue
      if (md.txnLastUpdateTimestamp > now - this.deps.config.transactionalIdExpirationMs) continue
      try {
        await this.state.appendTransition(md, md.prepareDead(), now)
        removed++
      } catch (err) {
        this.deps.onError?.(err, `expiring ${md.transactionalId}`)
      }
    }
    return removed
  }

  describe(transactionalId: string): { errorCode: number; metadata?: TransactionMetadata } {
    try {
      const md = this.state.get(transactionalId)
      if (md === undefined) return { errorCode: ErrorCode.TRANSACTIONAL_ID_NOT_FOUND }
      return { errorCode: ErrorCode.NONE, metadata: md }
    } catch (err) {
      return { errorCode: errorCodeOf(err) }
    }
  }

  /** ListTransactions: every owned id matching the filters (empty filter = all). */
  list(
    states: readonly string[],
    producerIds: readonly bigint[],
    minDurationMs: number
  ): TransactionMetadata[] {
    const now = this.now()
    return this.state
      .ownedTransactions()
      .filter(
        (md) =>
          (states.length === 0 || states.includes(md.state)) &&
          (producerIds.length === 0 || producerIds.includes(md.producerId)) &&
          (minDurationMs < 0 || now - md.txnStartTimestamp >= minDurationMs)
      )
  }
}

/**
 * KIP-360: with a producer id and epoch in InitProducerId, the producer is fenced unless the id is new
 * (epoch -1), the id matches, or it is the previous id of a rotation the producer never heard of.
 */
function isValidExpectedProducer(
  md: TransactionMetadata,
  expected: { producerId: bigint; producerEpoch: number }
): boolean {
  return (
    md.producerEpoch === NO_PRODUCER_EPOCH ||
    expected.producerId === md.producerId ||
    (expected.producerId === md.previousProducerId && expected.producerEpoch >= 32766)
  )
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms).unref())
}
