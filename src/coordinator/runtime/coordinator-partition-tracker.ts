import type { Controller } from '../../cluster/controller/controller.js'
import type { ControllerChannel } from '../../cluster/controller-channel.js'
import type { MetadataCache } from '../../cluster/metadata-cache.js'
import type { MetadataDelta, Unsubscribe } from '../../cluster/metadata-store.js'
import type { Logger } from '../../common/logger.js'
import type { KafkaConfig } from '../../config/kafka-config.js'
import { ErrorCode } from '../../protocol/error-codes.js'
import type { CoordinatorNode } from '../coordinator-node.js'
import { partitionFor } from '../group/group-partition.js'
import { createInternalTopic, type InternalTopic } from './internal-topic-creator.js'

/** After a failed load, the partition is tried again this much later (if this broker still leads it). */
const LOAD_RETRY_MS = 1000

/** What a coordinator does as this broker gains and loses the leadership of its topic's partitions. */
export interface CoordinatorPartitionListener {
  /**
   * Loads the partition this broker now leads in `leaderEpoch` (Kafka's onElection). Called inside the
   * metadata delta when no earlier load of the partition is under way, so the coordinator can mark it
   * loading at once; `current` turns false when the broker resigns it meanwhile (or shuts down).
   */
  onElection(partition: number, leaderEpoch: number, current: () => boolean): Promise<void>
  /** Unloads the partition at once (Kafka's onResignation): its keys answer NOT_COORDINATOR. */
  onResignation(partition: number): void
  /** The topic's real partition count, which wins over the config (it may have changed since creation). */
  onPartitionCount(count: number): void
}

export interface CoordinatorPartitionTrackerDeps {
  config: KafkaConfig
  logger: Logger
  metadataCache: () => MetadataCache
  controller: () => Controller
  controllerChannel: () => ControllerChannel
  localNode: () => CoordinatorNode
  /** The internal topic (`__consumer_offsets`, `__transaction_state`) and the coordinator following it. */
  topic: string
  listener: CoordinatorPartitionListener
  /** The topic as the first lookup creates it, given how many brokers are live then. */
  topicToCreate: (liveBrokers: number) => InternalTopic
}

/** A partition this broker leads (in `leaderEpoch`, the coordinator epoch), loading or loaded. */
interface Election {
  readonly leaderEpoch: number
}

/**
 * Follows the leadership of a coordinator's internal topic, as Kafka's broker does for the group and
 * transaction coordinators:
 * - A key's coordinator is the current leader of its partition, from the metadata cache, on any broker;
 *   COORDINATOR_NOT_AVAILABLE only while the partition has no live leader or the topic is being created
 *   (the first lookup creates it, through the controller).
 * - A partition this broker comes to lead is loaded (onElection); one it stops leading, or leads in another
 *   epoch (another leader may have written in between, so it is reloaded), is unloaded at once
 *   (onResignation). A failed load is resigned and retried later while this broker still leads it.
 *
 * Event loop: metadata deltas arrive synchronously after the replica manager has applied them (it
 * subscribed first); resignations happen inside the delta, loads run in the background, one at a time per
 * partition, so a load never overlaps an earlier one of the same partition.
 */
export class CoordinatorPartitionTracker {
  private readonly elections = new Map<number, Election>()
  /** The last load started per partition; a new one waits for it. */
  private readonly loads = new Map<number, Promise<void>>()
  private creating: Promise<void> | null = null
  private unsubscribe: Unsubscribe | null = null
  private retryTimer: NodeJS.Timeout | null = null
  private stopped = false

  constructor(private readonly deps: CoordinatorPartitionTrackerDeps) {}

  /** Subscribes to the metadata and loads the partitions this broker already leads. */
  startup(): void {
    this.unsubscribe = this.deps.metadataCache().subscribe((delta) => this.onMetadataDelta(delta))
    this.reconcile()
  }

  /** Stops following the metadata; no load or creation starts afterwards (see `drain`). */
  stop(): void {
    this.stopped = true
    this.unsubscribe?.()
    this.unsubscribe = null
    if (this.retryTimer) clearTimeout(this.retryTimer)
  }

  /** Waits for the topic creation and the loads under way to end, after `stop`. */
  async drain(): Promise<void> {
    await this.creating?.catch(() => undefined)
    await Promise.all([...this.loads.values()].map((l) => l.catch(() => undefined)))
  }

  /**
   * The leader of `key`'s partition: -1 while it has none, undefined while the topic does not exist (it is
   * not created here).
   */
  leaderOf(key: string): number | undefined {
    const topic = this.deps.metadataCache().topicByName(this.deps.topic)
    if (topic === undefined) return undefined
    return topic.partitions[partitionFor(key, topic.partitions.length)]?.leader ?? -1
  }

  /** FindCoordinator: the broker leading `key`'s partition; the first lookup creates the topic. */
  lookup(key: string): CoordinatorNode | number {
    const leader = this.leaderOf(key)
    if (leader === undefined) {
      this.ensureTopic()
      return ErrorCode.COORDINATOR_NOT_AVAILABLE
    }
    if (leader < 0) return ErrorCode.COORDINATOR_NOT_AVAILABLE
    // This broker's own address as the client reached it (its port is only known once bound).
    if (leader === this.deps.config.nodeId) return this.deps.localNode()
    const broker = this.deps.metadataCache().broker(leader)
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

  /** Brings the loaded partitions in line with the metadata: resigns the ones lost, loads the ones gained. */
  private reconcile(): void {
    if (this.stopped) return
    const { listener, logger } = this.deps
    const topic = this.deps.metadataCache().topicByName(this.deps.topic)
    if (topic) listener.onPartitionCount(topic.partitions.length)
    const nodeId = this.deps.config.nodeId
    const desired = new Map<number, number>()
    for (const p of topic?.partitions ?? []) {
      if (p.leader === nodeId) desired.set(p.partitionIndex, p.leaderEpoch)
    }
    for (const [partition, election] of this.elections) {
      if (desired.get(partition) === election.leaderEpoch) continue
      this.elections.delete(partition)
      listener.onResignation(partition)
      logger.info({ partition, leaderEpoch: election.leaderEpoch }, `resigned ${this.deps.topic}`)
    }
    for (const [partition, leaderEpoch] of desired) {
      if (!this.elections.has(partition)) this.elect(partition, leaderEpoch)
    }
  }

  private elect(partition: number, leaderEpoch: number): void {
    const { listener, logger, topic } = this.deps
    const election: Election = { leaderEpoch }
    this.elections.set(partition, election)
    const current = () => !this.stopped && this.elections.get(partition) === election
    const previous = this.loads.get(partition)
    // Without an earlier load under way, onElection starts right here, inside the delta (the async function
    // runs synchronously up to its first await), so the coordinator marks the partition loading at once and
    // its keys answer COORDINATOR_LOAD_IN_PROGRESS (retried in place) rather than NOT_COORDINATOR (which
    // sends clients back to FindCoordinator, and which some, like kafkajs's sendOffsets, do not retry).
    // A resignation during an earlier load unloads it when it ends; only then may the next one start.
    const load = (async () => {
      if (previous) {
        await previous.catch(() => undefined)
        if (!current()) return
      }
      await listener.onElection(partition, leaderEpoch, current)
      if (current()) logger.info({ partition, leaderEpoch }, `loaded ${topic}`)
    })().catch((err: unknown) => {
      logger.error({ err, partition }, `loading ${topic} failed`)
      if (!current()) return
      this.elections.delete(partition)
      listener.onResignation(partition)
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

  /** Creates the topic through the controller (forwarded when this broker is not it), once at a time. */
  private ensureTopic(): void {
    if (this.creating || this.stopped) return
    const { logger, topic } = this.deps
    const liveBrokers = this.deps.metadataCache().liveBrokers().length
    this.creating = createInternalTopic(
      { controller: this.deps.controller, controllerChannel: this.deps.controllerChannel },
      this.deps.topicToCreate(liveBrokers)
    )
      .then((errorCode) => {
        if (errorCode !== ErrorCode.NONE && errorCode !== ErrorCode.TOPIC_ALREADY_EXISTS) {
          logger.warn({ errorCode }, `creating ${topic} failed; the next FindCoordinator retries`)
        }
      })
      .catch((err: unknown) => logger.error({ err }, `creating ${topic} failed`))
      .finally(() => {
        this.creating = null
      })
  }
}
