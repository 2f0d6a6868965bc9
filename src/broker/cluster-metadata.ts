/**
 * The broker's cluster metadata, assembled from `metadata.store`: the embedded file store (a cluster of one,
 * the default) or etcd (a multi-broker cluster, where each broker registers itself, one elected broker runs
 * the controller, and the others forward controller requests to it).
 */

import { join } from 'node:path'
import { ClusterControllerService } from '../cluster/controller/cluster-controller-service.js'
import { Controller } from '../cluster/controller/controller.js'
import { ControllerChannel } from '../cluster/controller-channel.js'
import { EtcdMetadataStore } from '../cluster/etcd/etcd-metadata-store.js'
import { EtcdProducerIdBlockSource } from '../cluster/etcd/etcd-producer-id-block-source.js'
import type { EtcdTlsCredentials } from '../cluster/etcd/etcd-tls-credentials.js'
import { FileMetadataStore } from '../cluster/file-metadata-store.js'
import { ensureMetaProperties } from '../cluster/meta-properties.js'
import { MetadataCache } from '../cluster/metadata-cache.js'
import type { BrokerRegistrationRequest, MetadataStore } from '../cluster/metadata-store.js'
import type { Logger } from '../common/logger.js'
import { ConfigError } from '../config/config-error.js'
import type { KafkaConfig } from '../config/kafka-config.js'
import { securityProtocolId } from '../config/security-config-keys.js'
import { FileProducerIdBlockSource, type ProducerIdBlockSource } from '../coordinator/producer-id-manager.js'
import { type BrokerChannelSecurity, PLAINTEXT_CHANNEL } from '../network/broker-channel-security.js'
import { requestOnce } from '../network/broker-connection.js'
import { interBrokerClientSecurity } from '../security/inter-broker-client-security.js'
import { etcdTlsCredentials } from './etcd-tls-settings.js'

export interface ClusterMetadata {
  readonly store: MetadataStore
  readonly controller: Controller
  readonly cache: MetadataCache
  readonly controllerChannel: ControllerChannel
  /** Producer id blocks: etcd's cluster-wide counter in a cluster (ids never repeat across brokers), else a file. */
  readonly producerIdBlockSource: ProducerIdBlockSource
  /** How this broker reaches the others: the inter-broker listener's TLS and SASL (plain TCP alone). */
  readonly interBrokerSecurity: BrokerChannelSecurity
  close(): Promise<void>
}

export interface EtcdSettings {
  readonly endpoints: readonly string[]
  /** TLS to https endpoints (etcd.ssl.*), null for http. */
  readonly tls: EtcdTlsCredentials | null
  readonly clusterName: string
  readonly leaseTtlSeconds: number
}

/** etcd's settings from the config, or null for the file store; ConfigError names the key at fault. */
export function etcdSettings(config: KafkaConfig): EtcdSettings | null {
  if (config.getString('metadata.store') !== 'etcd') return null
  const endpoints = config.getList('etcd.endpoints')
  if (endpoints.length === 0) {
    throw ConfigError.invalidValue(
      'etcd.endpoints',
      '',
      'must list etcd client URLs (http://host:port or https://host:port, comma-separated) when metadata.store=etcd'
    )
  }
  for (const endpoint of endpoints) {
    if (!/^https?:\/\/[^/]+$/.test(endpoint)) {
      throw ConfigError.invalidValue(
        'etcd.endpoints',
        endpoint,
        'each item must be http://host:port or https://host:port'
      )
    }
  }
  const clusterName = config.getString('etcd.cluster.name') ?? ''
  if (!/^[A-Za-z0-9._-]+$/.test(clusterName)) {
    throw ConfigError.invalidValue(
      'etcd.cluster.name',
      clusterName,
      'must be a non-empty name of letters, digits, ".", "_" or "-"'
    )
  }
  // Other brokers learn this broker's address from etcd, so it must be the real one, known before binding.
  for (const endpoint of config.advertisedListeners) {
    if (endpoint.port === 0) {
      throw ConfigError.invalidValue(
        'listeners',
        config.getList('listeners').join(','),
        'must name fixed ports (not 0) when metadata.store=etcd'
      )
    }
  }
  const sessionTimeoutMs = config.getNumber('broker.session.timeout.ms')
  // etcd leases have a granularity of seconds and cannot usefully be shorter than about two.
  return {
    endpoints,
    tls: etcdTlsCredentials(config, endpoints),
    clusterName,
    leaseTtlSeconds: Math.max(2, Math.round(sessionTimeoutMs / 1000))
  }
}

export async function openClusterMetadata(config: KafkaConfig, logger: Logger): Promise<ClusterMetadata> {
  const etcd = etcdSettings(config)
  // A cluster of one never dials another broker: its inter-broker settings are not needed, nor checked.
  const interBrokerSecurity: BrokerChannelSecurity = etcd
    ? interBrokerClientSecurity(config)
    : PLAINTEXT_CHANNEL
  const store = etcd
    ? await EtcdMetadataStore.open({
        endpoints: etcd.endpoints,
        tls: etcd.tls,
        clusterName: etcd.clusterName,
        nodeId: config.nodeId,
        leaseTtlSeconds: etcd.leaseTtlSeconds
      })
    : await FileMetadataStore.open({ logDirs: config.logDirs, nodeId: config.nodeId })
  let service: ClusterControllerService | undefined
  let cache: MetadataCache | undefined
  try {
    if (etcd) await ensureMetaProperties(config.logDirs, config.nodeId, store.clusterId)
    const controller = new Controller(store, {
      defaultNumPartitions: config.numPartitions,
      defaultReplicationFactor: config.defaultReplicationFactor,
      deleteTopicEnable: config.getBoolean('delete.topic.enable'),
      uncleanLeaderElectionEnable: config.getBoolean('unclean.leader.election.enable')
    })
    const registration = brokerRegistration(config)
    if (store instanceof EtcdMetadataStore) {
      // Each broker writes its own registration, bound to its session lease; the controller reacts to it.
      await store.registerBroker(registration)
      service = new ClusterControllerService({
        store,
        election: store.election,
        controller,
        onError: (err, what) => logger.error({ err }, `controller: ${what} failed`)
      })
      service.start()
    } else {
      await controller.registerBroker(registration)
    }
    cache = await MetadataCache.start(store)
    const metadataCache = cache
    const election = store instanceof EtcdMetadataStore ? store.election : null
    const controllerChannel = new ControllerChannel(
      config.nodeId,
      {
        isActiveController: () => election?.isController ?? true,
        controllerId: () => (election ? election.controllerId : config.nodeId),
        endpointOf: (nodeId) => {
          const broker = metadataCache.broker(nodeId)
          return broker && !broker.fenced ? { host: broker.host, port: broker.port } : undefined
        }
      },
      (endpoint, clientId, request, timeoutMs) =>
        requestOnce(endpoint, clientId, interBrokerSecurity, request, timeoutMs)
    )
    if (election) {
      election.onLeadershipChange((isController, epoch) => {
        logger.info({ isController, controllerEpoch: epoch }, 'controllership changed')
      })
    }
    const etcdProducerIds = etcd
      ? EtcdProducerIdBlockSource.connect({
          endpoints: etcd.endpoints,
          tls: etcd.tls,
          clusterName: etcd.clusterName
        })
      : null
    return {
      store,
      controller,
      cache,
      controllerChannel,
      interBrokerSecurity,
      producerIdBlockSource:
        etcdProducerIds ?? new FileProducerIdBlockSource(join(config.logDirs[0]!, '__cluster_metadata')),
      async close() {
        etcdProducerIds?.close()
        service?.close()
        metadataCache.close()
        await store.close()
      }
    }
  } catch (err) {
    service?.close()
    cache?.close()
    await store.close()
    throw err
  }
}

/**
 * Every advertised listener is registered, so each client is answered with the endpoints of the listener it
 * connected on; the top-level host and port are the inter-broker listener's, which other brokers dial.
 */
function brokerRegistration(config: KafkaConfig): BrokerRegistrationRequest {
  const listeners = config.advertisedListeners.map((e) => ({
    name: e.listenerName,
    host: e.host || '127.0.0.1',
    port: e.port,
    securityProtocol: securityProtocolId(e.securityProtocol)
  }))
  const interBroker = listeners.find((l) => l.name === config.interBrokerListenerName) ?? listeners[0]!
  return {
    nodeId: config.nodeId,
    host: interBroker.host,
    port: interBroker.port,
    rack: config.brokerRack,
    listeners
  }
}
