import type { Controller } from '../cluster/controller.js'
import type { MetadataCache } from '../cluster/metadata-cache.js'
import type { ReplicaManager } from '../cluster/replica-manager.js'
import type { KafkaConfig } from '../config/kafka-config.js'
import type { GroupCoordinator } from '../coordinator/group/group-coordinator.js'
import { partitionFor } from '../coordinator/group/group-partition.js'
import { ErrorCode } from '../protocol/error-codes.js'
import type { CoordinatorLookup, CoordinatorNode } from './handlers/find-coordinator.js'
import { OFFSETS_TOPIC } from './internal-topic-group-store.js'
import type { Logger } from './logger.js'

const GROUP_KEY_TYPE = 0
const TRANSACTION_KEY_TYPE = 1

export interface GroupCoordinationDeps {
  config: KafkaConfig
  logger: Logger
  coordinator: GroupCoordinator
  metadataCache: () => MetadataCache
  controller: () => Controller
  replicaManager: () => ReplicaManager
  localNode: () => CoordinatorNode
  /** Answers key type 1 (transactional ids); without it none is available. */
  transactionLookup?: (transactionalId: string) => CoordinatorNode | number
}

/**
 * Ties the group coordinator to `__consumer_offsets`: creates the topic on first use (as Kafka does on the
 * first FindCoordinator), loads every partition this broker leads, and answers FindCoordinator with this
 * broker for the groups whose partition is loaded, COORDINATOR_NOT_AVAILABLE until then.
 */
export class GroupCoordination {
  private readonly loaded = new Set<number>()
  private creating: Promise<void> | null = null

  constructor(private readonly deps: GroupCoordinationDeps) {}

  async startup(): Promise<void> {
    this.deps.coordinator.startup()
    if (this.deps.metadataCache().topicByName(OFFSETS_TOPIC)) await this.electLocalPartitions()
  }

  async shutdown(): Promise<void> {
    this.deps.coordinator.shutdown()
    await this.creating?.catch(() => undefined)
  }

  readonly lookup: CoordinatorLookup = (keyType, key) => {
    if (keyType === TRANSACTION_KEY_TYPE) {
      return this.deps.transactionLookup?.(key) ?? ErrorCode.COORDINATOR_NOT_AVAILABLE
    }
    if (keyType !== GROUP_KEY_TYPE) return ErrorCode.COORDINATOR_NOT_AVAILABLE
    const topic = this.deps.metadataCache().topicByName(OFFSETS_TOPIC)
    if (topic === undefined) {
      this.ensureOffsetsTopic()
      return ErrorCode.COORDINATOR_NOT_AVAILABLE
    }
    const partition = partitionFor(key, topic.partitions.length)
    if (!this.loaded.has(partition)) return ErrorCode.COORDINATOR_NOT_AVAILABLE
    return this.deps.localNode()
  }

  private ensureOffsetsTopic(): void {
    if (this.creating) return
    const { config } = this.deps
    const liveBrokers = this.deps.metadataCache().liveBrokers().length
    this.creating = this.deps
      .controller()
      .createTopics([
        {
          name: OFFSETS_TOPIC,
          numPartitions: config.offsetsTopicNumPartitions,
          replicationFactor: Math.max(1, Math.min(config.offsetsTopicReplicationFactor, liveBrokers)),
          assignments: [],
          configs: [
            { name: 'cleanup.policy', value: 'compact' },
            { name: 'compression.type', value: 'producer' },
            { name: 'segment.bytes', value: String(config.getNumber('offsets.topic.segment.bytes')) }
          ]
        }
      ])
      .then(() => this.electLocalPartitions())
      .catch((err: unknown) => this.deps.logger.error({ err }, `creating ${OFFSETS_TOPIC} failed`))
      .finally(() => {
        this.creating = null
      })
  }

  /** Loads the groups of every `__consumer_offsets` partition this broker leads. */
  private async electLocalPartitions(): Promise<void> {
    const topic = this.deps.metadataCache().topicByName(OFFSETS_TOPIC)
    if (topic === undefined) return
    const nodeId = this.deps.config.nodeId
    for (const p of topic.partitions) {
      if (p.leader !== nodeId || this.loaded.has(p.partitionIndex)) continue
      await this.deps.replicaManager().getPartition(OFFSETS_TOPIC, p.partitionIndex)
      await this.deps.coordinator.onElection(p.partitionIndex)
      this.loaded.add(p.partitionIndex)
    }
  }
}
