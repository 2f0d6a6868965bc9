/**
 * The broker configuration keys Samsa understands, with Kafka's names, defaults and ranges (Kafka 3.x).
 * Deliberate differences from Kafka: `listeners` defaults to PLAINTEXT://127.0.0.1:9092, `log.dirs` to ./data
 * and `node.id` to 1, so that `samsa broker` runs as a single embedded node with no configuration.
 * Keys marked `ignored` are accepted so that a stock Kafka server.properties loads without warnings.
 */

import { AUTHORIZER_CONFIG_KEYS } from './authorizer-config-keys.js'
import type { ConfigKey } from './config-def.js'
import { QUOTA_CONFIG_KEYS } from './quota-config-keys.js'
import { SASL_OAUTHBEARER_CONFIG_KEYS } from './sasl-oauthbearer-config-keys.js'
import { SECURITY_CONFIG_KEYS } from './security-config-keys.js'

const LONG_MAX = '9223372036854775807'
const CLEANUP_POLICIES = ['compact', 'delete'] as const
const COMPRESSION_TYPES = ['uncompressed', 'zstd', 'lz4', 'snappy', 'gzip', 'producer'] as const

export const BROKER_CONFIG_KEYS: readonly ConfigKey[] = [
  // Server and network
  { name: 'node.id', type: 'int', default: '1', min: 0 },
  { name: 'broker.id', type: 'int', default: null, min: 0 },
  { name: 'broker.rack', type: 'string', default: null },
  { name: 'listeners', type: 'list', default: 'PLAINTEXT://127.0.0.1:9092' },
  { name: 'advertised.listeners', type: 'list', default: null },
  // Samsa's admin HTTP listener (metrics, health, /v1 admin API): http:// or https:// URLs; empty disables it.
  { name: 'admin.listeners', type: 'list', default: 'http://127.0.0.1:9644' },
  {
    name: 'listener.security.protocol.map',
    type: 'list',
    default: 'PLAINTEXT:PLAINTEXT,SSL:SSL,SASL_PLAINTEXT:SASL_PLAINTEXT,SASL_SSL:SASL_SSL'
  },
  { name: 'socket.request.max.bytes', type: 'int', default: '104857600', min: 1 },
  { name: 'connections.max.idle.ms', type: 'long', default: '600000' },
  { name: 'queued.max.requests', type: 'int', default: '500', min: 1 },
  { name: 'message.max.bytes', type: 'int', default: '1048588', min: 0 },
  { name: 'auto.create.topics.enable', type: 'boolean', default: 'true' },
  { name: 'delete.topic.enable', type: 'boolean', default: 'true' },
  { name: 'num.partitions', type: 'int', default: '1', min: 1 },
  { name: 'default.replication.factor', type: 'int', default: '1', min: 1 },
  { name: 'min.insync.replicas', type: 'int', default: '1', min: 1 },
  { name: 'unclean.leader.election.enable', type: 'boolean', default: 'false' },
  { name: 'compression.type', type: 'string', default: 'producer', validValues: COMPRESSION_TYPES },
  { name: 'replica.lag.time.max.ms', type: 'long', default: '30000' },
  { name: 'replica.fetch.wait.max.ms', type: 'int', default: '500', min: 0 },
  {
    name: 'replica.selector.class',
    type: 'string',
    default: null,
    validValues: ['org.apache.kafka.common.replica.RackAwareReplicaSelector']
  },
  { name: 'controlled.shutdown.enable', type: 'boolean', default: 'true' },
  { name: 'controlled.shutdown.max.retries', type: 'int', default: '3', min: 1 },
  { name: 'controlled.shutdown.retry.backoff.ms', type: 'long', default: '5000', min: 0 },
  { name: 'auto.leader.rebalance.enable', type: 'boolean', default: 'true' },
  { name: 'follower.replication.throttled.rate', type: 'long', default: LONG_MAX, min: 1 },
  { name: 'leader.replication.throttled.rate', type: 'long', default: LONG_MAX, min: 1 },
  { name: 'leader.imbalance.check.interval.seconds', type: 'long', default: '300', min: 1 },
  { name: 'leader.imbalance.per.broker.percentage', type: 'int', default: '10', min: 0 },
  { name: 'fetch.max.bytes', type: 'int', default: '57671680', min: 1024 },

  // Log
  { name: 'log.dirs', type: 'list', default: null },
  { name: 'log.dir', type: 'list', default: null },
  { name: 'log.segment.bytes', type: 'int', default: '1073741824', min: 14 },
  { name: 'log.roll.ms', type: 'long', default: null },
  { name: 'log.roll.hours', type: 'int', default: '168', min: 1 },
  { name: 'log.retention.ms', type: 'long', default: null },
  { name: 'log.retention.minutes', type: 'int', default: null },
  { name: 'log.retention.hours', type: 'int', default: '168' },
  { name: 'log.retention.bytes', type: 'long', default: '-1' },
  { name: 'log.retention.check.interval.ms', type: 'long', default: '300000', min: 1 },
  { name: 'log.segment.delete.delay.ms', type: 'long', default: '60000', min: 0 },
  { name: 'log.flush.interval.messages', type: 'long', default: LONG_MAX, min: 1 },
  { name: 'log.flush.interval.ms', type: 'long', default: null },
  { name: 'log.flush.scheduler.interval.ms', type: 'long', default: LONG_MAX },
  { name: 'log.index.size.max.bytes', type: 'int', default: '10485760', min: 4 },
  { name: 'log.index.interval.bytes', type: 'int', default: '4096', min: 0 },
  { name: 'log.preallocate', type: 'boolean', default: 'false' },
  {
    name: 'log.message.timestamp.type',
    type: 'string',
    default: 'CreateTime',
    validValues: ['CreateTime', 'LogAppendTime']
  },
  { name: 'log.cleanup.policy', type: 'list', default: 'delete', validValues: CLEANUP_POLICIES },
  { name: 'log.cleaner.enable', type: 'boolean', default: 'true' },
  { name: 'log.cleaner.threads', type: 'int', default: '1', min: 0 },
  { name: 'log.cleaner.backoff.ms', type: 'long', default: '15000', min: 0 },
  { name: 'log.cleaner.min.cleanable.ratio', type: 'double', default: '0.5', min: 0, max: 1 },
  { name: 'log.cleaner.delete.retention.ms', type: 'long', default: '86400000', min: 0 },
  { name: 'log.cleaner.min.compaction.lag.ms', type: 'long', default: '0', min: 0 },
  { name: 'log.cleaner.max.compaction.lag.ms', type: 'long', default: LONG_MAX, min: 1 },
  { name: 'num.recovery.threads.per.data.dir', type: 'int', default: '1', min: 1, ignored: true },

  // Group coordinator
  { name: 'offsets.topic.num.partitions', type: 'int', default: '50', min: 1 },
  { name: 'offsets.topic.replication.factor', type: 'short', default: '3', min: 1 },
  { name: 'offsets.topic.segment.bytes', type: 'int', default: '104857600', min: 1 },
  { name: 'offsets.retention.minutes', type: 'int', default: '10080', min: 1 },
  { name: 'offsets.retention.check.interval.ms', type: 'long', default: '600000', min: 1 },
  { name: 'offsets.commit.timeout.ms', type: 'int', default: '5000', min: 1 },
  { name: 'group.initial.rebalance.delay.ms', type: 'int', default: '3000' },
  { name: 'group.min.session.timeout.ms', type: 'int', default: '6000' },
  { name: 'group.max.session.timeout.ms', type: 'int', default: '1800000' },
  { name: 'group.max.size', type: 'int', default: '2147483647', min: 1 },
  { name: 'group.consumer.heartbeat.interval.ms', type: 'int', default: '5000', min: 1 },
  { name: 'group.consumer.session.timeout.ms', type: 'int', default: '45000', min: 1 },
  { name: 'group.consumer.max.size', type: 'int', default: '2147483647', min: 1 },

  // Transaction coordinator
  { name: 'transaction.max.timeout.ms', type: 'int', default: '900000', min: 1 },
  { name: 'transaction.state.log.num.partitions', type: 'int', default: '50', min: 1 },
  { name: 'transaction.state.log.replication.factor', type: 'short', default: '3', min: 1 },
  { name: 'transaction.state.log.min.isr', type: 'int', default: '2', min: 1 },
  { name: 'transactional.id.expiration.ms', type: 'int', default: '604800000', min: 1 },
  { name: 'producer.id.expiration.ms', type: 'int', default: '86400000', min: 1 },
  { name: 'transaction.state.log.segment.bytes', type: 'int', default: '104857600', min: 1 },
  {
    name: 'transaction.abort.timed.out.transaction.cleanup.interval.ms',
    type: 'int',
    default: '10000',
    min: 1
  },
  {
    name: 'transaction.remove.expired.transaction.cleanup.interval.ms',
    type: 'int',
    default: '3600000',
    min: 1
  },

  // Cluster metadata: the embedded file store (a cluster of one) or etcd (a multi-broker cluster)
  { name: 'metadata.store', type: 'string', default: 'file', validValues: ['file', 'etcd'] },
  { name: 'etcd.endpoints', type: 'list', default: null },
  { name: 'etcd.cluster.name', type: 'string', default: 'samsa' },
  // TLS to etcd (https endpoints): PEM files, Kafka's ssl.* names under etcd.
  { name: 'etcd.ssl.truststore.location', type: 'string', default: null },
  { name: 'etcd.ssl.keystore.location', type: 'string', default: null },
  { name: 'etcd.ssl.key.password', type: 'password', default: null },
  { name: 'broker.session.timeout.ms', type: 'int', default: '9000', min: 1 },

  // Accepted for compatibility; threads and socket buffers have no meaning on Node's single event loop.
  { name: 'num.io.threads', type: 'int', default: '8', min: 1, ignored: true },
  { name: 'num.network.threads', type: 'int', default: '3', min: 1, ignored: true },
  { name: 'background.threads', type: 'int', default: '10', min: 1, ignored: true },
  { name: 'socket.send.buffer.bytes', type: 'int', default: '102400', ignored: true },
  { name: 'socket.receive.buffer.bytes', type: 'int', default: '102400', ignored: true },
  { name: 'process.roles', type: 'list', default: '', ignored: true },
  { name: 'controller.quorum.voters', type: 'list', default: '', ignored: true },
  { name: 'controller.quorum.bootstrap.servers', type: 'list', default: '', ignored: true },
  { name: 'controller.listener.names', type: 'string', default: null, ignored: true },
  { name: 'share.coordinator.state.topic.replication.factor', type: 'short', default: '3', ignored: true },
  { name: 'share.coordinator.state.topic.min.isr', type: 'short', default: '2', ignored: true },
  { name: 'zookeeper.connect', type: 'string', default: null, ignored: true },
  { name: 'zookeeper.connection.timeout.ms', type: 'int', default: null, ignored: true },

  ...SECURITY_CONFIG_KEYS,
  ...AUTHORIZER_CONFIG_KEYS,
  ...SASL_OAUTHBEARER_CONFIG_KEYS,
  ...QUOTA_CONFIG_KEYS
]
