import type { Controller } from '../cluster/controller.js'
import type { ControllerChannel } from '../cluster/controller-channel.js'
import type { MetadataCache } from '../cluster/metadata-cache.js'
import type { MetadataDelta, Unsubscribe } from '../cluster/metadata-store.js'
import type { ReplicaManager } from '../cluster/replica-manager.js'
import type { KafkaConfig } from '../config/kafka-config.js'
import type { GroupCoordinator } from '../coordinator/group/group-coordinator.js'
import { partitionFor } from '../coordinator/group/group-partition.js'
import { ErrorCode } from '../protocol/error-codes.js'
import type { CoordinatorLookup, CoordinatorNode } from './handlers/find-coordinator.js'
import { createInternalTopic } from './internal-topic-creator.js'
import { OFFSETS_TOPIC } from './internal-topic-group-store.js'
import type { Logger } from './logger.js'

const GROUP_KEY_TYPE = 0
const TRANSACTION_KEY_TYPE = 1
/** After a failed load, the partition is tried again this much later (if this broker still leads it). */
const LOAD_RETRY_MS = 1000

export interface GroupCoordinationDeps {
  config: KafkaConfig
  logger: Logger
  coordinator: GroupCoordinator
  metadataCache: () => MetadataCache
  controller: () => Controller
  controllerChannel: () => ControllerChannel
  replicaManager: () => ReplicaManager
  localNode: () => CoordinatorNode
  /** Answers key type 1 (transactional ids); without it none is available. */
  transactionLookup?: (transactionalId: string) => CoordinatorNode | number
}

/** A `__consumer_offsets` partition this broker leads (in `leaderEpoch`), loading or loaded. */
interface Election {
  readonly leaderEpoch: number
}

/**
 * Ties the group coordinator to `__consumer_offsets` in a cluster, as Kafka's broker does with the
 * coordinator's onElection/onResignation:
 * - FindCoordinator names the current leader of the group's partition, from the metadata cache, on any
 *   broker; COORDINATOR_NOT_AVAILABLE only while the partition has no live leader or the topic is being
 *   created (the first FindCoordinator creates it, through the controller).
 * - It follows the metadata: when this broker becomes the leader of a partition it loads that partition's
 *   groups (COORDINATOR_LOAD_IN_PROGRESS meanwhile), and when it stops leading it unloads them at once, so
 *   their requests get NOT_COORDINATOR and clients look the coordinator up again.
 *
 * Event loop: metadata deltas arrive synchronously after the replica manager has applied them (it
 * subscribed first); resignations happen inside the delta, loads run in the background, one at a time per
 * partition, so a load never overlaps an earlier one of the same partition.
 */
export class GroupCoordination {
  private readonly elections = new Map<number, Election>()
  /** The last load started per partition; a new one waits for it. */
  private readonly loads = new Map<number, Promise<void>>()
  private creating: Promise<void> | null = null
  private unsubscribe: Unsubscribe | null = null
  private retryTimer: NodeJS.Timeout | null = null
  private stopped = false

  constructor(private readonly deps: GroupCoordinationDeps) {}

  async startup(): Promise<void> {
    this.deps.coordinator.startup()
    this.unsubscribe = this.deps.metadataCache().subscribe((delta) => this.onMetadataDelta(delta))
    this.reconcile()
  }

  async shutdown(): Promise<void> {
    this.stopped = true
    this.unsubscribe?.()
    this.unsubscribe = null
    if (this.retryTimer) clearTimeout(this.retryTimer)
    this.deps.coordinator.shutdown()
    await this.creating?.catch(() => undefined)
    await Promise.all([...this.loads.values()].map((l) => l.catch(() => undefined)))
  }

  readonly lookup: CoordinatorLookup = (keyType, key) => {
    if (keyType === TRANSACTION_KEY_TYPE) {
      return this.deps.transactionLookup?.(key) ?? ErrorCode.COORDINATOR_NOT_AVAILABLE
    }
    if (keyType !== GROUP_KEY_TYPE) return ErrorCode.COORDINATOR_NOT_AVAILABLE
    const cache = this.deps.metadataCache()
    const topic = cache.topicByName(OFFSETS_TOPIC)
    if (topic === undefined) {
      this.ensureOffsetsTopic()
      return ErrorCode.COORDINATOR_NOT_AVAILABLE
    }
    const leader = topic.partitions[partitionFor(key, topic.partitions.length)]?.leader ?? -1
    if (leader < 0) return ErrorCode.COORDINATOR_NOT_AVAILABLE
    // This broker's own address as the client reached it (its port is only known once bound).
    if (leader === this.deps.config.nodeId) return this.deps.localNode()
    const broker = cache.broker(leader)
    if (broker === undefined || broker.fenced) return ErrorCode.COORDINATOR_NOT_AVAILABLE
    return { nodeId: broker.nodeId, host: broker.host, port: broker.port }
  }

  private onMetadataDelta(delta: MetadataDelta): void {
    switch (delta.type) {
      case 'topic-created':
      case 'topic-deleted':
      case 'partitions-created':
      case 'partition-changed':
        this.reconcile()
        return
      default:
        return
    }
  }

  /**
   * Brings the loaded partitions in line with the metadata: resigns those this broker no longer leads (or
   * leads in another epoch: another leader may have written in between, so they are reloaded), and starts
   * loading those it newly leads.
   */
  private reconcile(): void {
    if (this.stopped) return
    const topic = this.deps.metadataCache().topicByName(OFFSETS_TOPIC)
    // The topic's real partition count wins over offsets.topic.num.partitions, which may have changed since.
    if (topic) this.deps.coordinator.config.offsetsTopicPartitions = topic.partitions.length
    const nodeId = this.deps.config.nodeId
    const desired = new Map<number, number>()
    for (const p of topic?.partitions ?? []) {
      if (p.leader === nodeId) desired.set(p.partitionIndex, p.leaderEpoch)
    }
    for (const [partition, election] of this.elections) {
      if (desired.get(partition) === election.leaderEpoch) continue
      this.elections.delete(partition)
      this.deps.coordinator.onResignation(partition)
      this.deps.logger.info({ partition, leaderEpoch: election.leaderEpoch }, `resigned ${OFFSETS_TOPIC}`)
    }
    for (const [partition, leaderEpoch] of desired) {
      if (!this.elections.has(partition)) this.elect(partition, leaderEpoch)
    }
  }

  private elect(partition: number, leaderEpoch: number): void {
    const election: Election = { leaderEpoch }
    this.elections.set(partition, election)
    const current = () => !this.stopped && this.elections.get(partition) === election
    const onElection = async () => {
      await this.deps.coordinator.onElection(partition)
      if (current()) this.deps.logger.info({ partition, leaderEpoch }, `loaded ${OFFSETS_TOPIC}`)
    }
    const previous = this.loads.get(partition)
    // Without an earlier load under way the partition is marked loading right here, inside the delta, so
    // its groups answer COORDINATOR_LOAD_IN_PROGRESS (retried in place) rather than NOT_COORDINATOR (which
    // sends clients back to FindCoordinator, and which some, like kafkajs's sendOffsets, do not retry).
    // A resignation during an earlier load unloads it when it ends; only then may the next one start.
    const load = (
      previous === undefined
        ? onElection()
        : previous.catch(() => undefined).then(() => (current() ? onElection() : undefined))
    ).catch((err: unknown) => {
      this.deps.logger.error({ err, partition }, `loading ${OFFSETS_TOPIC} failed`)
      if (!current()) return
      this.elections.delete(partition)
      this.deps.coordinator.onResignation(partition)
      this.scheduleRetry()
    })
    this.loads.set(partition, load)
    void load.finally(() => {
      if (this.loads.get(partition) === load) this.loads.delete(partition)
    })
  }

  private scheduleRetry(): void {
    if (this.retryTimer || this.stopped) return
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null
      this.reconcile()
    }, LOAD_RETRY_MS)
    this.retryTimer.unref()
  }

  /**
   * Creates `__consumer_offsets` through the controller. Its replication factor is
   * offsets.topic.replication.factor capped at the live brokers: Kafka refuses (COORDINATOR_NOT_AVAILABLE)
   * while fewer brokers are up than the factor; Samsa is lenient so a dev cluster of one or two works.
   */
  private ensureOffsetsTopic(): void {
    if (this.creating || this.stopped) return
    const { config, logger } = this.deps
    const liveBrokers = this.deps.metadataCache().liveBrokers().length
    this.creating = createInternalTopic(
      { controller: this.deps.controller, controllerChannel: this.deps.controllerChannel },
      {
        name: OFFSETS_TOPIC,
        numPartitions: config.offsetsTopicNumPartitions,
        replicationFactor: Math.max(1, Math.min(config.offsetsTopicReplicationFactor, liveBrokers)),
        configs: [
          { name: 'cleanup.policy', value: 'compact' },
          { name: 'compression.type', value: 'producer' },
          { name: 'segment.bytes', value: String(config.getNumber('offsets.topic.segment.bytes')) }
        ]
      }
    )
      .then((errorCode) => {
        if (errorCode !== ErrorCode.NONE && errorCode !== ErrorCode.TOPIC_ALREADY_EXISTS) {
          logger.warn({ errorCode }, `creating ${OFFSETS_TOPIC} failed; the next FindCoordinator retries`)
        }
      })
      .catch((err: unknown) => logger.error({ err }, `creating ${OFFSETS_TOPIC} failed`))
      .finally(() => {
        this.creating = null
      })
  }
}
