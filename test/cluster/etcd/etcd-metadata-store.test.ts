import assert from 'node:assert/strict'
import { test } from 'node:test'
import { Etcd3 } from 'etcd3'
import { brokerKey, CONTROLLER_EPOCH_KEY, clusterPrefix } from '../../../src/cluster/etcd/etcd-keys.js'
import type {
  EtcdMetadataStore,
  EtcdMetadataStoreOptions
} from '../../../src/cluster/etcd/etcd-metadata-store.js'
import { randomUuid } from '../../../src/cluster/kafka-uuid.js'
import { MetadataCache } from '../../../src/cluster/metadata-cache.js'
import type { MetadataDelta, NewPartition } from '../../../src/cluster/metadata-store.js'
import { ErrorCode } from '../../../src/protocol/error-codes.js'
import { ensureEtcd } from '../../helpers/etcd-process.js'
import { etcdForFile, rejectsWith, StoreProcess, waitFor } from './etcd-store-kit.js'

const skip = await ensureEtcd()
if (skip) console.log(`skipping the etcd MetadataStore tests: ${skip}`)
const opts = { skip }

const stores = etcdForFile(skip)

let n = 0
const freshCluster = (): string => `case-${n++}`
const one = (leader = 1): NewPartition => ({ replicas: [leader], isr: [leader], leader })
const broker = { nodeId: 1, host: 'localhost', port: 9092, rack: null, listeners: [] }

function openStore(
  clusterName: string,
  extra: Partial<EtcdMetadataStoreOptions> = {}
): Promise<EtcdMetadataStore> {
  return stores.openStore({ clusterName, nodeId: 1, leaseTtlSeconds: 2, ...extra })
}

/** A store that has won the controller election of its (fresh) cluster. */
async function controllerStore(clusterName = freshCluster()): Promise<EtcdMetadataStore> {
  const store = await openStore(clusterName)
  await waitFor(() => store.election.isController, 5000, 'the only candidate to become controller')
  return store
}

test(
  'metadata survives a reopen: topics, partitions, epochs, configs; brokers come back fenced',
  opts,
  async () => {
    const cluster = freshCluster()
    const store = await controllerStore(cluster)
    const registered = await store.registerBroker(broker)
    assert.equal(registered.fenced, false)
    const topicId = randomUuid()
    await store.createTopic({
      name: 'orders',
      topicId,
      partitions: [one(), one()],
      configs: { 'retention.ms': '1000' }
    })
    await store.createPartitions(topicId, 2, [one()])
    await store.alterPartition(topicId, 1, 0, { leader: -1 })
    await store.alterTopicConfigs(topicId, { 'retention.ms': null, 'cleanup.policy': 'compact' })
    const before = await store.image()
    await store.close()

    const reopened = await controllerStore(cluster)
    assert.equal(reopened.clusterId, store.clusterId)
    const image = await reopened.image()
    assert.ok(image.version > before.version, 'closing revokes the lease, a change of its own')
    assert.deepEqual(image.topics, before.topics)
    assert.deepEqual(image.topicConfigs.get(topicId), { 'cleanup.policy': 'compact' })
    const topic = image.topics.get(topicId)!
    assert.equal(topic.partitions.length, 3)
    assert.deepEqual(topic.partitions[1], {
      partitionIndex: 1,
      replicas: [1],
      isr: [1],
      leader: -1,
      leaderEpoch: 1,
      partitionEpoch: 1
    })
    assert.equal(image.brokers.get(1)?.fenced, true, 'the closed session took the registration with it')
    const again = await reopened.registerBroker(broker)
    assert.ok(again.brokerEpoch > registered.brokerEpoch)
    assert.equal((await reopened.image()).brokers.get(1)?.fenced, false)
  }
)

test('alterPartition is a compare-and-swap on the partition epoch', opts, async () => {
  const store = await controllerStore()
  const topicId = randomUuid()
  await store.createTopic({
    name: 't',
    topicId,
    partitions: [{ replicas: [1, 2], isr: [1, 2], leader: 1 }],
    configs: {}
  })
  const isrOnly = await store.alterPartition(topicId, 0, 0, { isr: [1] })
  assert.equal(isrOnly.partitionEpoch, 1)
  assert.equal(isrOnly.leaderEpoch, 0, 'an ISR change alone keeps the leader epoch')
  // Two controllers' writes raced from epoch 1 (both pass the read, one loses in etcd's compare).
  const [a, b] = await Promise.allSettled([
    store.alterPartition(topicId, 0, 1, { leader: 2, isr: [2] }),
    store.alterPartition(topicId, 0, 1, { isr: [1, 2] })
  ])
  assert.equal([a, b].filter((r) => r.status === 'fulfilled').length, 1)
  const lost = [a, b].find((r) => r.status === 'rejected') as PromiseRejectedResult
  rejectsWith(ErrorCode.INVALID_UPDATE_VERSION)(lost.reason)
  const p = (await store.image()).topics.get(topicId)!.partitions[0]!
  assert.equal(p.partitionEpoch, 2)
  await assert.rejects(
    store.alterPartition(topicId, 5, 0, {}),
    rejectsWith(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION)
  )
  await assert.rejects(store.alterPartition(randomUuid(), 0, 0, {}), rejectsWith(ErrorCode.UNKNOWN_TOPIC_ID))
})

test('conditional topic writes: name taken, unknown id, partition count moved', opts, async () => {
  const store = await controllerStore()
  const topicId = randomUuid()
  await store.createTopic({ name: 't', topicId, partitions: [one()], configs: {} })
  await assert.rejects(
    store.createTopic({ name: 't', topicId: randomUuid(), partitions: [one()], configs: {} }),
    rejectsWith(ErrorCode.TOPIC_ALREADY_EXISTS)
  )
  await assert.rejects(store.createPartitions(topicId, 2, [one()]), rejectsWith(ErrorCode.INVALID_PARTITIONS))
  await store.deleteTopic(topicId)
  await assert.rejects(store.deleteTopic(topicId), rejectsWith(ErrorCode.UNKNOWN_TOPIC_ID))
  await assert.rejects(store.alterTopicConfigs(topicId, { a: 'b' }), rejectsWith(ErrorCode.UNKNOWN_TOPIC_ID))
  await assert.rejects(store.fenceBroker(42), rejectsWith(ErrorCode.BROKER_NOT_AVAILABLE))
  // The name is free again, under a new id, and nothing of the old topic is left.
  const again = await store.createTopic({
    name: 't',
    topicId: randomUuid(),
    partitions: [one()],
    configs: {}
  })
  const image = await store.image()
  assert.deepEqual([...image.topics.keys()], [again.topicId])
  assert.deepEqual([...image.topicConfigs.keys()], [again.topicId])
})

test(
  'the change stream publishes each committed change once, in version order; failed ones are not published',
  opts,
  async () => {
    const store = await controllerStore()
    const seen: MetadataDelta[] = []
    const stop = store.subscribe((d) => seen.push(d))
    const topicId = randomUuid()
    await store.registerBroker(broker)
    await store.createTopic({ name: 't', topicId, partitions: [one()], configs: {} })
    await store.alterPartition(topicId, 0, 7, {}).catch(() => undefined)
    await store.alterPartition(topicId, 0, 0, { isr: [1] })
    await store.createPartitions(topicId, 1, [one(), one()])
    await store.alterTopicConfigs(topicId, { 'cleanup.policy': 'compact' })
    await store.fenceBroker(1)
    await store.deleteTopic(topicId)
    stop()
    await store.createTopic({ name: 'u', topicId: randomUuid(), partitions: [one()], configs: {} })
    assert.deepEqual(
      seen.map((d) => d.type),
      [
        'broker-registered',
        'topic-created',
        'partition-changed',
        'partitions-created',
        'topic-configs-changed',
        'broker-fenced',
        'topic-deleted'
      ]
    )
    const versions = seen.map((d) => d.version)
    assert.deepEqual(
      versions,
      [...versions].sort((a, b) => (a < b ? -1 : 1))
    )
    assert.equal(new Set(versions).size, versions.length)
    const created = seen[3]
    assert.ok(created?.type === 'partitions-created')
    assert.deepEqual(
      created.partitions.map((p) => p.partitionIndex),
      [1, 2]
    )
    const deleted = seen[6]
    assert.ok(deleted?.type === 'topic-deleted')
    assert.equal(deleted.name, 't')
  }
)

test(
  'another broker follows the controller: image at a revision, then deltas with no gap and no duplicate',
  opts,
  async () => {
    const cluster = freshCluster()
    const controller = await controllerStore(cluster)
    await controller.registerBroker(broker)
    const follower = await openStore(cluster, { nodeId: 2, candidate: false })
    const ids = Array.from({ length: 8 }, () => randomUuid())
    // Writes keep committing while the follower's cache loads its image, so both paths are exercised.
    const writes = (async () => {
      for (const [i, topicId] of ids.entries()) {
        await controller.createTopic({ name: `t${i}`, topicId, partitions: [one(), one()], configs: {} })
        await controller.alterPartition(topicId, 1, 0, { leader: -1 })
        if (i % 2 === 0) await controller.deleteTopic(topicId)
      }
    })()
    const cache = await MetadataCache.start(follower)
    await writes
    const final = await controller.image()
    await waitFor(() => cache.version >= final.version, 5000, 'the follower to catch up')
    cache.close()
    assert.deepEqual(cache.topicNames().sort(), ['t1', 't3', 't5', 't7'])
    for (const topic of final.topics.values()) assert.deepEqual(cache.topicById(topic.topicId), topic)
    assert.equal(cache.isBrokerLive(1), true)
    await assert.rejects(
      follower.createTopic({ name: 'x', topicId: randomUuid(), partitions: [one()], configs: {} }),
      rejectsWith(ErrorCode.NOT_CONTROLLER)
    )
  }
)

test('a write under a stale controller epoch is rejected by etcd and changes nothing', opts, async () => {
  const cluster = freshCluster()
  const store = await controllerStore(cluster)
  const epoch = store.election.controllerEpoch
  // What a newer controller's election does to the epoch, seen before this controller has heard of it.
  const raw = new Etcd3({ hosts: [stores.etcd().endpoint] })
  try {
    await raw
      .namespace(clusterPrefix(cluster))
      .put(CONTROLLER_EPOCH_KEY)
      .value(String(epoch + 1))
  } finally {
    raw.close()
  }
  assert.equal(store.election.isController, true, 'the local view has not moved')
  await assert.rejects(
    store.createTopic({ name: 'stale', topicId: randomUuid(), partitions: [one()], configs: {} }),
    rejectsWith(ErrorCode.NOT_CONTROLLER)
  )
  assert.equal((await store.image()).topics.size, 0)
  assert.equal(store.election.isController, false, 'a rejected guard deposes the local controller too')
})

test('a broker whose process is SIGKILLed is fenced when its lease expires', opts, async () => {
  const cluster = freshCluster()
  const controller = await controllerStore(cluster)
  const fenced: MetadataDelta[] = []
  controller.subscribe((d) => {
    if (d.type === 'broker-fenced') fenced.push(d)
  })
  const child = await StoreProcess.start(stores.etcd().endpoint, cluster, 7, 2)
  assert.equal((await controller.image()).brokers.get(7)?.fenced, false)
  const killedAt = Date.now()
  await child.kill()
  await waitFor(() => fenced.length > 0, 8000, 'the broker-fenced delta')
  const elapsed = Date.now() - killedAt
  console.log(`broker fenced ${elapsed} ms after SIGKILL (lease TTL 2 s)`)
  assert.ok(elapsed >= 1000, `fenced after ${elapsed} ms, before its lease could expire`)
  const delta = fenced[0]!
  assert.ok(delta.type === 'broker-fenced')
  assert.equal(delta.broker.nodeId, 7)
  const image = await controller.image()
  assert.equal(image.brokers.get(7)?.fenced, true, 'known but fenced')
})

test('after etcd crashes and restarts, the change stream resumes where it stopped', opts, async () => {
  const cluster = freshCluster()
  const controller = await controllerStore(cluster)
  const follower = await openStore(cluster, { nodeId: 2, candidate: false })
  const cache = await MetadataCache.start(follower)
  const before = randomUuid()
  await controller.createTopic({ name: 'before', topicId: before, partitions: [one()], configs: {} })
  await stores.etcd().restart()
  // The restarted etcd has every committed revision; both clients reconnect on their own.
  const afterId = randomUuid()
  await controller.createTopic({ name: 'after', topicId: afterId, partitions: [one()], configs: {} })
  await controller.alterPartition(afterId, 0, 0, { isr: [1] })
  const final = await controller.image()
  await waitFor(() => cache.version >= final.version, 10_000, 'the follower to resume after the restart')
  cache.close()
  assert.deepEqual(cache.topicNames().sort(), ['after', 'before'])
  assert.equal(cache.partition('after', 0)?.partitionEpoch, 1)
})

test(
  'a registration stored before brokers registered every listener reads as its one PLAINTEXT endpoint',
  opts,
  async () => {
    const cluster = freshCluster()
    const raw = new Etcd3({ hosts: [stores.etcd().endpoint] })
    try {
      // What an older broker wrote: host and port, no listeners.
      await raw
        .namespace(clusterPrefix(cluster))
        .put(brokerKey(7))
        .value(JSON.stringify({ nodeId: 7, host: 'old-host', port: 9092, rack: null }))
    } finally {
      raw.close()
    }
    const store = await controllerStore(cluster)
    const endpoints = [
      { name: 'PLAINTEXT', host: 'localhost', port: 9092, securityProtocol: 0 },
      { name: 'SSL', host: 'localhost', port: 9093, securityProtocol: 1 }
    ]
    await store.registerBroker({ ...broker, listeners: endpoints })
    const image = await store.image()
    assert.deepEqual(image.brokers.get(7)?.listeners, [
      { name: 'PLAINTEXT', host: 'old-host', port: 9092, securityProtocol: 0 }
    ])
    assert.deepEqual(image.brokers.get(1)?.listeners, endpoints)
  }
)
