/**
 * Assembles a broker from its configuration: cluster metadata (the embedded file-backed store: a cluster of
 * one), the controller, the metadata cache, the log manager, the replica manager and every API handler.
 */

import { Controller } from '../cluster/controller.js'
import { FileMetadataStore } from '../cluster/file-metadata-store.js'
import { MetadataCache } from '../cluster/metadata-cache.js'
import { ReplicaManager } from '../cluster/replica-manager.js'
import type { KafkaConfig } from '../config/kafka-config.js'
import { LogManager } from '../storage/log-manager.js'
import type { ApiHandler } from './api-registry.js'
import { brokerLogConfig, topicLogConfig } from './broker-log-config.js'
import { apiVersionsHandler } from './handlers/api-versions.js'
import { createFetchHandler } from './handlers/fetch.js'
import type { HandlerDeps } from './handlers/handler-deps.js'
import { createListOffsetsHandler } from './handlers/list-offsets.js'
import { createMetadataHandler } from './handlers/metadata.js'
import { createProduceHandler } from './handlers/produce.js'
import { type BrokerComponent, KafkaServer } from './kafka-server.js'
import type { Logger } from './logger.js'

/** Every handler this broker serves, one per API key. */
function brokerHandlers(deps: HandlerDeps): ApiHandler[] {
  return [
    apiVersionsHandler,
    createProduceHandler(deps),
    createFetchHandler(deps),
    createListOffsetsHandler(deps),
    createMetadataHandler(deps)
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

export function createBroker(config: KafkaConfig, logger: Logger): KafkaServer {
  const defaults = brokerLogConfig(config)
  let store: FileMetadataStore | undefined
  let cache: MetadataCache | undefined
  let controller: Controller | undefined
  let logManager: LogManager | undefined
  let replicaManager: ReplicaManager | undefined

  const required = <T>(value: T | undefined, what: string): T => {
    if (value === undefined) throw new Error(`${what} is not started`)
    return value
  }

  const metadata = component(
    'metadata',
    async () => {
      store = await FileMetadataStore.open({ logDirs: config.logDirs, nodeId: config.nodeId })
      controller = new Controller(store, {
        defaultNumPartitions: config.numPartitions,
        defaultReplicationFactor: config.defaultReplicationFactor,
        deleteTopicEnable: config.getBoolean('delete.topic.enable'),
        uncleanLeaderElectionEnable: config.getBoolean('unclean.leader.election.enable')
      })
      const advertised = config.advertisedListeners[0]!
      await controller.registerBroker({
        nodeId: config.nodeId,
        host: advertised.host || '127.0.0.1',
        port: advertised.port,
        rack: config.brokerRack,
        listeners: config.advertisedListeners.map((e) => ({
          name: e.listenerName,
          host: e.host,
          port: e.port,
          securityProtocol: 0
        }))
      })
      cache = await MetadataCache.start(store)
    },
    async () => {
      cache?.close()
      await store?.close()
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
        retentionCheckIntervalMs: config.logRetentionCheckIntervalMs
      })
      await logManager.startup()
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
        onError: (err, what) => logger.error({ err }, what)
      })
      await replicaManager.startup()
    },
    async () => {
      await replicaManager?.shutdown()
    }
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
    advertisedEndPoints: () => server?.advertisedEndPoints() ?? config.advertisedListeners
  }
  server = new KafkaServer({
    config,
    logger,
    handlers: brokerHandlers(deps),
    components: [metadata, logs, replicas]
  })
  return server
}
