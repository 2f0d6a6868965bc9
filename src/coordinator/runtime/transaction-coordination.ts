import type { Controller } from '../../cluster/controller/controller.js'
import type { ControllerChannel } from '../../cluster/controller-channel.js'
import type { MetadataCache } from '../../cluster/metadata-cache.js'
import type { Logger } from '../../common/logger.js'
import type { KafkaConfig } from '../../config/kafka-config.js'
import type { BrokerChannelSecurity } from '../../network/broker-channel-security.js'
import { InterBrokerConnections } from '../../network/inter-broker-connections.js'
import { ErrorCode, errorCodeOf, KafkaError } from '../../protocol/error-codes.js'
import type {
  InitProducerIdRequest,
  InitProducerIdResponse
} from '../../protocol/messages/init-producer-id.js'
import { DelayedProduce } from '../../replica/delayed-produce.js'
import type { Partition } from '../../replica/partition.js'
import { partitionKey, type ReplicaManager } from '../../replica/replica-manager.js'
import type { CoordinatorNode } from '../coordinator-node.js'
import type { TxnOffsetCoordinator } from '../group/txn-offset-coordinator.js'
import type { ProducerIdManager } from '../producer-id-manager.js'
import { AddPartitionsToTxnManager, producerErrorFor } from '../transaction/add-partitions-to-txn-manager.js'
import { TransactionCoordinator, type TxnMarker } from '../transaction/transaction-coordinator.js'
import {
  type FailedMarkerPartition,
  TransactionMarkerChannelManager
} from '../transaction/transaction-marker-channel-manager.js'
import type { TopicPartition } from '../transaction/transaction-metadata.js'
import { TransactionStateManager } from '../transaction/transaction-state-manager.js'
import { CoordinatorPartitionTracker } from './coordinator-partition-tracker.js'
import type { InternalTopic } from './internal-topic-creator.js'
import { InternalTopicGroupStore, OFFSETS_TOPIC } from './internal-topic-group-store.js'

export const TRANSACTION_STATE_TOPIC = '__transaction_state'
/** InitProducerId: PRODUCER_FENCED exists from v4; older clients understand only INVALID_PRODUCER_EPOCH. */
const INIT_PRODUCER_FENCED_VERSION = 4

export interface TransactionCoordinationDeps {
  config: KafkaConfig
  logger: Logger
  /** The group coordinator's transactional offsets: verified on commit, completed by markers. */
  txnOffsets: TxnOffsetCoordinator
  producerIdManager: ProducerIdManager
  metadataCache: () => MetadataCache
  controller: () => Controller
  controllerChannel: () => ControllerChannel
  replicaManager: () => ReplicaManager
  localNode: () => CoordinatorNode
  /** TLS and SASL of the inter-broker listener, for markers and verification (plain TCP when absent). */
  interBrokerSecurity?: () => BrokerChannelSecurity
}

/** Kafka's request.timeout.ms default, for the coordinator's inter-broker requests. */
const INTER_BROKER_REQUEST_TIMEOUT_MS = 30_000
/** How long a marker waits for the partition's ISR (acks=all, as Kafka writes markers). */
const MARKER_ISR_TIMEOUT_MS = 30_000
const CLIENT_ID_PREFIX = 'samsa-txn-coordinator'
/** Record batch v2 header fields read to recognise a transactional batch and its producer. */
const ATTRIBUTES_OFFSET = 21
const PRODUCER_ID_OFFSET = 43
const PRODUCER_EPOCH_OFFSET = 51
const BATCH_HEADER_SIZE = 61
const TRANSACTIONAL_BIT = 0x10

/**
 * Ties the transaction coordinator to `__transaction_state` and to the cluster, as Kafka's broker does:
 * - FindCoordinator key type 1 names the current leader of the id's partition, from any broker; the first
 *   lookup creates the topic through the controller.
 * - It follows the metadata through a CoordinatorPartitionTracker: a partition this broker comes to lead is
 *   loaded (COORDINATOR_LOAD_IN_PROGRESS meanwhile) and its transactions left in PrepareCommit/PrepareAbort
 *   are completed; a partition it stops leading is unloaded at once (NOT_COORDINATOR afterwards).
 * - Markers go to the data partitions' leaders: written locally when this broker leads them, otherwise
 *   with WriteTxnMarkers through the marker channel (Kafka's TransactionMarkerChannelManager), including
 *   the group coordinator's pending offsets on `__consumer_offsets`.
 * - KIP-890 part 1: this coordinator tells its local partitions about added partitions directly; a leader
 *   whose producer's coordinator is elsewhere asks it (AddPartitionsToTxnManager, `verifyProduce`).
 * - It runs the periodic abort of timed-out transactions and the expiry of idle transactional ids.
 */
export class TransactionCoordination {
  readonly stateManager: TransactionStateManager
  readonly coordinator: TransactionCoordinator
  private readonly connections: InterBrokerConnections
  private readonly markerChannel: TransactionMarkerChannelManager
  private readonly verifier: AddPartitionsToTxnManager
  private readonly tracker: CoordinatorPartitionTracker
  private timers: NodeJS.Timeout[] = []

  constructor(private readonly deps: TransactionCoordinationDeps) {
    const { config } = deps
    this.stateManager = new TransactionStateManager(
      new InternalTopicGroupStore(() => deps.replicaManager(), TRANSACTION_STATE_TOPIC),
      config.getNumber('transaction.state.log.num.partitions')
    )
    this.connections = new InterBrokerConnections(
      config.nodeId,
      (nodeId) => {
        const broker = deps.metadataCache().broker(nodeId)
        return broker === undefined || broker.fenced ? undefined : { host: broker.host, port: broker.port }
      },
      CLIENT_ID_PREFIX,
      deps.interBrokerSecurity
    )
    this.markerChannel = new TransactionMarkerChannelManager({
      localBrokerId: config.nodeId,
      connections: this.connections,
      leaderOf: (topic, partition) => deps.metadataCache().leaderOf(topic, partition),
      writeLocal: (marker) => this.writeMarkersLocally(marker),
      requestTimeoutMs: INTER_BROKER_REQUEST_TIMEOUT_MS
    })
    this.verifier = new AddPartitionsToTxnManager({
      connections: this.connections,
      requestTimeoutMs: INTER_BROKER_REQUEST_TIMEOUT_MS
    })
    this.coordinator = new TransactionCoordinator({
      stateManager: this.stateManager,
      generateProducerId: () => deps.producerIdManager.generateProducerId(),
      writeMarkers: (marker) => this.markerChannel.writeMarkers(marker),
      config: {
        maxTimeoutMs: config.transactionMaxTimeoutMs,
        transactionalIdExpirationMs: config.getNumber('transactional.id.expiration.ms')
      },
      onError: (err, what) => deps.logger.error({ err }, what),
      onPartitionsAdded: (producerId, producerEpoch, partitions) =>
        this.beginTxnVerification(producerId, producerEpoch, partitions)
    })
    this.tracker = new CoordinatorPartitionTracker({
      config,
      logger: deps.logger,
      metadataCache: deps.metadataCache,
      controller: deps.controller,
      controllerChannel: deps.controllerChannel,
      localNode: deps.localNode,
      topic: TRANSACTION_STATE_TOPIC,
      listener: {
        onElection: (partition, leaderEpoch, current) => this.onElection(partition, leaderEpoch, current),
        onResignation: (partition) => this.stateManager.unloadPartition(partition),
        onPartitionCount: (count) => {
          this.stateManager.numPartitions = count
        }
      },
      topicToCreate: (liveBrokers) => this.transactionStateTopic(liveBrokers)
    })
    deps.txnOffsets.verifyTransaction = (id, producerId, producerEpoch, offsetsPartition) =>
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
    this.tracker.startup()
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
    this.tracker.stop()
    for (const t of this.timers) clearInterval(t)
    this.timers = []
    // Closing the connections first fails marker requests in flight, so the coordinator stops at once.
    this.connections.close()
    await this.coordinator.shutdown()
    await this.tracker.drain()
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

  /**
   * FindCoordinator key type 1: the current leader of the id's `__transaction_state` partition, from the
   * metadata cache, on any broker. COORDINATOR_NOT_AVAILABLE only while the partition has no live leader
   * or the topic is being created (the first lookup creates it through the controller).
   */
  lookup(transactionalId: string): CoordinatorNode | number {
    return this.tracker.lookup(transactionalId)
  }

  /** The `__consumer_offsets` partition AddOffsetsToTxn adds to the transaction for a group. */
  offsetsPartitionFor(groupId: string): TopicPartition {
    return { topic: OFFSETS_TOPIC, partition: this.deps.txnOffsets.partitionFor(groupId) }
  }

  /**
   * WriteTxnMarkers on this broker as the partitions' leader: one marker per partition, each answered once
   * the partition's ISR holds it (Kafka writes markers with acks=all, so a leader change cannot lose one of
   * a completed transaction). On a `__consumer_offsets` partition the marker completes the producer's
   * transactional offset batch in the log; the group coordinator then commits or drops its in-memory
   * copy of those pending offsets.
   */
  async writeMarkersLocally(marker: Omit<TxnMarker, 'transactionalId'>): Promise<FailedMarkerPartition[]> {
    const failed: FailedMarkerPartition[] = []
    const replicaManager = this.deps.replicaManager()
    await Promise.all(
      marker.partitions.map(async (tp) => {
        try {
          const p = await replicaManager.getPartition(tp.topic, tp.partition)
          await p.appendTxnMarker(
            marker.producerId,
            marker.producerEpoch,
            marker.coordinatorEpoch,
            marker.commit
          )
          const key = partitionKey(tp.topic, tp.partition)
          // Parked follower fetches take the marker now, and their next fetch moves the high watermark.
          replicaManager.fetchPurgatory.checkAndComplete(key)
          await this.awaitIsr(p, p.log.logEndOffset)
          if (tp.topic === OFFSETS_TOPIC) {
            await this.deps.txnOffsets.completeTransaction(marker.producerId, tp.partition, marker.commit)
          }
        } catch (err) {
          failed.push({ tp, errorCode: errorCodeOf(err) })
        }
      })
    )
    return failed
  }

  private async awaitIsr(p: Partition, endOffset: number): Promise<void> {
    const error = await new Promise<Error | null>((resolve) => {
      this.deps
        .replicaManager()
        .producePurgatory.tryCompleteElseWatch(
          new DelayedProduce(p, endOffset, MARKER_ISR_TIMEOUT_MS, resolve),
          [partitionKey(p.topic, p.partitionIndex)]
        )
    })
    if (error) throw error
  }

  /**
   * KIP-890 part 1 on a partition leader, before a client's produce is appended: a transactional batch
   * that would open a transaction here is accepted only if the producer's coordinator confirms the
   * partition is part of its ongoing transaction: a coordinator on this broker is asked directly, a remote
   * one with AddPartitionsToTxn verifyOnly (the coordinator's own announcement to its local partitions,
   * beginTxnVerification, usually makes this unnecessary).
   * Throws the producer-facing error when the coordinator says no or cannot answer.
   */
  async verifyProduce(
    transactionalId: string,
    topic: string,
    partition: number,
    records: Buffer
  ): Promise<void> {
    if (records.length < BATCH_HEADER_SIZE) return
    if ((records.readInt16BE(ATTRIBUTES_OFFSET) & TRANSACTIONAL_BIT) === 0) return
    const producerId = records.readBigInt64BE(PRODUCER_ID_OFFSET)
    const producerEpoch = records.readInt16BE(PRODUCER_EPOCH_OFFSET)
    const p = this.deps.replicaManager().onlinePartition(topic, partition)
    // Not led here: the append fails by itself.
    if (p === undefined || !p.isLeader) return
    const entry = p.log.producerStateManager.lastEntry(producerId)
    // The transaction is already open on this partition: only its first batch needs verification.
    if (entry?.producerEpoch === producerEpoch && entry.currentTxnFirstOffset !== undefined) return
    const coordinatorId = this.tracker.leaderOf(transactionalId)
    if (coordinatorId === undefined) throw new KafkaError(ErrorCode.INVALID_TXN_STATE)
    if (coordinatorId < 0) throw new KafkaError(ErrorCode.NOT_ENOUGH_REPLICAS, 'no transaction coordinator')
    const code =
      coordinatorId === this.deps.config.nodeId
        ? this.verifyLocally(transactionalId, producerId, producerEpoch, { topic, partition })
        : await this.verifier.verify(
            coordinatorId,
            transactionalId,
            producerId,
            producerEpoch,
            topic,
            partition
          )
    if (code !== ErrorCode.NONE) {
      throw new KafkaError(
        code,
        `transaction verification of ${transactionalId} on ${topic}-${partition} failed`
      )
    }
    p.beginTxnVerification(producerId, producerEpoch)
  }

  /**
   * KIP-890 part 1 for the partitions this broker leads: the coordinator tells each one directly instead
   * of the partition asking it (AddPartitionsToTxn verifyOnly), `__consumer_offsets` included. Remote
   * leaders ask this coordinator when the producer's first batch reaches them (verifyProduce).
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

  private verifyLocally(
    transactionalId: string,
    producerId: bigint,
    producerEpoch: number,
    tp: TopicPartition
  ): number {
    const verified = this.coordinator.handleVerifyPartitions(transactionalId, producerId, producerEpoch, [tp])
    return producerErrorFor(typeof verified === 'number' ? verified : (verified[0] ?? ErrorCode.NONE))
  }

  /** Loads the partition's transactional ids; Prepare* transactions get their markers (onElection). */
  private async onElection(partition: number, leaderEpoch: number, current: () => boolean): Promise<void> {
    await this.coordinator.onElection(partition, leaderEpoch)
    if (!current()) return
    await this.reannounceOngoingTransactions(partition)
  }

  /**
   * `__transaction_state` as the first lookup creates it. Its replication factor is
   * transaction.state.log.replication.factor and its min.insync.replicas transaction.state.log.min.isr, both
   * capped at the live brokers: Kafka refuses (COORDINATOR_NOT_AVAILABLE) while fewer brokers are up than
   * the factor; Samsa is lenient so a dev cluster of one or two works.
   */
  private transactionStateTopic(liveBrokers: number): InternalTopic {
    const { config } = this.deps
    const replicationFactor = Math.max(
      1,
      Math.min(config.getNumber('transaction.state.log.replication.factor'), liveBrokers)
    )
    const minIsr = Math.min(config.getNumber('transaction.state.log.min.isr'), replicationFactor)
    return {
      name: TRANSACTION_STATE_TOPIC,
      numPartitions: config.getNumber('transaction.state.log.num.partitions'),
      replicationFactor,
      configs: [
        { name: 'cleanup.policy', value: 'compact' },
        { name: 'compression.type', value: 'uncompressed' },
        { name: 'min.insync.replicas', value: String(minIsr) },
        { name: 'segment.bytes', value: String(config.getNumber('transaction.state.log.segment.bytes')) }
      ]
    }
  }

  /**
   * The partitions' KIP-890 verification lives in memory, so a restarted broker has forgotten it. In Kafka
   * the partition asks the coordinator, which still knows the transaction's partitions; here the
   * coordinator tells its local partitions again for every ongoing transaction it loaded (remote leaders
   * ask it themselves). Otherwise a producer whose first batch to a partition was cut off by the crash
   * would get INVALID_TXN_STATE for its retry.
   */
  private async reannounceOngoingTransactions(statePartition: number): Promise<void> {
    for (const md of this.stateManager.ownedTransactions()) {
      if (md.state !== 'Ongoing') continue
      if (this.stateManager.partitionFor(md.transactionalId) !== statePartition) continue
      await this.beginTxnVerification(md.producerId, md.producerEpoch, md.partitions)
    }
  }
}
