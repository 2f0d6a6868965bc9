/**
 * Assembles a broker from its configuration: cluster metadata (the embedded file-backed store, a cluster of
 * one, or etcd for a multi-broker cluster: see cluster-metadata.ts), the controller, the metadata cache, the
 * log manager, the replica manager, the buffer pools and every API handler.
 */

import { samsaVersion } from '../admin/samsa-version.js'
import type { Controller } from '../cluster/controller/controller.js'
import { LeaderRebalancer } from '../cluster/controller/leader-rebalancer.js'
import type { MetadataCache } from '../cluster/metadata-cache.js'
import { createBrokerBufferPools } from '../common/buffer-pool.js'
import type { Logger } from '../common/logger.js'
import type { KafkaConfig } from '../config/kafka-config.js'
import { consumerGroupConfigFrom } from '../coordinator/group/consumer/consumer-group-config.js'
import { groupCoordinatorConfigFrom } from '../coordinator/group/group-coordinator-config.js'
import { GroupCoordinatorService } from '../coordinator/group/group-coordinator-service.js'
import type { TxnOffsetCoordinator } from '../coordinator/group/txn-offset-coordinator.js'
import { ProducerIdManager } from '../coordinator/producer-id-manager.js'
import { GroupCoordination } from '../coordinator/runtime/group-coordination.js'
import { InternalTopicGroupStore, OFFSETS_TOPIC } from '../coordinator/runtime/internal-topic-group-store.js'
import { TransactionCoordination } from '../coordinator/runtime/transaction-coordination.js'
import { AlterPartitionManager } from '../replica/alter-partition-manager.js'
import { DEFAULT_REPLICA_FETCHER_CONFIG, type ReplicaFetcherConfig } from '../replica/replica-fetcher.js'
import { ReplicaManager } from '../replica/replica-manager.js'
import { replicaSelectorFor } from '../replica/replica-selector.js'
import { ReplicationThrottle } from '../replica/replication-throttle.js'
import { followAcls } from '../security/authorizer/acl-follower.js'
import { authorizerFromConfig } from '../security/authorizer/authorizer-config.js'
import type { AwsCredentialCache } from '../security/msk-iam/aws-credential-store.js'
import { ScramCredentialCache } from '../security/scram/scram-credential-cache.js'
import { brokerLogConfig, topicLogConfig } from '../server/admin/broker-log-config.js'
import { DynamicBrokerConfig } from '../server/admin/dynamic-broker-config.js'
import type { ApiHandler } from '../server/api-registry.js'
import { createAddOffsetsToTxnHandler } from '../server/handlers/add-offsets-to-txn.js'
import { createAddPartitionsToTxnHandler } from '../server/handlers/add-partitions-to-txn.js'
import { createAlterConfigsHandler } from '../server/handlers/alter-configs.js'
import { createAlterPartitionHandler } from '../server/handlers/alter-partition.js'
import { createAlterPartitionReassignmentsHandler } from '../server/handlers/alter-partition-reassignments.js'
import { createAlterUserScramCredentialsHandler } from '../server/handlers/alter-user-scram-credentials.js'
import { apiVersionsHandler } from '../server/handlers/api-versions.js'
import { createConsumerGroupDescribeHandler } from '../server/handlers/consumer-group-describe.js'
import { createConsumerGroupHeartbeatHandler } from '../server/handlers/consumer-group-heartbeat.js'
import { createControlledShutdownHandler } from '../server/handlers/controlled-shutdown.js'
import { createCreateAclsHandler } from '../server/handlers/create-acls.js'
import { createCreatePartitionsHandler } from '../server/handlers/create-partitions.js'
import { createCreateTopicsHandler } from '../server/handlers/create-topics.js'
import { createDeleteAclsHandler } from '../server/handlers/delete-acls.js'
import { createDeleteGroupsHandler } from '../server/handlers/delete-groups.js'
import { createDeleteRecordsHandler } from '../server/handlers/delete-records.js'
import { createDeleteTopicsHandler } from '../server/handlers/delete-topics.js'
import { describeAclsHandler } from '../server/handlers/describe-acls.js'
import { createDescribeClusterHandler } from '../server/handlers/describe-cluster.js'
import { createDescribeConfigsHandler } from '../server/handlers/describe-configs.js'
import { createDescribeGroupsHandler } from '../server/handlers/describe-groups.js'
import { createDescribeLogDirsHandler } from '../server/handlers/describe-log-dirs.js'
import { createDescribeProducersHandler } from '../server/handlers/describe-producers.js'
import { createDescribeTransactionsHandler } from '../server/handlers/describe-transactions.js'
import { createDescribeUserScramCredentialsHandler } from '../server/handlers/describe-user-scram-credentials.js'
import { createElectLeadersHandler } from '../server/handlers/elect-leaders.js'
import { createEndTxnHandler } from '../server/handlers/end-txn.js'
import { createFetchHandler } from '../server/handlers/fetch.js'
import {
  type CoordinatorEndPoint,
  createFindCoordinatorHandler
} from '../server/handlers/find-coordinator.js'
import type { HandlerDeps } from '../server/handlers/handler-deps.js'
import { createHeartbeatHandler } from '../server/handlers/heartbeat.js'
import { createIncrementalAlterConfigsHandler } from '../server/handlers/incremental-alter-configs.js'
import { createInitProducerIdHandler } from '../server/handlers/init-producer-id.js'
import { createJoinGroupHandler } from '../server/handlers/join-group.js'
import { createLeaveGroupHandler } from '../server/handlers/leave-group.js'
import { createListGroupsHandler } from '../server/handlers/list-groups.js'
import { createListOffsetsHandler } from '../server/handlers/list-offsets.js'
import { createListPartitionReassignmentsHandler } from '../server/handlers/list-partition-reassignments.js'
import { createListTransactionsHandler } from '../server/handlers/list-transactions.js'
import { listenerEndPoint } from '../server/handlers/listener-endpoint.js'
import { createMetadataHandler } from '../server/handlers/metadata.js'
import { createOffsetCommitHandler } from '../server/handlers/offset-commit.js'
import { createOffsetDeleteHandler } from '../server/handlers/offset-delete.js'
import { createOffsetFetchHandler } from '../server/handlers/offset-fetch.js'
import { createOffsetForLeaderEpochHandler } from '../server/handlers/offset-for-leader-epoch.js'
import { createProduceHandler, type TxnProduceVerifier } from '../server/handlers/produce.js'
import { saslAuthenticateHandler } from '../server/handlers/sasl-authenticate.js'
import { saslHandshakeHandler } from '../server/handlers/sasl-handshake.js'
import { createSyncGroupHandler } from '../server/handlers/sync-group.js'
import { createTxnOffsetCommitHandler } from '../server/handlers/txn-offset-commit.js'
import { createWriteTxnMarkersHandler } from '../server/handlers/write-txn-markers.js'
import { type BrokerComponent, KafkaServer } from '../server/kafka-server.js'
import { LogManager } from '../storage/log-manager.js'
import { adminListenerComponent } from './admin-listener.js'
import {
  clientQuotaComponent,
  clientQuotaHandlers,
  clientQuotasFor,
  withControllerMutationQuotas
} from './client-quota-services.js'
import { type ClusterMetadata, openClusterMetadata } from './cluster-metadata.js'
import { controlledShutdown } from './controlled-shutdown.js'
import {
  brokerDefaultsReconfigurable,
  listenerTlsReconfigurable,
  replicationThrottleReconfigurable
} from './dynamic-reconfigurables.js'
import { logDirLocks } from './log-dir-locks.js'
import { logStorageEvent, MetadataEventLog } from './operator-log.js'
import { awsCredentialsFor } from './sasl-services.js'

/** Every handler this broker serves, one per API key. */
function brokerHandlers(deps: HandlerDeps, verifyTxn?: TxnProduceVerifier): ApiHandler[] {
  return [
    apiVersionsHandler,
    saslHandshakeHandler,
    saslAuthenticateHandler,
    createProduceHandler(deps, verifyTxn),
    createFetchHandler(deps),
    createListOffsetsHandler(deps),
    createMetadataHandler(deps),
    createAlterConfigsHandler(deps),
    createCreatePartitionsHandler(deps),
    createCreateTopicsHandler(deps),
    createDeleteRecordsHandler(deps),
    createDeleteTopicsHandler(deps),
    createDescribeClusterHandler(deps),
    createDescribeConfigsHandler(deps),
    createDescribeLogDirsHandler(deps),
    createIncrementalAlterConfigsHandler(deps),
    createOffsetForLeaderEpochHandler(deps),
    createAlterPartitionHandler(deps),
    createControlledShutdownHandler(deps),
    createElectLeadersHandler(deps),
    createAlterPartitionReassignmentsHandler(deps),
    createListPartitionReassignmentsHandler(deps)
  ] as ApiHandler[]
}

/** The consumer group APIs, each served by the part of the group coordinator it belongs to. */
function groupHandlers(
  groups: GroupCoordinatorService,
  coordination: GroupCoordination,
  endPointOn: CoordinatorEndPoint
): ApiHandler[] {
  return [
    createFindCoordinatorHandler(coordination.lookup, endPointOn),
    createJoinGroupHandler(groups.classic),
    createSyncGroupHandler(groups.classic),
    createHeartbeatHandler(groups.classic),
    createLeaveGroupHandler(groups.classic),
    createOffsetCommitHandler(groups.offsets),
    createOffsetFetchHandler(groups.offsets),
    createOffsetDeleteHandler(groups.offsets),
    createListGroupsHandler(groups.admin),
    createDescribeGroupsHandler(groups.admin),
    createDeleteGroupsHandler(groups.admin),
    createConsumerGroupHeartbeatHandler(groups.consumerGroups),
    createConsumerGroupDescribeHandler(groups.consumerGroups)
  ] as ApiHandler[]
}

/** The transaction APIs (InitProducerId's transactional path is wired where that handler is built). */
function transactionHandlers(
  deps: HandlerDeps,
  txn: TransactionCoordination,
  txnOffsets: TxnOffsetCoordinator
): ApiHandler[] {
  return [
    createAddPartitionsToTxnHandler(txn, (t, p) => deps.metadataCache.partition(t, p) !== undefined),
    createAddOffsetsToTxnHandler(txn),
    createEndTxnHandler(txn),
    createWriteTxnMarkersHandler(txn),
    createTxnOffsetCommitHandler(txnOffsets),
    createDescribeTransactionsHandler(() => txn.coordinator),
    createListTransactionsHandler(() => txn.coordinator),
    createDescribeProducersHandler(() => deps.replicaManager)
  ] as ApiHandler[]
}

/** The SCRAM credential APIs (KIP-554): described from this broker's cache, altered by the controller. */
function scramCredentialHandlers(
  deps: HandlerDeps,
  clusterMetadata: () => ClusterMetadata,
  credentials: () => ScramCredentialCache
): ApiHandler[] {
  return [
    createDescribeUserScramCredentialsHandler({ users: () => credentials().allUsers() }),
    createAlterUserScramCredentialsHandler({
      controllerChannel: () => deps.controllerChannel,
      credentials: () => clusterMetadata().store
    })
  ] as ApiHandler[]
}

/** The ACL APIs: described from this broker's authorizer, created and deleted by the controller. */
function aclHandlers(deps: HandlerDeps, clusterMetadata: () => ClusterMetadata): ApiHandler[] {
  const aclDeps = { controllerChannel: () => deps.controllerChannel, acls: () => clusterMetadata().store }
  return [
    createCreateAclsHandler(aclDeps),
    describeAclsHandler,
    createDeleteAclsHandler(aclDeps)
  ] as ApiHandler[]
}

/** A component whose startup builds state that later components and the handlers need. */
function component(
  name: string,
  startup: () => Promise<void>,
  shutdown: () => Promise<void>
): BrokerComponent {
  return { name, startup, shutdown }
}

/**
 * follower.replication.throttled.rate: Kafka's default (Long.MAX_VALUE) means unthrottled, which a bucket of
 * that rate never refuses; it is there anyway so that a dynamic rate (KIP-226) can change it.
 */
function replicaFetcherConfig(config: KafkaConfig, throttle: ReplicationThrottle): ReplicaFetcherConfig {
  const base = { ...DEFAULT_REPLICA_FETCHER_CONFIG, maxWaitMs: config.getNumber('replica.fetch.wait.max.ms') }
  return { ...base, throttle }
}

/** The leader and follower replication throttles, at their dynamic rates (see dynamic-reconfigurables.ts). */
function replicationThrottles(config: KafkaConfig): {
  leader: ReplicationThrottle
  follower: ReplicationThrottle
} {
  return {
    leader: new ReplicationThrottle(config.getNumber('leader.replication.throttled.rate')),
    follower: new ReplicationThrottle(config.getNumber('follower.replication.throttled.rate'))
  }
}

/** auto.leader.rebalance.enable: the active controller's periodic preferred leader election. */
function leaderRebalance(config: KafkaConfig, deps: HandlerDeps, logger: Logger): BrokerComponent {
  let rebalancer: LeaderRebalancer | undefined
  return component(
    'leader-rebalancer',
    async () => {
      if (!config.getBoolean('auto.leader.rebalance.enable')) return
      rebalancer = new LeaderRebalancer({
        controller: deps.controller,
        isController: () => deps.controllerChannel.isActiveController(),
        checkIntervalMs: config.getNumber('leader.imbalance.check.interval.seconds') * 1000,
        imbalancePercentage: config.getNumber('leader.imbalance.per.broker.percentage'),
        onError: (err) => logger.error({ err }, 'controller: leader rebalance failed')
      })
      rebalancer.start()
    },
    async () => rebalancer?.close()
  )
}

export function createBroker(config: KafkaConfig, logger: Logger): KafkaServer {
  // Fetch reads lease from the same pool the connections release written responses to.
  const bufferPools = createBrokerBufferPools()
  // Dynamic broker configs (KIP-226) change the log defaults; topics without overrides follow them.
  const dynamicConfig = new DynamicBrokerConfig(config, logger)
  let defaults = brokerLogConfig(config)
  const throttles = replicationThrottles(config)
  let clusterMetadata: ClusterMetadata | undefined
  let cache: MetadataCache | undefined
  let controller: Controller | undefined
  let logManager: LogManager | undefined
  let replicaManager: ReplicaManager | undefined
  let scramCredentials: ScramCredentialCache | undefined
  let awsCredentials: AwsCredentialCache | undefined
  let eventLog: MetadataEventLog | undefined
  const clientQuotas = clientQuotasFor(config)
  const metadataStore = () => required(clusterMetadata, 'metadata').store
  // authorizer.class.name: the ACLs are loaded with the metadata, before any request is served.
  const authorizer = authorizerFromConfig(config)
  let unfollowAcls: (() => void) | undefined
  let logsRecovered = false

  const required = <T>(value: T | undefined, what: string): T => {
    if (value === undefined) throw new Error(`${what} is not started`)
    return value
  }

  const metadata = component(
    'metadata',
    async () => {
      clusterMetadata = await openClusterMetadata(config, logger)
      controller = clusterMetadata.controller
      cache = clusterMetadata.cache
      scramCredentials = await ScramCredentialCache.start(clusterMetadata.store)
      awsCredentials = await awsCredentialsFor(config, clusterMetadata.store)
      await dynamicConfig.start(clusterMetadata.store)
      if (authorizer) unfollowAcls = await followAcls(clusterMetadata.store, authorizer)
      const channel = clusterMetadata.controllerChannel
      eventLog = new MetadataEventLog(clusterMetadata.cache, logger, config.nodeId, () =>
        channel.isActiveController()
      )
      eventLog.start()
    },
    async () => {
      eventLog?.stop()
      unfollowAcls?.()
      dynamicConfig.close()
      scramCredentials?.close()
      awsCredentials?.close()
      await clusterMetadata?.close()
    }
  )

  const logs = component(
    'log-manager',
    async () => {
      const metadataCache = required(cache, 'metadata')
      logManager = new LogManager({
        logDirs: config.logDirs,
        defaultConfig: defaults,
        topicConfig: (name) => {
          const topic = metadataCache.topicByName(name)
          return topic ? topicLogConfig(defaults, metadataCache.topicConfigs(topic.topicId)) : defaults
        },
        retentionCheckIntervalMs: config.logRetentionCheckIntervalMs,
        cleanerEnable: config.logCleanerEnable,
        cleanerBackoffMs: config.getNumber('log.cleaner.backoff.ms'),
        producerIdExpirationMs: config.getNumber('producer.id.expiration.ms'),
        onEvent: (event) => logStorageEvent(logger, event)
      })
      await logManager.startup()
      logsRecovered = true
    },
    async () => {
      await logManager?.shutdown()
    }
  )

  const replicas = component(
    'replica-manager',
    async () => {
      const metadataCache = required(cache, 'metadata')
      replicaManager = new ReplicaManager({
        localBrokerId: config.nodeId,
        logManager: required(logManager, 'log manager'),
        metadataCache,
        logConfigFor: (topic) => topicLogConfig(defaults, metadataCache.topicConfigs(topic.topicId)),
        onError: (err, what) => logger.error({ err }, what),
        alterIsr: async (partition, newIsr) => {
          const from = partition.registration.isr
          const what = { topic: partition.topic, partition: partition.partitionIndex, from, to: newIsr }
          logger.info(what, newIsr.length < from.length ? 'shrinking ISR' : 'expanding ISR')
          try {
            await alterPartitions.submit(partition, newIsr)
          } catch (err) {
            logger.warn({ ...what, err }, 'ISR change not applied')
            throw err
          }
        },
        replicaLagTimeMaxMs: config.getNumber('replica.lag.time.max.ms'),
        replicaFetcherConfig: replicaFetcherConfig(config, throttles.follower),
        leaderReplicationThrottle: throttles.leader,
        replicaSelector: replicaSelectorFor(config.getString('replica.selector.class')),
        fetchReadPool: bufferPools.fetchReads,
        interBrokerSecurity: required(clusterMetadata, 'metadata').interBrokerSecurity
      })
      await replicaManager.startup()
    },
    async () => {
      await replicaManager?.shutdown()
    }
  )

  const alterPartitions = new AlterPartitionManager(
    config.nodeId,
    () => deps.controller,
    () => deps.controllerChannel
  )
  let server: KafkaServer | undefined
  // Handlers are built now but reach the components lazily: those exist only once the server starts them.
  const deps: HandlerDeps = {
    config,
    get metadataCache() {
      return required(cache, 'metadata')
    },
    get controller() {
      return required(controller, 'controller')
    },
    get replicaManager() {
      return required(replicaManager, 'replica manager')
    },
    get controllerChannel() {
      return required(clusterMetadata, 'metadata').controllerChannel
    },
    advertisedEndPoints: () => server?.advertisedEndPoints() ?? config.advertisedListeners,
    dynamicConfigs: {
      dynamicConfig,
      get store() {
        return required(clusterMetadata, 'metadata').store
      }
    }
  }
  dynamicConfig.addReconfigurable(
    brokerDefaultsReconfigurable((next) => {
      defaults = brokerLogConfig(next)
      replicaManager?.refreshLogConfigs()
    })
  )
  dynamicConfig.addReconfigurable(replicationThrottleReconfigurable(throttles))
  dynamicConfig.addReconfigurable(
    listenerTlsReconfigurable({
      inUse: (listener) => server?.listenerTlsOptions(listener),
      reload: (listener, options) => {
        server?.reloadListenerTls(listener, options)
        logger.info({ listener }, 'TLS keystore and truststore reloaded')
      }
    })
  )
  // offsets.commit.timeout.ms bounds each acks=all write to `__consumer_offsets`.
  const groupStore = new InternalTopicGroupStore(
    () => deps.replicaManager,
    OFFSETS_TOPIC,
    config.getNumber('offsets.commit.timeout.ms')
  )
  const groupCoordinator = new GroupCoordinatorService(groupStore, {
    config: groupCoordinatorConfigFrom(config),
    isValidTopicPartition: (topic, partition) => deps.metadataCache.partition(topic, partition) !== undefined,
    consumerGroupConfig: consumerGroupConfigFrom(config),
    topics: {
      byName: (name) => {
        const t = deps.metadataCache.topicByName(name)
        return t && { topicId: t.topicId, numPartitions: t.partitions.length }
      },
      nameOf: (topicId) => deps.metadataCache.topicById(topicId)?.name,
      names: () => deps.metadataCache.topicNames()
    }
  })
  // Producer ids come in durably reserved blocks from the cluster metadata's source (etcd or a file).
  const producerIds = new ProducerIdManager({
    source: {
      allocateBlock: () => required(clusterMetadata, 'metadata').producerIdBlockSource.allocateBlock()
    }
  })
  const transactionCoordination = new TransactionCoordination({
    config,
    logger,
    txnOffsets: groupCoordinator.txnOffsets,
    producerIdManager: producerIds,
    metadataCache: () => deps.metadataCache,
    controller: () => deps.controller,
    controllerChannel: () => deps.controllerChannel,
    replicaManager: () => deps.replicaManager,
    localNode: () => {
      const endpoint = deps.advertisedEndPoints()[0]!
      return { nodeId: config.nodeId, host: endpoint.host || '127.0.0.1', port: endpoint.port }
    },
    interBrokerSecurity: () => required(clusterMetadata, 'metadata').interBrokerSecurity
  })
  const coordination = new GroupCoordination({
    transactionLookup: (id) => transactionCoordination.lookup(id),
    config,
    logger,
    coordinator: groupCoordinator,
    metadataCache: () => deps.metadataCache,
    controller: () => deps.controller,
    controllerChannel: () => deps.controllerChannel,
    replicaManager: () => deps.replicaManager,
    localNode: () => {
      const endpoint = deps.advertisedEndPoints()[0]!
      return { nodeId: config.nodeId, host: endpoint.host || '127.0.0.1', port: endpoint.port }
    }
  })
  const groups = component(
    'group-coordinator',
    () => coordination.startup(),
    () => coordination.shutdown()
  )

  const transactions = component(
    'transaction-coordinator',
    () => transactionCoordination.startup(),
    () => transactionCoordination.shutdown()
  )

  // The admin HTTP listener (src/admin) reads the running broker through these getters.
  const adminListener = adminListenerComponent(
    () => ({
      config,
      brokerConfigView: () => dynamicConfig.view(),
      version: samsaVersion(),
      metadataCache: () => cache,
      replicaManager: () => replicaManager,
      logsRecovered: () => logsRecovered,
      server: () => server,
      groups: groupCoordinator,
      isActiveController: () => clusterMetadata?.controllerChannel.isActiveController() ?? false,
      controllerId: () => clusterMetadata?.controllerChannel.controllerId() ?? -1,
      auth: {
        mechanisms: () => server?.saslMechanisms() ?? new Map(),
        scramCredential: (user, mechanism) => scramCredentials?.credential(user, mechanism)
      }
    }),
    logger
  )
  server = new KafkaServer({
    config,
    logger,
    bufferPools,
    quotas: clientQuotas,
    // Listeners are built before the metadata opens; mechanisms look credentials up once a client authenticates.
    saslContext: {
      scramCredentials: { credential: (user, m) => scramCredentials?.credential(user, m) },
      awsCredentials: { credential: (accessKeyId) => awsCredentials?.credential(accessKeyId) },
      advertisedHost: (listener) =>
        server?.advertisedEndPoints().find((e) => e.listenerName === listener)?.host
    },
    handlers: [
      ...withControllerMutationQuotas(
        brokerHandlers(deps, (id, topic, partition, records) =>
          transactionCoordination.verifyProduce(id, topic, partition, records)
        ),
        clientQuotas,
        config,
        () => deps.metadataCache
      ),
      createInitProducerIdHandler(
        () => producerIds,
        (request, ctx) => transactionCoordination.initProducerId(request, ctx.apiVersion)
      ) as ApiHandler,
      ...groupHandlers(groupCoordinator, coordination, (nodeId, listenerName) => {
        const broker = deps.metadataCache.broker(nodeId)
        return broker && listenerEndPoint(broker, listenerName, config.nodeId, deps.advertisedEndPoints)
      }),
      ...transactionHandlers(deps, transactionCoordination, groupCoordinator.txnOffsets),
      ...scramCredentialHandlers(
        deps,
        () => required(clusterMetadata, 'metadata'),
        () => required(scramCredentials, 'metadata')
      ),
      ...clientQuotaHandlers(clientQuotas, metadataStore),
      ...aclHandlers(deps, () => required(clusterMetadata, 'metadata'))
    ],
    authorizer,
    components: [
      logDirLocks(config.logDirs),
      adminListener,
      metadata,
      clientQuotaComponent(clientQuotas, metadataStore),
      logs,
      replicas,
      groups,
      transactions,
      leaderRebalance(config, deps, logger)
    ],
    beforeShutdown: async () => {
      // A cluster of one has nobody to hand leadership to.
      if (config.getString('metadata.store') !== 'etcd' || !config.getBoolean('controlled.shutdown.enable'))
        return
      await controlledShutdown({
        nodeId: config.nodeId,
        controller: deps.controller,
        controllerChannel: deps.controllerChannel,
        metadataCache: deps.metadataCache,
        logger,
        maxRetries: config.getNumber('controlled.shutdown.max.retries'),
        retryBackoffMs: config.getNumber('controlled.shutdown.retry.backoff.ms')
      })
    }
  })
  return server
}
