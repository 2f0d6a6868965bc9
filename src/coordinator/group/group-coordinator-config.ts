/** The broker settings the group coordinator obeys, with Kafka's names and defaults. */

import type { KafkaConfig } from '../../config/kafka-config.js'

export interface GroupCoordinatorConfig {
  /** offsets.topic.num.partitions */
  offsetsTopicPartitions: number
  /** group.initial.rebalance.delay.ms */
  initialRebalanceDelayMs: number
  /** group.min.session.timeout.ms / group.max.session.timeout.ms */
  minSessionTimeoutMs: number
  maxSessionTimeoutMs: number
  /** group.max.size */
  maxGroupSize: number
  /** offsets.retention.minutes, in ms */
  offsetsRetentionMs: number
  /** offsets.retention.check.interval.ms */
  offsetsRetentionCheckIntervalMs: number
  /** offset.metadata.max.bytes (not a Samsa broker key yet, so Kafka's default unless overridden) */
  maxMetadataSize: number
  /** How long a new member's parked JoinGroup may wait (Kafka's fixed 5 minutes). */
  newMemberJoinTimeoutMs: number
}

export const DEFAULT_GROUP_COORDINATOR_CONFIG: GroupCoordinatorConfig = {
  offsetsTopicPartitions: 50,
  initialRebalanceDelayMs: 3000,
  minSessionTimeoutMs: 6000,
  maxSessionTimeoutMs: 1_800_000,
  maxGroupSize: 2_147_483_647,
  offsetsRetentionMs: 10_080 * 60_000,
  offsetsRetentionCheckIntervalMs: 600_000,
  maxMetadataSize: 4096,
  newMemberJoinTimeoutMs: 5 * 60_000
}

export function groupCoordinatorConfigFrom(config: KafkaConfig): GroupCoordinatorConfig {
  return {
    ...DEFAULT_GROUP_COORDINATOR_CONFIG,
    offsetsTopicPartitions: config.getNumber('offsets.topic.num.partitions'),
    initialRebalanceDelayMs: config.getNumber('group.initial.rebalance.delay.ms'),
    minSessionTimeoutMs: config.getNumber('group.min.session.timeout.ms'),
    maxSessionTimeoutMs: config.getNumber('group.max.session.timeout.ms'),
    maxGroupSize: config.getNumber('group.max.size'),
    offsetsRetentionMs: config.getNumber('offsets.retention.minutes') * 60_000,
    offsetsRetentionCheckIntervalMs: config.getNumber('offsets.retention.check.interval.ms')
  }
}
