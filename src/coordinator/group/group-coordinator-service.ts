/**
 * The group coordinator's composition root: it builds the parts (the loaded groups and their records in
 * GroupMetadataManager, the classic protocol, the offset APIs, transactional offsets, the admin APIs and the
 * KIP-848 consumer protocol), hands each one the narrow host interface it declares, and runs what concerns
 * them all: startup, shutdown, loading and unloading `__consumer_offsets` partitions, offset expiry.
 * Handlers are given the part they serve; no part knows this class or another part's class.
 *
 * Event loop: as for the parts, state changes are synchronous and only store I/O is awaited.
 */

import { ErrorCode } from '../../protocol/error-codes.js'
import { ClassicGroupCoordinator } from './classic-group-coordinator.js'
import { type ConsumerGroupConfig, DEFAULT_CONSUMER_GROUP_CONFIG } from './consumer/consumer-group-config.js'
import { ConsumerGroupCoordinator } from './consumer/consumer-group-coordinator.js'
import { NO_TOPICS, type TopicLookup } from './consumer/topic-lookup.js'
import { type CoordinatorTime, KeyedTimer, SYSTEM_TIME } from './coordinator-time.js'
import { GroupAdmin } from './group-admin.js'
import { DEFAULT_GROUP_COORDINATOR_CONFIG, type GroupCoordinatorConfig } from './group-coordinator-config.js'
import { GroupMetadataManager } from './group-metadata-manager.js'
import type { GroupStore } from './group-store.js'
import { OffsetCoordinator, type TopicPartitionValidator } from './offset-coordinator.js'
import { TxnOffsetCoordinator } from './txn-offset-coordinator.js'

export interface GroupCoordinatorOptions {
  readonly config?: Partial<GroupCoordinatorConfig>
  readonly time?: CoordinatorTime
  /** Rejects commits for partitions that do not exist (UNKNOWN_TOPIC_OR_PARTITION); accepts all if absent. */
  readonly isValidTopicPartition?: TopicPartitionValidator
  /** KIP-848 consumer groups: their settings and the cluster's topics (none if absent). */
  readonly consumerGroupConfig?: Partial<ConsumerGroupConfig>
  readonly topics?: TopicLookup
}

export class GroupCoordinatorService {
  /** Shared with the parts; the runtime updates offsetsTopicPartitions when the topic's size is known. */
  readonly config: GroupCoordinatorConfig
  readonly manager: GroupMetadataManager
  /** JoinGroup, SyncGroup, Heartbeat, LeaveGroup. */
  readonly classic: ClassicGroupCoordinator
  /** OffsetCommit, OffsetFetch, OffsetDelete. */
  readonly offsets: OffsetCoordinator
  /** TxnOffsetCommit: offsets committed inside transactions, pending until the transaction's marker. */
  readonly txnOffsets: TxnOffsetCoordinator
  /** ListGroups, DescribeGroups, DeleteGroups. */
  readonly admin: GroupAdmin
  /** KIP-848 groups: ConsumerGroupHeartbeat, ConsumerGroupDescribe. */
  readonly consumerGroups: ConsumerGroupCoordinator
  private readonly timer: KeyedTimer
  private active = false

  constructor(store: GroupStore, options: GroupCoordinatorOptions = {}) {
    this.config = { ...DEFAULT_GROUP_COORDINATOR_CONFIG, ...options.config }
    const time = options.time ?? SYSTEM_TIME
    this.timer = new KeyedTimer(time)
    const manager = new GroupMetadataManager(
      store,
      this.config,
      () => time.now(),
      (partition, record) => this.consumerGroups.replay(partition, record)
    )
    this.manager = manager
    const groupError = (groupId: string | null | undefined, allowEmptyId: boolean) =>
      this.groupError(groupId, allowEmptyId)
    const groups = {
      group: (groupId: string) => manager.group(groupId),
      createGroup: (groupId: string) => manager.createGroup(groupId)
    }
    const consumerGroup = (groupId: string) => this.consumerGroups.group(groupId)
    const isConsumerGroup = (groupId: string) => consumerGroup(groupId) !== undefined

    this.classic = new ClassicGroupCoordinator(
      {
        groupError,
        ...groups,
        storeGroup: (group, assignment) => manager.storeGroup(group, assignment),
        isConsumerGroup
      },
      this.config,
      time,
      this.timer
    )
    this.offsets = new OffsetCoordinator(
      {
        config: this.config,
        now: () => time.now(),
        groupError,
        ...groups,
        storeOffsets: (groupId, offsets) => manager.storeOffsets(groupId, offsets),
        appendTombstones: (groupId, offsets, includeGroup) =>
          manager.appendTombstones(groupId, offsets, includeGroup),
        consumerGroup,
        validateConsumerGroupOffsetRequest: (group, memberId, memberEpoch, isCommit) =>
          this.consumerGroups.validateOffsetRequest(group, memberId, memberEpoch, isCommit),
        hasPendingTxnOffset: (groupId, topic, partition) =>
          this.txnOffsets.hasPendingOffset(groupId, topic, partition)
      },
      options.isValidTopicPartition
    )
    this.txnOffsets = new TxnOffsetCoordinator({
      config: this.config,
      now: () => time.now(),
      groupError,
      ...groups,
      isConsumerGroup,
      storeOffsets: (groupId, offsets, txn) => manager.storeOffsets(groupId, offsets, txn),
      partitionFor: (groupId) => manager.partitionFor(groupId),
      isOwned: (partition) => manager.isOwned(partition),
      whenLoaded: (partition) => manager.whenLoaded(partition)
    })
    this.admin = new GroupAdmin({
      isActive: () => this.active,
      groupError,
      group: groups.group,
      ownedGroups: () => manager.ownedGroups(),
      isLoading: () => manager.isLoading(),
      markDead: (group) => this.classic.markDead(group),
      forgetGroup: (groupId) => manager.groups.delete(groupId),
      appendTombstones: (groupId, offsets, includeGroup) =>
        manager.appendTombstones(groupId, offsets, includeGroup),
      consumerGroup,
      consumerGroups: () => this.consumerGroups.groups.values(),
      deleteConsumerGroup: (group) => this.consumerGroups.deleteGroup(group)
    })
    this.consumerGroups = new ConsumerGroupCoordinator(
      {
        groupError,
        hasActiveClassicGroup: (groupId) => {
          const g = manager.group(groupId)
          return g !== undefined && !g.is('Empty') && !g.is('Dead')
        },
        append: (groupId, records) => manager.appendOrThrow(groupId, records, false),
        partitionFor: (groupId) => manager.partitionFor(groupId)
      },
      { ...DEFAULT_CONSUMER_GROUP_CONFIG, ...options.consumerGroupConfig },
      options.topics ?? NO_TOPICS,
      time
    )
  }

  get isActive(): boolean {
    return this.active
  }

  /** Starts serving (partitions still have to be loaded) and the periodic offset expiry. */
  startup(): void {
    this.active = true
    this.scheduleOffsetCleanup()
  }

  /** Stops serving: parked calls are told to find the coordinator again, and every timer is cancelled. */
  shutdown(): void {
    this.active = false
    for (const g of this.manager.groups.values()) this.classic.failParked(g, ErrorCode.NOT_COORDINATOR)
    this.timer.cancelAll()
    this.consumerGroups.shutdown()
  }

  /** This broker became leader of a `__consumer_offsets` partition: load its groups and arm their sessions. */
  async onElection(partition: number): Promise<void> {
    const { groups: loaded, pendingTxnOffsets } = await this.manager.loadPartition(partition)
    if (!this.manager.isOwned(partition)) {
      // Resigned while loading: drop the consumer groups the load staged after the resignation cleared them.
      this.consumerGroups.onUnloaded(partition)
      return
    }
    this.txnOffsets.onLoaded(pendingTxnOffsets)
    this.consumerGroups.onLoaded(partition)
    for (const group of loaded) this.classic.onLoaded(group)
  }

  /** This broker lost the partition: forget its groups and answer their parked calls with NOT_COORDINATOR. */
  onResignation(partition: number): void {
    this.consumerGroups.onUnloaded(partition)
    this.txnOffsets.onUnloaded(partition)
    for (const group of this.manager.unloadPartition(partition)) this.classic.onUnloaded(group)
  }

  /** Periodic expiry; exposed so a test or an admin path can run it on demand. */
  cleanupExpiredOffsets(): Promise<number> {
    return this.manager.cleanupExpiredOffsets()
  }

  private scheduleOffsetCleanup(): void {
    this.timer.schedule('cleanup', this.config.offsetsRetentionCheckIntervalMs, () => {
      void this.cleanupExpiredOffsets().finally(() => {
        if (this.active) this.scheduleOffsetCleanup()
      })
    })
  }

  /**
   * Group-level checks every API starts with. `allowEmptyId` is Kafka's exception for the offset APIs and
   * DescribeGroups/DeleteGroups, which accept the empty group id for backwards compatibility.
   */
  groupError(groupId: string | null | undefined, allowEmptyId: boolean): number {
    if (groupId == null || (!allowEmptyId && groupId === '')) return ErrorCode.INVALID_GROUP_ID
    if (!this.active) return ErrorCode.COORDINATOR_NOT_AVAILABLE
    return this.manager.coordinatorError(groupId)
  }

  /** For tests and diagnostics: how many coordinator timers (sessions, rebalances, expiry) are pending. */
  get pendingTimers(): number {
    return this.timer.size
  }
}
