import assert from 'node:assert/strict'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, test } from 'node:test'
import { FileMetadataStore } from '../../src/cluster/file-metadata-store.js'
import { randomUuid } from '../../src/cluster/kafka-uuid.js'
import { MetadataCache } from '../../src/cluster/metadata-cache.js'

const root = await mkdtemp(join(tmpdir(), 'samsa-cache-'))
after(() => rm(root, { recursive: true, force: true }))
let n = 0
const open = () => FileMetadataStore.open({ logDirs: [join(root, `case-${n++}`)], nodeId: 1 })
const broker = (nodeId: number, rack: string | null = null) => ({
  nodeId,
  host: 'localhost',
  port: 9092 + nodeId,
  rack,
  listeners: []
})

test('the cache loads the image, then follows every change', async () => {
  const store = await open()
  await store.registerBroker(broker(1))
  const ordersId = randomUuid()
  await store.createTopic({
    name: 'orders',
    topicId: ordersId,
    partitions: [{ replicas: [1], isr: [1], leader: 1 }],
    configs: { 'retention.ms': '5' }
  })
  const cache = await MetadataCache.start(store)
  assert.equal(cache.clusterId, store.clusterId)
  assert.equal(cache.topicByName('orders')?.topicId, ordersId)
  assert.equal(cache.topicById(ordersId)?.name, 'orders')
  assert.equal(cache.leaderOf('orders', 0), 1)
  assert.equal(cache.leaderOf('orders', 1), undefined)
  assert.deepEqual(cache.topicConfigs(ordersId), { 'retention.ms': '5' })

  await store.registerBroker(broker(2, 'r1'))
  await store.createPartitions(ordersId, 1, [{ replicas: [2, 1], isr: [2, 1], leader: 2 }])
  await store.alterPartition(ordersId, 0, 0, { leader: -1 })
  await store.alterTopicConfigs(ordersId, { 'retention.ms': null })
  assert.deepEqual(
    cache.liveBrokers().map((b) => b.nodeId),
    [1, 2]
  )
  assert.equal(cache.leaderOf('orders', 1), 2)
  assert.equal(cache.leaderOf('orders', 0), -1)
  assert.equal(cache.partition('orders', 0)?.leaderEpoch, 1)
  assert.deepEqual(cache.topicConfigs(ordersId), {})

  await store.fenceBroker(2)
  assert.deepEqual(
    cache.liveBrokers().map((b) => b.nodeId),
    [1]
  )
  assert.equal(cache.isBrokerLive(2), false)
  await store.deleteTopic(ordersId)
  assert.equal(cache.topicByName('orders'), undefined)
  assert.equal(cache.topicById(ordersId), undefined)
  assert.equal(cache.version, (await store.image()).version)
  cache.close()
  await store.close()
})

test('changes committed while the cache starts are neither lost nor applied twice', async () => {
  const store = await open()
  const ids = Array.from({ length: 20 }, () => randomUuid())
  const writes = Promise.all(
    ids.map((topicId, i) =>
      store.createTopic({
        name: `t${i}`,
        topicId,
        partitions: [{ replicas: [1], isr: [1], leader: 1 }],
        configs: {}
      })
    )
  )
  const cache = await MetadataCache.start(store)
  await writes
  assert.equal(cache.topicNames().length, 20)
  assert.equal(cache.version, 20n)
  cache.close()
  await store.close()
})

test('cache listeners run after the cache has applied the change', async () => {
  const store = await open()
  const cache = await MetadataCache.start(store)
  const observed: (number | undefined)[] = []
  cache.subscribe(() => observed.push(cache.leaderOf('x', 0)))
  await store.createTopic({
    name: 'x',
    topicId: randomUuid(),
    partitions: [{ replicas: [1], isr: [1], leader: 1 }],
    configs: {}
  })
  assert.deepEqual(observed, [1])
  cache.close()
  await store.close()
})
