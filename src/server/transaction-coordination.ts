import type { Controller } from '../cluster/controller.js'
import type { MetadataCache } from '../cluster/metadata-cache.js'
import type { ReplicaManager } from '../cluster/replica-manager.js'
import type { KafkaConfig } from '../config/kafka-config.js'
import type { GroupCoordinator } from '../coordinator/group/group-coordinator.js'
import { partitionFor } from '../coordinator/group/group-partition.js'
import type { ProducerIdManager } from '../coordinator/producer-id-manager.js'
import { TransactionCoordinator, type TxnMarker } from '../coordinator/transaction/transaction-coordinator.js'
import type { TopicPartition } from '../coordinator/transaction/transaction-metadata.js'
import { TransactionStateManager } from '../coordinator/transaction/transaction-state-manager.js'
import { ErrorCode, errorCodeOf } from '../protocol/error-codes.js'
import type { InitProducerIdRequest, InitProducerIdResponse } from '../protocol/messages/init-producer-id.js'
import type { CoordinatorNode } from './handlers/find-coordinator.js'
import { InternalTopicGroupStore, OFFSETS_TOPIC } from './internal-topic-group-store.js'
import type { Logger } from './logger.js'

export const TRANSACTION_STATE_TOPIC = '__transaction_state'
/** InitProducerId: PRODUCER_FENCED exists from v4; older clients understand only INVALID_PRODUCER_EPOCH. */
const INIT_PRODUCER_FENCED_VERSION = 4

export interface TransactionCoordinationDeps {
  config: KafkaConfig
  logger: Logger
  groupCoordinator: GroupCoordinator
  producerIdManager: ProducerIdManager
  metadataCache: () => MetadataCache
  controller: () => Controller
  replicaManager: () => ReplicaManager
  localNode: () => CoordinatorNode
}

/**
 * Ties the transaction coordinator to `__transaction_state` and to this broker's partitions: creates the
 * topic on the first FindCoordinator for a transactional id (as Kafka does), loads every partition this
 * broker leads, answers FindCoordinator key type 1, writes transaction markers locally (WriteTxnMarkers'
 * work, including the group coordinator's pending offsets on `__consumer_offsets`), and runs the periodic
 * abort of timed-out transactions and the expiry of idle transactional ids.
 */
export class TransactionCoordination {
  readonly stateManager: TransactionStateManager
  readonly coordinator: TransactionCoordinator
  private readonly loaded = new Set<number>()
  private creating: Promise<void> | null = null
  private timers: NodeJS.Timeout[] = []

  constructor(private readonly deps: TransactionCoordinationDeps) {
    const { config } = deps
    this.stateManager = new TransactionStateManager(
      new InternalTopicGroupStore(() => deps.replicaManager(), TRANSACTION_STATE_TOPIC),
      config.getNumber('transaction.state.log.num.partitions')
    )
    this.coordinator = new TransactionCoordinator({
      stateManager: this.stateManager,
      generateProducerId: () => deps.producerIdManager.generateProducerId(),
      writeMarkers: (marker) => this.writeMarkers(marker),
      config: {
        maxTimeoutMs: config.transactionMaxTimeoutMs,
        transactionalIdExpirationMs: config.getNumber('transactional.id.expiration.ms')
      },
      onError: (err, what) => deps.logger.error({ err }, what),
      onPartitionsAdded: (producerId, producerEpoch, partitions) =>
        this.beginTxnVerification(producerId, producerEpoch, partitions)
    })
    deps.groupCoordinator.txnOffsets.verifyTransaction = (id, producerId, producerEpoch, offsetsPartition) =>
      this.verifyOffsetsInTransaction(id, producerId, producerEpoch, offsetsPartition)
  }

  /**
   * KIP-890 part 1 for TxnOffsetCommit (Kafka's verifyOnly AddPartitionsToTxn): the producer's ongoing
   * transaction, in this producer id and epoch, must hold the group's `__consumer_offsets` partition.
   * A transactional id coordinated elsewhere is not verified here.
   */
  private verifyOffsetsInTransaction(
    transactionalId: string,
    producerId: bigint,
    producerEpoch: number,
    offsetsPartition: number
  ): number {
    const coordinatorError = this.stateManager.coordinatorError(transactionalId)
    if (coordinatorError === ErrorCode.COORDINATOR_LOAD_IN_PROGRESS) return coordinatorError
    if (coordinatorError !== ErrorCode.NONE) return ErrorCode.NONE
    const md = this.stateManager.get(transactionalId)
    if (md === undefined || md.producerId !== producerId) return ErrorCode.INVALID_PRODUCER_ID_MAPPING
    if (md.producerEpoch !== producerEpoch) return ErrorCode.INVALID_PRODUCER_EPOCH
    const tp = { topic: OFFSETS_TOPIC, partition: offsetsPartition }
    if (md.state !== 'Ongoing' || !md.hasPartition(tp)) return ErrorCode.INVALID_TXN_STATE
    return ErrorCode.NONE
  }

  async startup(): Promise<void> {
    const topic = this.deps.metadataCache().topicByName(TRANSACTION_STATE_TOPIC)
    if (topic) {
      // The topic's real partition count wins over the config, which may have changed since it was created.
      this.stateManager.numPartitions = topic.partitions.length
      await this.electLocalPartitions()
    }
    const { config, logger } = this.deps
    const every = (ms: number, what: string, task: () => Promise<unknown>) => {
      let running = false
      const t = setInterval(() => {
        if (running) return
        running = true
        task()
          .catch((err: unknown) => logger.error({ err }, what))
          .finally(() => {
            running = false
          })
      }, ms)
      t.unref()
      this.timers.push(t)
    }
    every(
      config.getNumber('transaction.abort.timed.out.transaction.cleanup.interval.ms'),
      'aborting timed-out transactions',
      () => this.coordinator.abortTimedOutTransactions()
    )
    every(
      config.getNumber('transaction.remove.expired.transaction.cleanup.interval.ms'),
      'expiring transactional ids',
      () => this.coordinator.removeExpiredTransactionalIds()
    )
  }

  async shutdown(): Promise<void> {
    for (const t of this.timers) clearInterval(t)
    this.timers = []
    await this.coordinator.shutdown()
    await this.creating?.catch(() => undefined)
  }

  /** InitProducerId with a transactional id (the handler serves the non-transactional path itself). */
  async initProducerId(request: InitProducerIdRequest, apiVersion: number): Promise<InitProducerIdResponse> {
    const producerId = request.producerId ?? -1n
    const producerEpoch = request.producerEpoch ?? -1
    // KIP-360: both or neither of the producer id and epoch.
    if ((producerId === -1n) !== (producerEpoch === -1)) {
      return { throttleTimeMs: 0, errorCode: ErrorCode.INVALID_REQUEST, producerId: -1n, producerEpoch: -1 }
    }
    const r = await this.coordinator.handleInitProducerId(
      request.transactionalId ?? '',
      request.transactionTimeoutMs,
      producerId === -1n ? undefined : { producerId, producerEpoch }
    )
    const errorCode =
      r.errorCode === ErrorCode.PRODUCER_FENCED && apiVersion < INIT_PRODUCER_FENCED_VERSION
        ? ErrorCode.INVALID_PRODUCER_EPOCH
        : r.errorCode
    return { throttleTimeMs: 0, ...r, errorCode }
  }

  /** FindCoordinator key type 1. */
  lookup(transactionalId: string): CoordinatorNode | number {
    const topic = this.deps.metadataCache().topicByName(TRANSACTION_STATE_TOPIC)
    if (topic === undefined) {
      this.ensureTransactionStateTopic()
      return ErrorCode.COORDINATOR_NOT_AVAILABLE
    }
    const partition = partitionFor(transactionalId, topic.partitions.length)
    if (!this.loaded.has(partition)) return ErrorCode.COORDINATOR_NOT_AVAILABLE
    return this.deps.localNode()
  }

  /** The `__consumer_offsets` partition AddOffsetsToTxn adds to the transaction for a group. */
  offsetsPartitionFor(groupId: string): TopicPartition {
    return { topic: OFFSETS_TOPIC, partition: this.deps.groupCoordinator.manager.partitionFor(groupId) }
  }

  /**
   * Writes one marker to each local partition (Kafka's WriteTxnMarkers on the partition leaders). On a
   * `__consumer_offsets` partition the marker completes the producer's transactional offset batch in the
   * log; the group coordinator then commits or drops its in-memory copy of those pending offsets.
   */
  async writeMarkers(
    marker: Omit<TxnMarker, 'transactionalId'>
  ): Promise<{ tp: TopicPartition; errorCode: number }[]> {
    const failed: { tp: TopicPartition; errorCode: number }[] = []
    await Promise.all(
      marker.partitions.map(async (tp) => {
        try {
          const p = await this.deps.replicaManager().getPartition(tp.topic, tp.partition)
          await p.appendTxnMarker(
            marker.producerId,
            marker.producerEpoch,
            marker.coordinatorEpoch,
            marker.commit
          )
          if (tp.topic === OFFSETS_TOPIC) {
            await this.deps.groupCoordinator.txnOffsets.completeTransaction(
              marker.producerId,
              tp.partition,
              marker.commit
            )
          }
        } catch (err) {
          failed.push({ tp, errorCode: errorCodeOf(err) })
        }
      })
    )
    return failed
  }

  /**
   * KIP-890 part 1 on a single broker: the coordinator tells each local partition directly instead of
   * the partition asking the coordinator (AddPartitionsToTxn verifyOnly), `__consumer_offsets` included
   * (TxnOffsetCommit writes the producer's transactional batch there); partitions this broker does not
   * host reject the producer's batches by themselves.
   */
  private async beginTxnVerification(
    producerId: bigint,
    producerEpoch: number,
    partitions: readonly TopicPartition[]
  ): Promise<void> {
    for (const tp of partitions) {
      const p = await this.deps
        .replicaManager()
        .getPartition(tp.topic, tp.partition)
        .catch(() => undefined)
      if (p?.isLeader) p.beginTxnVerification(producerId, producerEpoch)
    }
  }

  private ensureTransactionStateTopic(): void {
    if (this.creating) return
    const { config } = this.deps
    const liveBrokers = this.deps.metadataCache().liveBrokers().length
    this.creating = this.deps
      .controller()
      .createTopics([
        {
          name: TRANSACTION_STATE_TOPIC,
          numPartitions: config.getNumber('transaction.state.log.num.partitions'),
          replicationFactor: Math.max(
            1,
            Math.min(config.getNumber('transaction.state.log.replication.factor'), liveBrokers)
          ),
          assignments: [],
          configs: [
            { name: 'cleanup.policy', value: 'compact' },
            { name: 'compression.type', value: 'uncompressed' },
            {
              name: 'min.insync.replicas',
              value: String(Math.min(config.getNumber('transaction.state.log.min.isr'), liveBrokers))
            },
            { name: 'segment.bytes', value: String(config.getNumber('transaction.state.log.segment.bytes')) }
          ]
        }
      ])
      .then(() => {
        const topic = this.deps.metadataCache().topicByName(TRANSACTION_STATE_TOPIC)
        if (topic) this.stateManager.numPartitions = topic.partitions.length
        return this.electLocalPartitions()
      })
      .catch((err: unknown) => this.deps.logger.error({ err }, `creating ${TRANSACTION_STATE_TOPIC} failed`))
      .finally(() => {
        this.creating = null
      })
  }

  /** Loads the transactional ids of every `__transaction_state` partition this broker leads. */
  private async electLocalPartitions(): Promise<void> {
    const topic = this.deps.metadataCache().topicByName(TRANSACTION_STATE_TOPIC)
    if (topic === undefined) return
    const nodeId = this.deps.config.nodeId
    for (const p of topic.partitions) {
      if (p.leader !== nodeId || this.loaded.has(p.partitionIndex)) continue
      const partition = await this.deps
        .replicaManager()
        .getPartition(TRANSACTION_STATE_TOPIC, p.partitionIndex)
      await this.coordinator.onElection(p.partitionIndex, partition.leaderEpoch)
      await this.reannounceOngoingTransactions(p.partitionIndex)
      this.loaded.add(p.partitionIndex)
    }
  }

  /**
   * The partitions' KIP-890 verification lives in memory, so a restarted broker has forgotten it. In Kafka
   * the partition asks the coordinator, which still knows the transaction's partitions; here the
   * coordinator tells them again for every ongoing transaction it loaded. Otherwise a producer whose first
   * batch to a partition was cut off by the crash would get INVALID_TXN_STATE for its retry.
   */
  private async reannounceOngoingTransactions(statePartition: number): Promise<void> {
    for (const md of this.stateManager.ownedTransactions()) {
      if (md.state !== 'Ongoing') continue
      if (this.stateManager.partitionFor(md.transactionalId) !== statePartition) continue
      await this.beginTxnVerification(md.producerId, md.producerEpoch, md.partitions)
    }
  }
}
