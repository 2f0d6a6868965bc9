/**
 * Kafka's GroupMetadataManager: owns the groups of the `__consumer_offsets` partitions this broker leads,
 * loads them from the GroupStore on election, writes their records, and expires old offsets.
 * It decides nothing about the membership protocol (ClassicGroupCoordinator, ConsumerGroupCoordinator) and
 * knows none of the parts that use it: GroupCoordinatorService hands each part what it needs of this one.
 *
 * Event loop: all state is mutated synchronously; only store I/O is awaited. A partition is served only
 * once its load has completed, so requests never observe half-replayed state.
 */

import { ErrorCode, errorCodeOf, KafkaError } from '../../protocol/error-codes.js'
import {
  decodeCoordinatorKey,
  decodeGroupMetadataValue,
  decodeOffsetCommitValue,
  encodeGroupMetadataKey,
  encodeGroupMetadataValue,
  encodeOffsetCommitKey,
  encodeOffsetCommitValue
} from './coordinator-records.js'
import type { GroupCoordinatorConfig } from './group-coordinator-config.js'
import { GroupMetadata, type OffsetAndMetadata } from './group-metadata.js'
import { partitionFor } from './group-partition.js'
import type { CoordinatorRecord, CoordinatorTxnMarker, GroupStore, TxnProducer } from './group-store.js'
import { MemberMetadata } from './member-metadata.js'
import { type PendingTxnOffsets, pendingOffsetsOf } from './pending-txn-offsets.js'

type PartitionStatus = 'loading' | 'active'

/** Called for each record of a loading partition that is not a classic group or offset record. */
export type ForeignRecordReplayer = (partition: number, record: CoordinatorRecord) => void

export interface LoadedPartition {
  groups: GroupMetadata[]
  /** Transactional offsets whose marker the log does not hold yet (Kafka's pendingTransactionalOffsetCommits). */
  pendingTxnOffsets: PendingTxnOffsets
}

export class GroupMetadataManager {
  readonly groups = new Map<string, GroupMetadata>()
  private readonly partitions = new Map<number, PartitionStatus>()
  private readonly loads = new Map<number, Promise<unknown>>()

  /** `foreignRecordReplayer` gets the records this manager does not own (KIP-848 groups) while loading. */
  constructor(
    private readonly store: GroupStore,
    private readonly config: GroupCoordinatorConfig,
    private readonly now: () => number,
    private readonly foreignRecordReplayer: ForeignRecordReplayer | null = null
  ) {}

  partitionFor(groupId: string): number {
    return partitionFor(groupId, this.config.offsetsTopicPartitions)
  }

  /** NOT_COORDINATOR or COORDINATOR_LOAD_IN_PROGRESS when this broker cannot serve the group right now. */
  coordinatorError(groupId: string): number {
    const status = this.partitions.get(this.partitionFor(groupId))
    if (status === undefined) return ErrorCode.NOT_COORDINATOR
    if (status === 'loading') return ErrorCode.COORDINATOR_LOAD_IN_PROGRESS
    return ErrorCode.NONE
  }

  isLoading(): boolean {
    for (const s of this.partitions.values()) if (s === 'loading') return true
    return false
  }

  isOwned(partition: number): boolean {
    return this.partitions.get(partition) === 'active'
  }

  ownedGroups(): GroupMetadata[] {
    return [...this.groups.values()].filter((g) => this.isOwned(this.partitionFor(g.groupId)))
  }

  group(groupId: string): GroupMetadata | undefined {
    return this.groups.get(groupId)
  }

  /** A new, Empty group; the caller has checked that this broker coordinates it. */
  createGroup(groupId: string): GroupMetadata {
    const group = new GroupMetadata(groupId, 'Empty', this.now())
    this.groups.set(groupId, group)
    return group
  }

  /** Resolves once a load of the partition under way (if any) has finished, whatever its outcome. */
  async whenLoaded(partition: number): Promise<void> {
    await this.loads.get(partition)?.catch(() => undefined)
  }

  /**
   * Replays the partition's records; returns the groups it loaded so the coordinator can arm their timers,
   * and the transactional offsets still waiting for their transaction's marker.
   */
  async loadPartition(partition: number): Promise<LoadedPartition> {
    const none: LoadedPartition = { groups: [], pendingTxnOffsets: new Map() }
    if (this.partitions.has(partition)) return none
    this.partitions.set(partition, 'loading')
    const loaded = new Map<string, GroupMetadata>()
    const pending: PendingTxnOffsets = new Map()
    const load = (async () => {
      for await (const entry of this.store.load(partition)) {
        if (entry.key === null) this.replayTxnMarker(entry, pending, loaded)
        else if (entry.producerId !== undefined && this.replayTxnOffset(entry, entry.producerId, pending))
          continue
        else if (!this.replay(entry, loaded)) this.foreignRecordReplayer?.(partition, entry)
      }
    })()
    this.loads.set(partition, load)
    try {
      await load
    } catch (err) {
      this.partitions.delete(partition)
      throw err
    } finally {
      this.loads.delete(partition)
    }
    // A load races with an unload: only publish if the partition is still ours.
    if (this.partitions.get(partition) !== 'loading') return none
    for (const [id, g] of loaded) this.groups.set(id, g)
    this.partitions.set(partition, 'active')
    return { groups: [...loaded.values()], pendingTxnOffsets: pending }
  }

  /** An offset commit record of a transactional batch: pending until the producer's marker. */
  private replayTxnOffset(
    record: CoordinatorRecord,
    producerId: bigint,
    pending: PendingTxnOffsets
  ): boolean {
    const key = decodeCoordinatorKey(record.key)
    if (key?.type !== 'offset' || record.value === null) return false
    const v = decodeOffsetCommitValue(record.value)
    pendingOffsetsOf(pending, producerId, key.group).set(`${key.topic}\u0000${key.partition}`, {
      topic: key.topic,
      partition: key.partition,
      value: {
        offset: v.offset,
        leaderEpoch: v.leaderEpoch,
        metadata: v.metadata,
        commitTimestamp: Number(v.commitTimestamp),
        expireTimestamp: v.expireTimestamp >= 0n ? Number(v.expireTimestamp) : null
      }
    })
    return true
  }

  /** COMMIT makes the producer's pending offsets the groups' committed offsets; ABORT drops them. */
  private replayTxnMarker(
    marker: CoordinatorTxnMarker,
    pending: PendingTxnOffsets,
    loaded: Map<string, GroupMetadata>
  ): void {
    const groups = pending.get(marker.producerId)
    if (groups === undefined) return
    pending.delete(marker.producerId)
    if (!marker.commit) return
    for (const [groupId, offsets] of groups) {
      let g = loaded.get(groupId)
      if (g === undefined) {
        g = new GroupMetadata(groupId, 'Empty', null)
        loaded.set(groupId, g)
      }
      for (const o of offsets.values()) g.setOffset(o.topic, o.partition, o.value)
    }
  }

  /** Forgets the partition's groups; returns them so the coordinator can cancel timers and fail parked calls. */
  unloadPartition(partition: number): GroupMetadata[] {
    this.partitions.delete(partition)
    const removed: GroupMetadata[] = []
    for (const [id, g] of this.groups) {
      if (this.partitionFor(id) === partition) {
        removed.push(g)
        this.groups.delete(id)
      }
    }
    return removed
  }

  /** False for a record of a type this manager does not own. */
  private replay(record: CoordinatorRecord, loaded: Map<string, GroupMetadata>): boolean {
    const key = decodeCoordinatorKey(record.key)
    if (key === null) return false
    const getOrCreate = (): GroupMetadata => {
      let g = loaded.get(key.group)
      if (g === undefined) {
        g = new GroupMetadata(key.group, 'Empty', null)
        loaded.set(key.group, g)
      }
      return g
    }
    if (key.type === 'offset') {
      if (record.value === null) {
        const g = loaded.get(key.group)
        g?.removeOffset(key.topic, key.partition)
        return true
      }
      const v = decodeOffsetCommitValue(record.value)
      getOrCreate().setOffset(key.topic, key.partition, {
        offset: v.offset,
        leaderEpoch: v.leaderEpoch,
        metadata: v.metadata,
        commitTimestamp: Number(v.commitTimestamp),
        expireTimestamp: v.expireTimestamp >= 0n ? Number(v.expireTimestamp) : null
      })
      return true
    }
    if (record.value === null) {
      loaded.delete(key.group)
      return true
    }
    const v = decodeGroupMetadataValue(record.value)
    const previous = loaded.get(key.group)
    const stateTs = v.currentStateTimestamp >= 0n ? Number(v.currentStateTimestamp) : null
    const g = new GroupMetadata(key.group, v.members.length > 0 ? 'Stable' : 'Empty', stateTs)
    g.generationId = v.generation
    g.protocolType = v.protocolType === '' ? null : v.protocolType
    g.protocolName = v.protocol
    for (const m of v.members) {
      const member = new MemberMetadata(
        m.memberId,
        m.groupInstanceId,
        m.clientId,
        m.clientHost,
        m.rebalanceTimeout === -1 ? m.sessionTimeout : m.rebalanceTimeout,
        m.sessionTimeout,
        v.protocolType,
        [{ name: v.protocol ?? '', metadata: m.subscription }]
      )
      member.assignment = m.assignment
      g.add(member)
    }
    g.leaderId = v.leader
    // Offsets are keyed separately from the group record, so a new group record keeps them.
    if (previous !== undefined) for (const [t, ps] of previous.offsets) g.offsets.set(t, ps)
    loaded.set(key.group, g)
    return true
  }

  groupRecord(group: GroupMetadata, assignment?: ReadonlyMap<string, Buffer>): CoordinatorRecord {
    const protocol = group.protocolName
    return {
      key: encodeGroupMetadataKey(group.groupId),
      value: encodeGroupMetadataValue({
        protocolType: group.protocolType ?? '',
        generation: group.generationId,
        protocol,
        leader: group.leaderId,
        currentStateTimestamp: BigInt(group.stateTimestamp ?? -1),
        members:
          protocol === null
            ? []
            : [...group.members.values()].map((m) => ({
                memberId: m.memberId,
                groupInstanceId: m.groupInstanceId,
                clientId: m.clientId,
                clientHost: m.clientHost,
                rebalanceTimeout: m.rebalanceTimeoutMs,
                sessionTimeout: m.sessionTimeoutMs,
                subscription: m.metadataFor(protocol),
                assignment: assignment?.get(m.memberId) ?? m.assignment
              }))
      })
    }
  }

  /** Persists the group's metadata; rejects with the error code Kafka reports for a failed group write. */
  async storeGroup(group: GroupMetadata, assignment?: ReadonlyMap<string, Buffer>): Promise<void> {
    await this.appendOrThrow(group.groupId, [this.groupRecord(group, assignment)], false)
  }

  /** With `txn`, the offsets are written as the producer's transactional batch (TxnOffsetCommit). */
  async storeOffsets(
    groupId: string,
    offsets: readonly { topic: string; partition: number; value: OffsetAndMetadata }[],
    txn?: TxnProducer
  ): Promise<void> {
    const records = offsets.map(({ topic, partition, value }) => ({
      key: encodeOffsetCommitKey(groupId, topic, partition),
      value: encodeOffsetCommitValue({
        offset: value.offset,
        leaderEpoch: value.leaderEpoch,
        metadata: value.metadata,
        commitTimestamp: BigInt(value.commitTimestamp),
        expireTimestamp: BigInt(value.expireTimestamp ?? -1)
      })
    }))
    await this.appendOrThrow(groupId, records, true, txn)
  }

  async appendTombstones(
    groupId: string,
    offsets: readonly { topic: string; partition: number }[],
    includeGroup: boolean
  ): Promise<void> {
    const records: CoordinatorRecord[] = offsets.map(({ topic, partition }) => ({
      key: encodeOffsetCommitKey(groupId, topic, partition),
      value: null
    }))
    if (includeGroup) records.push({ key: encodeGroupMetadataKey(groupId), value: null })
    if (records.length > 0) await this.appendOrThrow(groupId, records, false)
  }

  async appendOrThrow(groupId: string, records: CoordinatorRecord[], forOffsets: boolean, txn?: TxnProducer) {
    try {
      await this.store.append(this.partitionFor(groupId), records, txn)
    } catch (err) {
      throw new KafkaError(mapAppendError(errorCodeOf(err), forOffsets), undefined, { cause: err })
    }
  }

  /**
   * Kafka's offset expiry (KIP-211): an Empty group's offsets expire retention after the group became
   * Empty; a simple (protocol-less) group's after each commit; a consumer group's offsets of topics it no
   * longer subscribes to after each commit. An Empty group left with no offsets dies and is tombstoned.
   */
  async cleanupExpiredOffsets(): Promise<number> {
    const now = this.now()
    let removedCount = 0
    for (const group of this.ownedGroups()) {
      const expired = this.expiredOffsets(group, now)
      for (const { topic, partition } of expired) group.removeOffset(topic, partition)
      removedCount += expired.length
      const dies = group.is('Empty') && !group.hasOffsets
      if (dies) {
        group.transitionTo('Dead', now)
        this.groups.delete(group.groupId)
      }
      if (expired.length > 0 || dies) {
        // Best effort, like Kafka: a failed tombstone write is retried by the next cleanup after a reload.
        await this.appendTombstones(group.groupId, expired, dies).catch(() => undefined)
      }
    }
    return removedCount
  }

  private expiredOffsets(group: GroupMetadata, now: number): { topic: string; partition: number }[] {
    const retention = this.config.offsetsRetentionMs
    let baseOf: ((o: OffsetAndMetadata) => number) | null = null
    let eligible: (topic: string) => boolean = () => true
    if (group.protocolType === null) {
      baseOf = (o) => o.commitTimestamp
    } else if (group.is('Empty')) {
      baseOf = (o) => group.stateTimestamp ?? o.commitTimestamp
    } else {
      const subscribed = group.subscribedTopics()
      if (subscribed !== null && group.is('Stable')) {
        baseOf = (o) => o.commitTimestamp
        eligible = (topic) => !subscribed.has(topic)
      }
    }
    const out: { topic: string; partition: number }[] = []
    if (baseOf === null) return out
    for (const [topic, byPartition] of group.offsets) {
      if (!eligible(topic)) continue
      for (const [partition, o] of byPartition) {
        const expired = o.expireTimestamp !== null ? now >= o.expireTimestamp : now - baseOf(o) >= retention
        if (expired) out.push({ topic, partition })
      }
    }
    return out
  }
}

/** Kafka's translation of a log append failure into what a group or offset API should report. */
export function mapAppendError(code: number, forOffsets: boolean): number {
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
    case ErrorCode.INVALID_FETCH_SIZE:
      return forOffsets ? ErrorCode.INVALID_COMMIT_OFFSET_SIZE : ErrorCode.UNKNOWN_SERVER_ERROR
    default:
      return code
  }
}
