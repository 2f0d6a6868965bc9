/** Broker settings of KIP-848 consumer groups, with Kafka's names and defaults. */

import type { KafkaConfig } from '../../../config/kafka-config.js'

export interface ConsumerGroupConfig {
  /** group.consumer.heartbeat.interval.ms */
  heartbeatIntervalMs: number
  /** group.consumer.session.timeout.ms */
  sessionTimeoutMs: number
  /** group.consumer.max.size */
  maxSize: number
}

export const DEFAULT_CONSUMER_GROUP_CONFIG: ConsumerGroupConfig = {
  heartbeatIntervalMs: 5000,
  sessionTimeoutMs: 45_000,
  maxSize: 2_147_483_647
}

export function consumerGroupConfigFrom(config: KafkaConfig): ConsumerGroupConfig {
  return {
    heartbeatIntervalMs: config.getNumber('group.consumer.heartbeat.interval.ms'),
    sessionTimeoutMs: config.getNumber('group.consumer.session.timeout.ms'),
    maxSize: config.getNumber('group.consumer.max.size')
  }
}
