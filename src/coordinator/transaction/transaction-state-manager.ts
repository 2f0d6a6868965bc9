/**
 * Kafka's TransactionStateManager: owns the transactional ids of the `__transaction_state` partitions this
 * broker leads, loads them on election, persists every transition (one record per transition, keyed by the
 * transactional id, so compaction keeps the latest state) and writes tombstones for expired ids.
 *
 * Event loop: state is mutated synchronously; only store appends and loads are awaited. A partition serves
 * requests only after its load completed.
 */

import { ErrorCode, errorCodeOf, KafkaError } from '../../protocol/error-codes.js'
import { partitionFor } from '../group/group-partition.js'
import type { CoordinatorRecord, GroupStore } from '../group/group-store.js'
import {
  decodeTransactionLogKey,
  decodeTransactionLogValue,
  encodeTransactionLogKey,
  encodeTransactionLogValue
} from './transaction-log.js'
import { TransactionMetadata, type TxnTransitMetadata } from './transaction-metadata.js'

/** The same narrow record-log interface the group coordinator persists through. */
export type TransactionStore = GroupStore

interface PartitionOwnership {
  status: 'loading' | 'active'
  /** The coordinator epoch stamped into markers: the leader epoch of the `__transaction_state` partition. */
  coordinatorEpoch: number
}

export class TransactionStateManager {
  readonly transactions = new Map<string, TransactionMetadata>()
  private readonly owned = new Map<number, PartitionOwnership>()

  constructor(
    private readonly store: TransactionStore,
    public numPartitions: number
  ) {}

  partitionFor(transactionalId: string): number {
    return partitionFor(transactionalId, this.numPartitions)
  }

  /** NOT_COORDINATOR / COORDINATOR_LOAD_IN_PROGRESS when this broker cannot serve the id now, else NONE. */
  coordinatorError(transactionalId: string): number {
    const o = this.owned.get(this.partitionFor(transactionalId))
    if (o === undefined) return ErrorCode.NOT_COORDINATOR
    if (o.status === 'loading') return ErrorCode.COORDINATOR_LOAD_IN_PROGRESS
    return ErrorCode.NONE
  }

  isOwned(partition: number): boolean {
    return this.owned.get(partition)?.status === 'active'
  }

  /** This broker still serves the id's partition in `coordinatorEpoch`, and `md` is still its metadata. */
  isCurrent(md: TransactionMetadata, coordinatorEpoch: number): boolean {
    const o = this.owned.get(this.partitionFor(md.transactionalId))
    return (
      o?.status === 'active' &&
      o.coordinatorEpoch === coordinatorEpoch &&
      this.transactions.get(md.transactionalId) === md
    )
  }

  coordinatorEpochOf(transactionalId: string): number {
    return this.owned.get(this.partitionFor(transactionalId))?.coordinatorEpoch ?? -1
  }

  /** The id's metadata if this broker serves it; throws the coordinator error otherwise. */
  get(transactionalId: string): TransactionMetadata | undefined {
    const err = this.coordinatorError(transactionalId)
    if (err !== ErrorCode.NONE) throw new KafkaError(err)
    return this.transactions.get(transactionalId)
  }

  putIfNotExists(md: TransactionMetadata): TransactionMetadata {
    const existing = this.transactions.get(md.transactionalId)
    if (existing) return existing
    this.transactions.set(md.transactionalId, md)
    return md
  }

  /** Every id of the partitions this broker serves. */
  ownedTransactions(): TransactionMetadata[] {
    return [...this.transactions.values()].filter((md) => this.isOwned(this.partitionFor(md.transactionalId)))
  }

  /**
   * Persists a prepared transition and applies it. On failure the pending transition is dropped and the
   * error is reported as Kafka's coordinator reports a failed `__transaction_state` write.
   */
  async appendTransition(md: TransactionMetadata, transit: TxnTransitMetadata, now: number): Promise<void> {
    const partition = this.partitionFor(md.transactionalId)
    const epoch = this.owned.get(partition)?.coordinatorEpoch
    const record: CoordinatorRecord = {
      key: encodeTransactionLogKey(md.transactionalId),
      value:
        transit.state === 'Dead'
          ? null
          : encodeTransactionLogValue({
              producerId: transit.producerId,
              previousProducerId: transit.previousProducerId,
              producerEpoch: transit.producerEpoch,
              transactionTimeoutMs: transit.txnTimeoutMs,
              state: transit.state,
              partitions: groupByTopic(transit.partitions),
              lastUpdateTimestampMs: BigInt(transit.txnLastUpdateTimestamp || now),
              startTimestampMs: BigInt(transit.txnStartTimestamp)
            })
    }
    try {
      await this.store.append(partition, [record])
    } catch (err) {
      md.abortPendingTransition()
      throw new KafkaError(mapTxnAppendError(errorCodeOf(err)), undefined, { cause: err })
    }
    // The partition may have moved (or reloaded) while the write was in flight.
    const now2 = this.owned.get(partition)
    if (
      now2 === undefined ||
      now2.coordinatorEpoch !== epoch ||
      this.transactions.get(md.transactionalId) !== md
    ) {
      md.abortPendingTransition()
      throw new KafkaError(ErrorCode.NOT_COORDINATOR)
    }
    md.completeTransitionTo(transit)
    if (transit.state === 'Dead') this.transactions.delete(md.transactionalId)
  }

  /** Replays the partition; returns its ids so the coordinator can finish transactions left in Prepare*. */
  async loadPartition(partition: number, coordinatorEpoch: number): Promise<TransactionMetadata[]> {
    if (this.owned.has(partition)) return []
    // Identity, not just status: an unload and a newer load may happen while this one reads the log.
    const ownership: PartitionOwnership = { status: 'loading', coordinatorEpoch }
    this.owned.set(partition, ownership)
    const loaded = new Map<string, TransactionMetadata>()
    try {
      for await (const record of this.store.load(partition)) {
        if (record.key === null) continue // transaction markers never reach __transaction_state
        const id = decodeTransactionLogKey(record.key)
        if (id === null) continue
        if (record.value === null) {
          loaded.delete(id)
          continue
        }
        const v = decodeTransactionLogValue(record.value)
        loaded.set(
          id,
          new TransactionMetadata({
            transactionalId: id,
            producerId: v.producerId,
            previousProducerId: v.previousProducerId,
            producerEpoch: v.producerEpoch,
            txnTimeoutMs: v.transactionTimeoutMs,
            state: v.state,
            partitions: v.partitions.flatMap((t) =>
              t.partitionIds.map((p) => ({ topic: t.topic, partition: p }))
            ),
            txnStartTimestamp: Number(v.startTimestampMs),
            txnLastUpdateTimestamp: Number(v.lastUpdateTimestampMs)
          })
        )
      }
    } catch (err) {
      if (this.owned.get(partition) === ownership) this.owned.delete(partition)
      throw err
    }
    if (this.owned.get(partition) !== ownership) return []
    for (const [id, md] of loaded) this.transactions.set(id, md)
    ownership.status = 'active'
    return [...loaded.values()]
  }

  unloadPartition(partition: number): void {
    this.owned.delete(partition)
    for (const id of this.transactions.keys()) {
      if (this.partitionFor(id) === partition) this.transactions.delete(id)
    }
  }
}

function groupByTopic(partitions: readonly { topic: string; partition: number }[]) {
  const byTopic = new Map<string, number[]>()
  for (const { topic, partition } of partitions) {
    const list = byTopic.get(topic)
    if (list) list.push(partition)
    else byTopic.set(topic, [partition])
  }
  return [...byTopic].map(([topic, partitionIds]) => ({ topic, partitionIds }))
}

/** Kafka's translation of a failed `__transaction_state` append (TransactionStateManager.appendTransactionToLog). */
function mapTxnAppendError(code: number): number {
  switch (code) {
    case ErrorCode.UNKNOWN_TOPIC_OR_PARTITION:
    case ErrorCode.NOT_ENOUGH_REPLICAS:
    case ErrorCode.NOT_ENOUGH_REPLICAS_AFTER_APPEND:
    case ErrorCode.REQUEST_TIMED_OUT:
      return ErrorCode.COORDINATOR_NOT_AVAILABLE
    case ErrorCode.NOT_LEADER_OR_FOLLOWER:
    case ErrorCode.KAFKA_STORAGE_ERROR:
      return ErrorCode.NOT_COORDINATOR
    case ErrorCode.MESSAGE_TOO_LARGE:
    case ErrorCode.RECORD_LIST_TOO_LARGE:
      return ErrorCode.UNKNOWN_SERVER_ERROR
    default:
      return code
  }
}
