/**
 * Transactional offset commits (TxnOffsetCommit, KIP-98/447): offsets sent inside a transaction stay pending,
 * keyed by producer id, and become the group's committed offsets only when the transaction's COMMIT marker
 * reaches the group's `__consumer_offsets` partition; an ABORT drops them. While offsets are pending,
 * OffsetFetch with requireStable reports UNSTABLE_OFFSET_COMMIT for their partitions.
 *
 * Durability: pending offsets live in memory and are written (as ordinary offset commit records) when the
 * COMMIT marker arrives. Kafka writes them to the log at TxnOffsetCommit time inside the transaction; a
 * broker restart between the commit decision and the marker would lose them here (see the transaction
 * coordinator notes in docs).
 *
 * Event loop: synchronous bookkeeping; only the offset append on commit is awaited.
 */

import { ErrorCode, errorCodeOf, KafkaError } from '../../protocol/error-codes.js'
import type {
  TxnOffsetCommitRequest,
  TxnOffsetCommitResponse
} from '../../protocol/messages/txn-offset-commit.js'
import type { GroupCoordinator } from './group-coordinator.js'
import type { OffsetAndMetadata } from './group-metadata.js'

interface PendingOffset {
  topic: string
  partition: number
  value: OffsetAndMetadata
}

export class TxnOffsetCoordinator {
  /** producer id → group id → `topic\0partition` → the latest pending offset. */
  private readonly pending = new Map<bigint, Map<string, Map<string, PendingOffset>>>()

  constructor(private readonly coordinator: GroupCoordinator) {}

  commitTxnOffsets(request: TxnOffsetCommitRequest): TxnOffsetCommitResponse {
    const c = this.coordinator
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
    if (err !== ErrorCode.NONE) return respond(() => err)
    const now = c.now()
    const byGroup = this.pendingFor(request.producerId, request.groupId)
    return respond((topic, partition) => {
      const t = request.topics.find((x) => x.name === topic)
      const p = t?.partitions.find((x) => x.partitionIndex === partition)
      if (p === undefined) return ErrorCode.NONE
      const metadata = p.committedMetadata ?? ''
      if (metadata.length > c.config.maxMetadataSize) return ErrorCode.OFFSET_METADATA_TOO_LARGE
      byGroup.set(`${topic}\u0000${partition}`, {
        topic,
        partition,
        value: {
          offset: p.committedOffset,
          leaderEpoch: p.committedLeaderEpoch ?? -1,
          metadata,
          commitTimestamp: now,
          expireTimestamp: null
        }
      })
      return ErrorCode.NONE
    })
  }

  /** Kafka's doTxnCommitOffsets checks: a known member of the current generation, if one is named. */
  private validateMember(request: TxnOffsetCommitRequest): number {
    const c = this.coordinator
    const generation = request.generationId ?? -1
    const memberId = request.memberId ?? ''
    const instanceId = request.groupInstanceId ?? null
    let group = c.group(request.groupId)
    if (group === undefined && c.consumerGroups.group(request.groupId) === undefined) {
      if (generation >= 0) return ErrorCode.ILLEGAL_GENERATION
      group = c.manager.createGroup(request.groupId)
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

  private pendingFor(producerId: bigint, groupId: string): Map<string, PendingOffset> {
    let groups = this.pending.get(producerId)
    if (groups === undefined) {
      groups = new Map()
      this.pending.set(producerId, groups)
    }
    let offsets = groups.get(groupId)
    if (offsets === undefined) {
      offsets = new Map()
      groups.set(groupId, offsets)
    }
    return offsets
  }

  hasPendingOffset(groupId: string, topic: string, partition: number): boolean {
    const key = `${topic}\u0000${partition}`
    for (const groups of this.pending.values()) if (groups.get(groupId)?.has(key)) return true
    return false
  }

  /**
   * The transaction's marker reached `__consumer_offsets` partition `offsetsPartition`: commit or drop the
   * producer's pending offsets of the groups on that partition. Rejects if the commit cannot be persisted;
   * the offsets then stay pending so the retried marker can commit them.
   */
  async completeTransaction(producerId: bigint, offsetsPartition: number, commit: boolean): Promise<void> {
    const c = this.coordinator
    const groups = this.pending.get(producerId)
    if (groups === undefined) return
    for (const [groupId, offsets] of [...groups]) {
      if (c.manager.partitionFor(groupId) !== offsetsPartition) continue
      if (commit && offsets.size > 0) {
        const list = [...offsets.values()]
        await c.manager.storeOffsets(groupId, list)
        const group = c.group(groupId) ?? c.manager.createGroup(groupId)
        if (!group.is('Dead')) for (const o of list) group.setOffset(o.topic, o.partition, o.value)
      }
      groups.delete(groupId)
    }
    if (groups.size === 0) this.pending.delete(producerId)
  }
}
