/**
 * The offset APIs of the classic group coordinator: OffsetCommit (member and generation checks, simple
 * commits with generation -1, v2-v4 retention), OffsetFetch (single and batched groups) and OffsetDelete.
 * Offsets become visible only after their records are appended, as in Kafka.
 *
 * Event loop: validation and in-memory updates are synchronous; only the GroupStore append is awaited.
 */

import { ErrorCode, errorCodeOf, KafkaError } from '../../protocol/error-codes.js'
import type { OffsetCommitRequest, OffsetCommitResponse } from '../../protocol/messages/offset-commit.js'
import type { ConsumerGroup } from './consumer/consumer-group.js'
import type { GroupCoordinatorConfig } from './group-coordinator-config.js'
import type { GroupMetadata, OffsetAndMetadata } from './group-metadata.js'

export type TopicPartitionValidator = (topic: string, partition: number) => boolean

/** What the offset APIs need from the groups, their `__consumer_offsets` records and the other protocols. */
export interface OffsetHost {
  readonly config: GroupCoordinatorConfig
  now(): number
  groupError(groupId: string | null | undefined, allowEmptyId: boolean): number
  group(groupId: string): GroupMetadata | undefined
  createGroup(groupId: string): GroupMetadata
  storeOffsets(
    groupId: string,
    offsets: readonly { topic: string; partition: number; value: OffsetAndMetadata }[]
  ): Promise<void>
  appendTombstones(
    groupId: string,
    offsets: readonly { topic: string; partition: number }[],
    includeGroup: boolean
  ): Promise<void>
  /** The live KIP-848 group of this id, whose member epochs the offset APIs check instead. */
  consumerGroup(groupId: string): ConsumerGroup | undefined
  /** Throws the KafkaError the offset request of this member of a KIP-848 group must fail with. */
  validateConsumerGroupOffsetRequest(
    group: ConsumerGroup,
    memberId: string,
    memberEpoch: number,
    isCommit: boolean
  ): void
  /** Whether a transactional offset of this partition waits for its transaction's marker (KIP-447). */
  hasPendingTxnOffset(groupId: string, topic: string, partition: number): boolean
}

export interface FetchedPartition {
  partitionIndex: number
  committedOffset: bigint
  committedLeaderEpoch: number
  metadata: string | null
  errorCode: number
}

export interface FetchedTopic {
  name: string
  partitions: FetchedPartition[]
}

export interface OffsetFetchResult {
  errorCode: number
  topics: FetchedTopic[]
}

export interface OffsetDeleteResult {
  errorCode: number
  topics: { name: string; partitions: { partitionIndex: number; errorCode: number }[] }[]
}

/** OffsetCommit v1 carries a per-partition commit timestamp; v2-v4 a retention time for the whole request. */
const COMMIT_TIMESTAMP_VERSION = 1
const FIRST_RETENTION_VERSION = 2
const LAST_RETENTION_VERSION = 4

export class OffsetCoordinator {
  constructor(
    private readonly host: OffsetHost,
    private readonly isValidTopicPartition: TopicPartitionValidator | undefined
  ) {}

  async commitOffsets(request: OffsetCommitRequest, apiVersion: number): Promise<OffsetCommitResponse> {
    const c = this.host
    const codes = request.topics.map((t) => t.partitions.map(() => ErrorCode.NONE as number))
    const respond = (): OffsetCommitResponse => ({
      topics: request.topics.map((t, ti) => ({
        name: t.name,
        partitions: t.partitions.map((p, pi) => ({
          partitionIndex: p.partitionIndex,
          errorCode: codes[ti]?.[pi] ?? 0
        }))
      }))
    })
    const failAll = (code: number): OffsetCommitResponse => {
      for (const row of codes) row.fill(code)
      return respond()
    }
    const err = c.groupError(request.groupId, true)
    if (err !== ErrorCode.NONE) return failAll(err)
    const generation = request.generationIdOrMemberEpoch ?? -1
    const consumerGroup = c.consumerGroup(request.groupId)
    let group = c.group(request.groupId)
    if (consumerGroup !== undefined) {
      // A KIP-848 group checks member epochs; its offsets are kept by a member-less classic group record.
      try {
        c.validateConsumerGroupOffsetRequest(consumerGroup, request.memberId ?? '', generation, true)
      } catch (e) {
        return failAll(errorCodeOf(e))
      }
      group ??= c.createGroup(request.groupId)
    } else if (group === undefined) {
      // A commit from outside group management (generation -1) creates a "simple" group; anything else is
      // from a generation that no longer exists.
      if (generation >= 0) return failAll(ErrorCode.ILLEGAL_GENERATION)
      group = c.createGroup(request.groupId)
    }
    if (consumerGroup === undefined)
      try {
        validateOffsetCommit(group, generation, request.memberId ?? '', request.groupInstanceId ?? null)
      } catch (e) {
        return failAll(errorCodeOf(e))
      }

    const now = c.now()
    const retention = request.retentionTimeMs
    const expireTimestamp =
      apiVersion >= FIRST_RETENTION_VERSION &&
      apiVersion <= LAST_RETENTION_VERSION &&
      retention !== undefined &&
      retention !== -1n
        ? now + Number(retention)
        : null
    const accepted: { topic: string; partition: number; value: OffsetAndMetadata; ti: number; pi: number }[] =
      []
    request.topics.forEach((t, ti) => {
      t.partitions.forEach((p, pi) => {
        const metadata = p.committedMetadata ?? ''
        let code: number = ErrorCode.NONE
        // Unknown partitions are rejected before anything else, as Kafka's request handler does.
        if (this.isValidTopicPartition && !this.isValidTopicPartition(t.name, p.partitionIndex)) {
          code = ErrorCode.UNKNOWN_TOPIC_OR_PARTITION
        } else if (metadata.length > c.config.maxMetadataSize) code = ErrorCode.OFFSET_METADATA_TOO_LARGE
        const row = codes[ti]
        if (row) row[pi] = code
        if (code !== ErrorCode.NONE) return
        const explicitTs = apiVersion === COMMIT_TIMESTAMP_VERSION ? p.commitTimestamp : undefined
        accepted.push({
          topic: t.name,
          partition: p.partitionIndex,
          ti,
          pi,
          value: {
            offset: p.committedOffset,
            leaderEpoch: p.committedLeaderEpoch ?? -1,
            metadata,
            commitTimestamp: explicitTs !== undefined && explicitTs !== -1n ? Number(explicitTs) : now,
            expireTimestamp
          }
        })
      })
    })
    if (accepted.length === 0) return respond()
    try {
      await c.storeOffsets(request.groupId, accepted)
    } catch (e) {
      const code = errorCodeOf(e)
      for (const a of accepted) {
        const row = codes[a.ti]
        if (row) row[a.pi] = code
      }
      return respond()
    }
    // The group may have been deleted while the append was in flight; its offsets must not come back.
    if (!group.is('Dead')) for (const a of accepted) group.setOffset(a.topic, a.partition, a.value)
    return respond()
  }

  /**
   * `topics === null` asks for every committed offset of the group. `requireStable` (KIP-447) reports
   * UNSTABLE_OFFSET_COMMIT for partitions with pending transactional offsets.
   */
  fetchOffsets(
    groupId: string,
    topics: readonly { name: string; partitionIndexes: readonly number[] }[] | null,
    requireStable = false,
    member?: { memberId: string; memberEpoch: number }
  ): OffsetFetchResult {
    const c = this.host
    const err = c.groupError(groupId, true)
    if (err !== ErrorCode.NONE) return { errorCode: err, topics: [] }
    const consumerGroup = c.consumerGroup(groupId)
    if (consumerGroup !== undefined && member !== undefined) {
      try {
        c.validateConsumerGroupOffsetRequest(consumerGroup, member.memberId, member.memberEpoch, false)
      } catch (e) {
        return { errorCode: errorCodeOf(e), topics: [] }
      }
    }
    const group = c.group(groupId)
    const entry = (partitionIndex: number, o: OffsetAndMetadata | undefined): FetchedPartition =>
      o === undefined
        ? {
            partitionIndex,
            committedOffset: -1n,
            committedLeaderEpoch: -1,
            metadata: '',
            errorCode: ErrorCode.NONE
          }
        : {
            partitionIndex,
            committedOffset: o.offset,
            committedLeaderEpoch: o.leaderEpoch,
            metadata: o.metadata,
            errorCode: ErrorCode.NONE
          }
    if (topics === null) {
      if (group === undefined) return { errorCode: ErrorCode.NONE, topics: [] }
      return {
        errorCode: ErrorCode.NONE,
        topics: [...group.offsets].map(([name, byPartition]) => ({
          name,
          partitions: [...byPartition].map(([p, o]) => entry(p, o))
        }))
      }
    }
    return {
      errorCode: ErrorCode.NONE,
      topics: topics.map((t) => ({
        name: t.name,
        partitions: t.partitionIndexes.map((p) =>
          requireStable && c.hasPendingTxnOffset(groupId, t.name, p)
            ? { ...entry(p, undefined), errorCode: ErrorCode.UNSTABLE_OFFSET_COMMIT }
            : entry(p, group?.offset(t.name, p))
        )
      }))
    }
  }

  async deleteOffsets(
    groupId: string,
    topics: readonly { name: string; partitions: readonly { partitionIndex: number }[] }[]
  ): Promise<OffsetDeleteResult> {
    const c = this.host
    const groupLevel = (errorCode: number): OffsetDeleteResult => ({ errorCode, topics: [] })
    const err = c.groupError(groupId, false)
    if (err !== ErrorCode.NONE) return groupLevel(err)
    const group = c.group(groupId)
    if (group === undefined || group.is('Dead')) return groupLevel(ErrorCode.GROUP_ID_NOT_FOUND)
    let subscribed: Set<string> | null = null
    if (!group.is('Empty')) {
      if (group.protocolType !== 'consumer') return groupLevel(ErrorCode.NON_EMPTY_GROUP)
      subscribed = group.subscribedTopics()
    }
    const deletable: { topic: string; partition: number }[] = []
    const result: OffsetDeleteResult = {
      errorCode: ErrorCode.NONE,
      topics: topics.map((t) => ({
        name: t.name,
        partitions: t.partitions.map(({ partitionIndex }) => {
          // An active consumer group still reads the topics it subscribes to, so their offsets stay.
          if (subscribed?.has(t.name))
            return { partitionIndex, errorCode: ErrorCode.GROUP_SUBSCRIBED_TO_TOPIC }
          if (group.offset(t.name, partitionIndex) !== undefined)
            deletable.push({ topic: t.name, partition: partitionIndex })
          return { partitionIndex, errorCode: ErrorCode.NONE }
        })
      }))
    }
    if (deletable.length === 0) return result
    try {
      await c.appendTombstones(groupId, deletable, false)
    } catch (e) {
      return groupLevel(errorCodeOf(e))
    }
    for (const { topic, partition } of deletable) group.removeOffset(topic, partition)
    return result
  }
}

/** Kafka's ClassicGroup.validateOffsetCommit. */
function validateOffsetCommit(
  group: GroupMetadata,
  generation: number,
  memberId: string,
  instanceId: string | null
): void {
  if (group.is('Dead')) throw new KafkaError(ErrorCode.COORDINATOR_NOT_AVAILABLE)
  // Admin tools and simple consumers commit to an Empty group without being members.
  if (generation < 0 && group.is('Empty')) return
  if (generation >= 0 || memberId !== '' || instanceId !== null) {
    group.validateMember(memberId, instanceId)
    if (generation !== group.generationId) throw new KafkaError(ErrorCode.ILLEGAL_GENERATION)
  } else {
    // A non-member committing into a group that is actively managed would race with its members.
    throw new KafkaError(ErrorCode.UNKNOWN_MEMBER_ID)
  }
  // The member got its JoinGroup reply but not yet its assignment; it should not know what to commit.
  if (group.is('CompletingRebalance')) throw new KafkaError(ErrorCode.REBALANCE_IN_PROGRESS)
}
