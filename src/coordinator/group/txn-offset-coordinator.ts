/**
 * Transactional offset commits (TxnOffsetCommit, KIP-98/447), Kafka's way: the offsets are appended to the
 * group's `__consumer_offsets` partition at once, as the producer's transactional batch, and kept pending
 * (keyed by producer id) in memory. The transaction coordinator's COMMIT marker on that partition makes
 * them the group's committed offsets; an ABORT marker drops them. The log holds both the offsets and the
 * marker, so a broker that restarts mid-transaction rebuilds the pending offsets on load
 * (GroupMetadataManager.loadPartition) and the marker written after the restart completes them.
 * While offsets are pending, OffsetFetch with requireStable reports UNSTABLE_OFFSET_COMMIT for them.
 *
 * KIP-890 part 1: before appending, the transaction coordinator is asked (verifyTransaction) whether the
 * producer's ongoing transaction holds the group's partition, as Kafka's verifyOnly AddPartitionsToTxn.
 *
 * Event loop: bookkeeping is synchronous; only the log append is awaited.
 */

import { ErrorCode, errorCodeOf, KafkaError } from '../../protocol/error-codes.js'
import type {
  TxnOffsetCommitRequest,
  TxnOffsetCommitResponse
} from '../../protocol/messages/txn-offset-commit.js'
import type { GroupCoordinatorConfig } from './group-coordinator-config.js'
import type { GroupMetadata, OffsetAndMetadata } from './group-metadata.js'
import type { TxnProducer } from './group-store.js'
import { type PendingOffset, type PendingTxnOffsets, pendingOffsetsOf } from './pending-txn-offsets.js'

/** What transactional offset commits need from the groups and the `__consumer_offsets` partitions. */
export interface TxnOffsetHost {
  readonly config: GroupCoordinatorConfig
  now(): number
  groupError(groupId: string | null | undefined, allowEmptyId: boolean): number
  group(groupId: string): GroupMetadata | undefined
  createGroup(groupId: string): GroupMetadata
  /** Whether a KIP-848 consumer group holds this id. */
  isConsumerGroup(groupId: string): boolean
  storeOffsets(
    groupId: string,
    offsets: readonly { topic: string; partition: number; value: OffsetAndMetadata }[],
    txn: TxnProducer
  ): Promise<void>
  partitionFor(groupId: string): number
  isOwned(offsetsPartition: number): boolean
  whenLoaded(offsetsPartition: number): Promise<void>
}

/**
 * Answers whether the transactional id's ongoing transaction, in this producer id and epoch, holds the
 * `__consumer_offsets` partition: NONE, or the error TxnOffsetCommit should report.
 */
export type TxnVerifier = (
  transactionalId: string,
  producerId: bigint,
  producerEpoch: number,
  offsetsPartition: number
) => number

const key = (topic: string, partition: number) => `${topic}\u0000${partition}`

export class TxnOffsetCoordinator {
  private readonly pending: PendingTxnOffsets = new Map()
  /** Set by the broker when a transaction coordinator runs alongside; without it nothing is verified. */
  verifyTransaction: TxnVerifier | null = null

  constructor(private readonly host: TxnOffsetHost) {}

  async commitTxnOffsets(request: TxnOffsetCommitRequest): Promise<TxnOffsetCommitResponse> {
    const c = this.host
    const respond = (code: (topic: string, partition: number) => number): TxnOffsetCommitResponse => ({
      throttleTimeMs: 0,
      topics: request.topics.map((t) => ({
        name: t.name,
        partitions: t.partitions.map((p) => ({
          partitionIndex: p.partitionIndex,
          errorCode: code(t.name, p.partitionIndex)
        }))
      }))
    })
    let err = c.groupError(request.groupId, false)
    if (err === ErrorCode.NONE) err = this.validateMember(request)
    if (err === ErrorCode.NONE && this.verifyTransaction !== null) {
      err = this.verifyTransaction(
        request.transactionalId,
        request.producerId,
        request.producerEpoch,
        c.partitionFor(request.groupId)
      )
    }
    if (err !== ErrorCode.NONE) return respond(() => err)
    const now = c.now()
    const tooLarge = new Set<string>()
    const accepted: PendingOffset[] = []
    for (const t of request.topics) {
      for (const p of t.partitions) {
        const metadata = p.committedMetadata ?? ''
        if (metadata.length > c.config.maxMetadataSize) {
          tooLarge.add(key(t.name, p.partitionIndex))
          continue
        }
        accepted.push({
          topic: t.name,
          partition: p.partitionIndex,
          value: {
            offset: p.committedOffset,
            leaderEpoch: p.committedLeaderEpoch ?? -1,
            metadata,
            commitTimestamp: now,
            expireTimestamp: null
          }
        })
      }
    }
    let appendError: number = ErrorCode.NONE
    if (accepted.length > 0) {
      try {
        await c.storeOffsets(request.groupId, accepted, {
          producerId: request.producerId,
          producerEpoch: request.producerEpoch
        })
        // Only once the batch is in the log: its marker, written later, is what completes these offsets.
        const offsets = pendingOffsetsOf(this.pending, request.producerId, request.groupId)
        for (const o of accepted) offsets.set(key(o.topic, o.partition), o)
      } catch (e) {
        appendError = errorCodeOf(e)
      }
    }
    return respond((topic, partition) =>
      tooLarge.has(key(topic, partition)) ? ErrorCode.OFFSET_METADATA_TOO_LARGE : appendError
    )
  }

  /** Kafka's doTxnCommitOffsets checks: a known member of the current generation, if one is named. */
  private validateMember(request: TxnOffsetCommitRequest): number {
    const c = this.host
    const generation = request.generationId ?? -1
    const memberId = request.memberId ?? ''
    const instanceId = request.groupInstanceId ?? null
    let group = c.group(request.groupId)
    if (group === undefined && !c.isConsumerGroup(request.groupId)) {
      if (generation >= 0) return ErrorCode.ILLEGAL_GENERATION
      group = c.createGroup(request.groupId)
    }
    if (group === undefined) return ErrorCode.NONE
    if (group.is('Dead')) return ErrorCode.COORDINATOR_NOT_AVAILABLE
    try {
      if (memberId !== '' || instanceId !== null) group.validateMember(memberId, instanceId)
      if (generation >= 0 && generation !== group.generationId)
        throw new KafkaError(ErrorCode.ILLEGAL_GENERATION)
    } catch (e) {
      return errorCodeOf(e)
    }
    return ErrorCode.NONE
  }

  /** The group's `__consumer_offsets` partition, which AddOffsetsToTxn adds to the transaction. */
  partitionFor(groupId: string): number {
    return this.host.partitionFor(groupId)
  }

  hasPendingOffset(groupId: string, topic: string, partition: number): boolean {
    const k = key(topic, partition)
    for (const groups of this.pending.values()) if (groups.get(groupId)?.has(k)) return true
    return false
  }

  /** A `__consumer_offsets` partition was loaded: adopt the offsets its log still holds pending. */
  onLoaded(pending: PendingTxnOffsets): void {
    for (const [producerId, groups] of pending) {
      for (const [groupId, offsets] of groups) {
        const mine = pendingOffsetsOf(this.pending, producerId, groupId)
        for (const [k, o] of offsets) mine.set(k, o)
      }
    }
  }

  /** The partition moved away: its groups' pending offsets now live with its new coordinator. */
  onUnloaded(offsetsPartition: number): void {
    for (const [producerId, groups] of this.pending) {
      for (const groupId of groups.keys()) {
        if (this.host.partitionFor(groupId) === offsetsPartition) groups.delete(groupId)
      }
      if (groups.size === 0) this.pending.delete(producerId)
    }
  }

  /**
   * The transaction's marker is in `__consumer_offsets` partition `offsetsPartition`: the producer's
   * pending offsets of the groups on that partition become committed (COMMIT) or are dropped (ABORT).
   * Nothing is written: the marker itself makes the transactional batch count on a reload. A partition
   * still loading is waited for, since its replay may hand over offsets this marker completes.
   */
  async completeTransaction(producerId: bigint, offsetsPartition: number, commit: boolean): Promise<void> {
    const c = this.host
    await c.whenLoaded(offsetsPartition)
    const groups = this.pending.get(producerId)
    if (groups === undefined) return
    for (const [groupId, offsets] of [...groups]) {
      if (c.partitionFor(groupId) !== offsetsPartition) continue
      groups.delete(groupId)
      if (!commit || !c.isOwned(offsetsPartition)) continue
      const group = c.group(groupId) ?? c.createGroup(groupId)
      if (!group.is('Dead')) for (const o of offsets.values()) group.setOffset(o.topic, o.partition, o.value)
    }
    if (groups.size === 0) this.pending.delete(producerId)
  }
}
