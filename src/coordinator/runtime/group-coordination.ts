import type { Controller } from '../../cluster/controller/controller.js'
import type { ControllerChannel } from '../../cluster/controller-channel.js'
import type { MetadataCache } from '../../cluster/metadata-cache.js'
import type { Logger } from '../../common/logger.js'
import type { KafkaConfig } from '../../config/kafka-config.js'
import { ErrorCode } from '../../protocol/error-codes.js'
import type { ReplicaManager } from '../../replica/replica-manager.js'
import type { CoordinatorLookup, CoordinatorNode } from '../coordinator-node.js'
import type { GroupCoordinatorService } from '../group/group-coordinator-service.js'
import { CoordinatorPartitionTracker } from './coordinator-partition-tracker.js'
import type { InternalTopic } from './internal-topic-creator.js'
import { OFFSETS_TOPIC } from './internal-topic-group-store.js'

const GROUP_KEY_TYPE = 0
const TRANSACTION_KEY_TYPE = 1

export interface GroupCoordinationDeps {
  config: KafkaConfig
  logger: Logger
  coordinator: GroupCoordinatorService
  metadataCache: () => MetadataCache
  controller: () => Controller
  controllerChannel: () => ControllerChannel
  replicaManager: () => ReplicaManager
  localNode: () => CoordinatorNode
  /** Answers key type 1 (transactional ids); without it none is available. */
  transactionLookup?: (transactionalId: string) => CoordinatorNode | number
}

/**
 * Ties the group coordinator to `__consumer_offsets` in a cluster, as Kafka's broker does with the
 * coordinator's onElection/onResignation (the partitions' leadership is followed by a
 * CoordinatorPartitionTracker):
 * - FindCoordinator names the current leader of the group's partition, from the metadata cache, on any
 *   broker; COORDINATOR_NOT_AVAILABLE only while the partition has no live leader or the topic is being
 *   created (the first FindCoordinator creates it, through the controller).
 * - When this broker becomes the leader of a partition it loads that partition's groups
 *   (COORDINATOR_LOAD_IN_PROGRESS meanwhile), and when it stops leading it unloads them at once, so their
 *   requests get NOT_COORDINATOR and clients look the coordinator up again.
 */
export class GroupCoordination {
  private readonly tracker: CoordinatorPartitionTracker

  constructor(private readonly deps: GroupCoordinationDeps) {
    const { coordinator } = deps
    this.tracker = new CoordinatorPartitionTracker({
      config: deps.config,
      logger: deps.logger,
      metadataCache: deps.metadataCache,
      controller: deps.controller,
      controllerChannel: deps.controllerChannel,
      localNode: deps.localNode,
      topic: OFFSETS_TOPIC,
      listener: {
        onElection: (partition) => coordinator.onElection(partition),
        onResignation: (partition) => coordinator.onResignation(partition),
        onPartitionCount: (count) => {
          coordinator.config.offsetsTopicPartitions = count
        }
      },
      topicToCreate: (liveBrokers) => this.offsetsTopic(liveBrokers)
    })
  }

  async startup(): Promise<void> {
    this.deps.coordinator.startup()
    this.tracker.startup()
  }

  async shutdown(): Promise<void> {
    this.tracker.stop()
    this.deps.coordinator.shutdown()
    await this.tracker.drain()
  }

  readonly lookup: CoordinatorLookup = (keyType, key) => {
    if (keyType === TRANSACTION_KEY_TYPE) {
      return this.deps.transactionLookup?.(key) ?? ErrorCode.COORDINATOR_NOT_AVAILABLE
    }
    if (keyType !== GROUP_KEY_TYPE) return ErrorCode.COORDINATOR_NOT_AVAILABLE
    return this.tracker.lookup(key)
  }

  /**
   * `__consumer_offsets` as the first FindCoordinator creates it. Its replication factor is
   * offsets.topic.replication.factor capped at the live brokers: Kafka refuses (COORDINATOR_NOT_AVAILABLE)
   * while fewer brokers are up than the factor; Samsa is lenient so a dev cluster of one or two works.
   */
  private offsetsTopic(liveBrokers: number): InternalTopic {
    const { config } = this.deps
    return {
      name: OFFSETS_TOPIC,
      numPartitions: config.offsetsTopicNumPartitions,
      replicationFactor: Math.max(1, Math.min(config.offsetsTopicReplicationFactor, liveBrokers)),
      configs: [
        { name: 'cleanup.policy', value: 'compact' },
        { name: 'compression.type', value: 'producer' },
        { name: 'segment.bytes', value: String(config.getNumber('offsets.topic.segment.bytes')) }
      ]
    }
  }
}
