/**
 * The MetadataStore contract (src/cluster/metadata-store.ts), one set of behavioural cases run against both
 * implementations: the embedded file store of a single broker and the etcd store of a cluster. Each
 * implementation's own file (file-metadata-store.test.ts, etcd/*.test.ts) keeps what only it has: torn
 * writes and corrupt files, controller guards, lease expiry, followers on other brokers.
 *
 * Where the two legitimately differ, the case asserts the contract's weaker promise and says why:
 * - Metadata versions: the file store counts its own changes (+1 each, kept across a restart); etcd's version
 *   is its revision, which also moves for keys that are not metadata (controller election, session leases).
 *   The contract is only "strictly increasing".
 * - Broker epochs: the file store counts registrations; etcd uses the registration's revision. The contract
 *   is only "greater than any earlier registration", across restarts too.
 * - Who may write: every write on etcd except registerBroker is a controller write, so the etcd harness
 *   waits for its store to win the (single-candidate) election before a case starts; NOT_CONTROLLER is
 *   etcd-only and tested there.
 * - Racing compare-and-swaps: the file store serialises writes, so the first caller wins; on etcd either may
 *   win. The contract is "exactly one wins".
 */

import assert from 'node:assert/strict'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, describe, it } from 'node:test'
import { FileMetadataStore } from '../../src/cluster/file-metadata-store.js'
import { randomUuid } from '../../src/cluster/kafka-uuid.js'
import type {
  BrokerRegistrationRequest,
  DynamicConfigsImage,
  MetadataDelta,
  MetadataStore,
  NewPartition
} from '../../src/cluster/metadata-store.js'
import { ErrorCode } from '../../src/protocol/error-codes.js'
import { ensureEtcd } from '../helpers/etcd-process.js'
import { etcdForFile, rejectsWith, waitFor } from './etcd/etcd-store-kit.js'

/** One backing location (a data dir, an etcd cluster prefix) that stores can be opened on, again and again. */
interface Backing {
  /** Opens a store on this backing, ready for every write of the contract. */
  open(options?: { clusterId?: string }): Promise<MetadataStore>
  /** Crashes and restarts whatever holds the data, between a close and the next open. */
  crashBacking(): Promise<void>
}

interface Implementation {
  readonly name: string
  readonly skip: string | false
  fresh(): Backing
}

const fileRoot = await mkdtemp(join(tmpdir(), 'samsa-contract-'))
const openFileStores: MetadataStore[] = []
after(async () => {
  await Promise.all(openFileStores.map((s) => s.close()))
  await rm(fileRoot, { recursive: true, force: true })
})
let caseNumber = 0

const fileImplementation: Implementation = {
  name: 'FileMetadataStore',
  skip: false,
  fresh() {
    const dir = join(fileRoot, `case-${caseNumber++}`)
    return {
      async open(options = {}) {
        const store = await FileMetadataStore.open({ logDirs: [dir], nodeId: 1, ...options })
        openFileStores.push(store)
        return store
      },
      // The file is the data: a closed store leaves nothing running to crash.
      crashBacking: async () => undefined
    }
  }
}

const etcdSkip = await ensureEtcd()
const etcd = etcdForFile(etcdSkip)

const etcdImplementation: Implementation = {
  name: 'EtcdMetadataStore',
  skip: etcdSkip,
  fresh() {
    const clusterName = `contract-${caseNumber++}`
    return {
      async open(options = {}) {
        const store = await etcd.openStore({ clusterName, nodeId: 1, leaseTtlSeconds: 2, ...options })
        await waitFor(() => store.election.isController, 5000, 'the only candidate to become controller')
        return store
      },
      // SIGKILL: etcd must bring back every committed revision from its own log.
      crashBacking: () => etcd.etcd().restart()
    }
  }
}

const one = (leader = 1): NewPartition => ({ replicas: [leader], isr: [leader], leader })
const broker = (nodeId: number, rack: string | null = null): BrokerRegistrationRequest => ({
  nodeId,
  host: `broker-${nodeId}.local`,
  port: 9090 + nodeId,
  rack,
  listeners: [{ name: 'PLAINTEXT', host: `broker-${nodeId}.local`, port: 9090 + nodeId, securityProtocol: 0 }]
})

/** Records every delta and says which arrived since the last call. */
function recorder(store: MetadataStore) {
  const seen: MetadataDelta[] = []
  let read = 0
  const stop = store.subscribe((d) => seen.push(d))
  return {
    seen,
    stop,
    /** The deltas published since the last call: the contract publishes before a write resolves. */
    fresh(): MetadataDelta[] {
      const out = seen.slice(read)
      read = seen.length
      return out
    }
  }
}

for (const impl of [fileImplementation, etcdImplementation]) {
  describe(`MetadataStore contract: ${impl.name}`, { skip: impl.skip, timeout: 60_000 }, () => {
    it('registers brokers and lists them live, with a greater epoch on every registration', async () => {
      const store = await impl.fresh().open()
      const b1 = await store.registerBroker(broker(1, 'rack-a'))
      const b2 = await store.registerBroker(broker(2, 'rack-b'))
      assert.deepEqual(
        { ...b1, brokerEpoch: 0n },
        { ...broker(1, 'rack-a'), brokerEpoch: 0n, fenced: false },
        'the registration is the request, live'
      )
      assert.ok(b2.brokerEpoch > b1.brokerEpoch)
      const image = await store.image()
      assert.equal(image.clusterId, store.clusterId)
      assert.deepEqual([...image.brokers.keys()].sort(), [1, 2])
      assert.deepEqual(image.brokers.get(1), b1)
      assert.deepEqual(image.brokers.get(2), b2)

      // A broker that registers again (a restart of its process) is told apart by a greater epoch.
      const again = await store.registerBroker({ ...broker(1, 'rack-a'), port: 19091 })
      assert.ok(again.brokerEpoch > b2.brokerEpoch)
      assert.equal((await store.image()).brokers.get(1)?.port, 19091)

      await store.fenceBroker(2)
      const fenced = (await store.image()).brokers.get(2)
      assert.deepEqual(fenced, { ...b2, fenced: true }, 'fenced brokers stay known, with their epoch')
      await assert.rejects(store.fenceBroker(42), rejectsWith(ErrorCode.BROKER_NOT_AVAILABLE))
    })

    it('creates topics under their ids, finds them by id and name, and deletes them', async () => {
      const store = await impl.fresh().open()
      const ordersId = randomUuid()
      const created = await store.createTopic({
        name: 'orders',
        topicId: ordersId,
        partitions: [{ replicas: [1, 2], isr: [1, 2], leader: 1 }, one(2)],
        configs: {}
      })
      assert.deepEqual(created, {
        name: 'orders',
        topicId: ordersId,
        partitions: [
          { partitionIndex: 0, replicas: [1, 2], isr: [1, 2], leader: 1, leaderEpoch: 0, partitionEpoch: 0 },
          { partitionIndex: 1, replicas: [2], isr: [2], leader: 2, leaderEpoch: 0, partitionEpoch: 0 }
        ]
      })
      const paymentsId = randomUuid()
      await store.createTopic({ name: 'payments', topicId: paymentsId, partitions: [one()], configs: {} })
      let image = await store.image()
      assert.deepEqual(image.topics.get(ordersId), created)
      const byName = [...image.topics.values()].find((t) => t.name === 'payments')
      assert.equal(byName?.topicId, paymentsId)

      // The name and the id are each unique; a topic needs a partition.
      await assert.rejects(
        store.createTopic({ name: 'orders', topicId: randomUuid(), partitions: [one()], configs: {} }),
        rejectsWith(ErrorCode.TOPIC_ALREADY_EXISTS)
      )
      await assert.rejects(
        store.createTopic({ name: 'other', topicId: ordersId, partitions: [one()], configs: {} }),
        rejectsWith(ErrorCode.TOPIC_ALREADY_EXISTS)
      )
      await assert.rejects(
        store.createTopic({ name: 'empty', topicId: randomUuid(), partitions: [], configs: {} }),
        rejectsWith(ErrorCode.INVALID_PARTITIONS)
      )

      await store.deleteTopic(ordersId)
      await assert.rejects(store.deleteTopic(ordersId), rejectsWith(ErrorCode.UNKNOWN_TOPIC_ID))
      image = await store.image()
      assert.deepEqual([...image.topics.keys()], [paymentsId])
      assert.equal(image.topicConfigs.has(ordersId), false, 'the configs go with the topic')

      // The name is free again, under a new id; the old id stays gone.
      const reborn = await store.createTopic({
        name: 'orders',
        topicId: randomUuid(),
        partitions: [one()],
        configs: {}
      })
      assert.notEqual(reborn.topicId, ordersId)
      image = await store.image()
      assert.deepEqual([...image.topics.keys()].sort(), [paymentsId, reborn.topicId].sort())
    })

    it('appends partitions only at the partition count the caller expects', async () => {
      const store = await impl.fresh().open()
      const topicId = randomUuid()
      await store.createTopic({ name: 't', topicId, partitions: [one()], configs: {} })
      const added = await store.createPartitions(topicId, 1, [one(2), one(3)])
      assert.deepEqual(
        added.map((p) => [p.partitionIndex, p.leader, p.leaderEpoch, p.partitionEpoch]),
        [
          [1, 2, 0, 0],
          [2, 3, 0, 0]
        ]
      )
      // A second caller that read the old count loses.
      await assert.rejects(
        store.createPartitions(topicId, 1, [one()]),
        rejectsWith(ErrorCode.INVALID_PARTITIONS)
      )
      await assert.rejects(
        store.createPartitions(randomUuid(), 1, [one()]),
        rejectsWith(ErrorCode.UNKNOWN_TOPIC_ID)
      )
      const topic = (await store.image()).topics.get(topicId)!
      assert.deepEqual(
        topic.partitions.map((p) => p.partitionIndex),
        [0, 1, 2]
      )
    })

    it('alterPartition bumps the epochs as Kafka does and is a compare-and-swap on the partition epoch', async () => {
      const store = await impl.fresh().open()
      const topicId = randomUuid()
      await store.createTopic({
        name: 't',
        topicId,
        partitions: [{ replicas: [1, 2, 3], isr: [1, 2, 3], leader: 1 }],
        configs: {}
      })
      const shrunk = await store.alterPartition(topicId, 0, 0, { isr: [1, 2] })
      assert.deepEqual(shrunk, {
        partitionIndex: 0,
        replicas: [1, 2, 3],
        isr: [1, 2],
        leader: 1,
        leaderEpoch: 0,
        partitionEpoch: 1
      })
      const moved = await store.alterPartition(topicId, 0, 1, { leader: 2, isr: [2] })
      assert.deepEqual([moved.leader, moved.leaderEpoch, moved.partitionEpoch, moved.isr], [2, 1, 2, [2]])
      // Naming the same leader again is no leader change.
      const same = await store.alterPartition(topicId, 0, 2, { leader: 2 })
      assert.deepEqual([same.leaderEpoch, same.partitionEpoch], [1, 3])
      const offline = await store.alterPartition(topicId, 0, 3, { leader: -1, isr: [] })
      assert.deepEqual([offline.leader, offline.leaderEpoch, offline.isr], [-1, 2, []])

      // A stale epoch changes nothing.
      await assert.rejects(
        store.alterPartition(topicId, 0, 1, { leader: 3 }),
        rejectsWith(ErrorCode.INVALID_UPDATE_VERSION)
      )
      assert.deepEqual((await store.image()).topics.get(topicId)?.partitions[0], offline)

      // Two writers raced from the same epoch (see the header on who wins): exactly one does.
      const raced = await Promise.allSettled([
        store.alterPartition(topicId, 0, 4, { leader: 3, isr: [3] }),
        store.alterPartition(topicId, 0, 4, { leader: 1, isr: [1] })
      ])
      const won = raced.filter((r) => r.status === 'fulfilled')
      assert.equal(won.length, 1)
      const lost = raced.find((r) => r.status === 'rejected') as PromiseRejectedResult
      rejectsWith(ErrorCode.INVALID_UPDATE_VERSION)(lost.reason)
      const winner = (won[0] as PromiseFulfilledResult<Awaited<ReturnType<MetadataStore['alterPartition']>>>)
        .value
      assert.deepEqual((await store.image()).topics.get(topicId)?.partitions[0], winner)
      assert.deepEqual([winner.leaderEpoch, winner.partitionEpoch], [3, 5])

      await assert.rejects(
        store.alterPartition(topicId, 1, 0, {}),
        rejectsWith(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION)
      )
      await assert.rejects(
        store.alterPartition(randomUuid(), 0, 0, {}),
        rejectsWith(ErrorCode.UNKNOWN_TOPIC_ID)
      )
    })

    it('keeps an ongoing reassignment in the registration until [] ends it', async () => {
      const store = await impl.fresh().open()
      const topicId = randomUuid()
      await store.createTopic({
        name: 't',
        topicId,
        partitions: [{ replicas: [1, 2], isr: [1, 2], leader: 1 }],
        configs: {}
      })
      const started = await store.alterPartition(topicId, 0, 0, {
        replicas: [2, 3, 1],
        addingReplicas: [3],
        removingReplicas: [1]
      })
      assert.deepEqual(
        [started.replicas, started.addingReplicas, started.removingReplicas],
        [[2, 3, 1], [3], [1]]
      )
      // Fields a change leaves out keep their value, the reassignment's too.
      const caughtUp = await store.alterPartition(topicId, 0, 1, { isr: [1, 2, 3] })
      assert.deepEqual([caughtUp.addingReplicas, caughtUp.removingReplicas], [[3], [1]])
      const done = await store.alterPartition(topicId, 0, 2, {
        replicas: [2, 3],
        isr: [2, 3],
        leader: 2,
        addingReplicas: [],
        removingReplicas: []
      })
      assert.deepEqual(done, {
        partitionIndex: 0,
        replicas: [2, 3],
        isr: [2, 3],
        leader: 2,
        leaderEpoch: 1,
        partitionEpoch: 3
      })
      assert.deepEqual((await store.image()).topics.get(topicId)?.partitions[0], done)
    })

    it('keeps topic config overrides key by key, as IncrementalAlterConfigs sets and deletes them', async () => {
      const store = await impl.fresh().open()
      const topicId = randomUuid()
      await store.createTopic({
        name: 't',
        topicId,
        partitions: [one()],
        configs: { 'retention.ms': '1000', 'cleanup.policy': 'compact' }
      })
      assert.deepEqual((await store.image()).topicConfigs.get(topicId), {
        'retention.ms': '1000',
        'cleanup.policy': 'compact'
      })
      const altered = await store.alterTopicConfigs(topicId, {
        'retention.ms': null,
        'segment.bytes': '4096'
      })
      assert.deepEqual(altered, { 'cleanup.policy': 'compact', 'segment.bytes': '4096' })
      // A change to another key keeps the ones it does not name.
      const next = await store.alterTopicConfigs(topicId, { 'min.insync.replicas': '2' })
      assert.deepEqual(next, {
        'cleanup.policy': 'compact',
        'segment.bytes': '4096',
        'min.insync.replicas': '2'
      })
      // Deleting a key that is not set is no error.
      assert.deepEqual(await store.alterTopicConfigs(topicId, { 'retention.bytes': null }), next)
      assert.deepEqual((await store.image()).topicConfigs.get(topicId), next)

      const bare = randomUuid()
      await store.createTopic({ name: 'bare', topicId: bare, partitions: [one()], configs: {} })
      assert.deepEqual((await store.image()).topicConfigs.get(bare), {}, 'no overrides is an empty set')
      await assert.rejects(
        store.alterTopicConfigs(randomUuid(), { a: 'b' }),
        rejectsWith(ErrorCode.UNKNOWN_TOPIC_ID)
      )
    })

    it('keeps dynamic configs of broker, group and client-metrics resources, followed by subscribers', async () => {
      const backing = impl.fresh()
      const store = await backing.open()
      const images: DynamicConfigsImage[] = []
      const stop = store.subscribeDynamicConfigs((image) => images.push(image))
      const brokerDefault = await store.alterDynamicConfigs(4, '', { 'log.retention.ms': '1000' }, false)
      assert.deepEqual(brokerDefault, { 'log.retention.ms': '1000' })
      await store.alterDynamicConfigs(4, '1', { 'background.threads': '4', 'num.io.threads': '2' }, false)
      assert.deepEqual(
        await store.alterDynamicConfigs(
          4,
          '1',
          { 'num.io.threads': null, 'log.cleaner.threads': '2' },
          false
        ),
        { 'background.threads': '4', 'log.cleaner.threads': '2' },
        'keys not named keep their value, null removes one'
      )
      assert.deepEqual(
        await store.alterDynamicConfigs(32, 'group-a', { 'consumer.session.timeout.ms': '50000' }, true),
        { 'consumer.session.timeout.ms': '50000' }
      )
      assert.deepEqual(
        await store.alterDynamicConfigs(32, 'group-a', { 'consumer.heartbeat.interval.ms': '4000' }, true),
        { 'consumer.heartbeat.interval.ms': '4000' },
        'replace drops the keys not named'
      )
      await store.alterDynamicConfigs(16, 'gone', { metrics: 'x' }, false)
      await store.alterDynamicConfigs(16, 'gone', { metrics: null }, false)
      const expected = [
        { resourceType: 4, resourceName: '', configs: { 'log.retention.ms': '1000' } },
        {
          resourceType: 4,
          resourceName: '1',
          configs: { 'background.threads': '4', 'log.cleaner.threads': '2' }
        },
        { resourceType: 32, resourceName: 'group-a', configs: { 'consumer.heartbeat.interval.ms': '4000' } }
      ]
      const sorted = (image: DynamicConfigsImage) =>
        [...image.resources].sort(
          (a, b) => a.resourceType - b.resourceType || a.resourceName.localeCompare(b.resourceName)
        )
      assert.deepEqual(
        sorted(await store.dynamicConfigs()),
        expected,
        'a resource with no configs left is gone'
      )
      await waitFor(
        () =>
          images.length > 0 &&
          sorted(images[images.length - 1]!).length === 3 &&
          images[images.length - 1]!.resources.every((r) => r.resourceType !== 16),
        5000,
        'the subscriber sees the last change'
      )
      assert.deepEqual(sorted(images[images.length - 1]!), expected)
      for (let i = 1; i < images.length; i++) assert.ok(images[i]!.version > images[i - 1]!.version)
      stop()
      await store.close()
      await backing.crashBacking()
      const reopened = await backing.open()
      assert.deepEqual(sorted(await reopened.dynamicConfigs()), expected, 'dynamic configs survive a reopen')
      await reopened.close()
    })

    it('publishes each committed change once, before the write resolves, in version order', async () => {
      const store = await impl.fresh().open()
      const deltas = recorder(store)
      const registered = await store.registerBroker(broker(1))
      let [d] = deltas.fresh()
      assert.ok(d?.type === 'broker-registered')
      assert.deepEqual(d.broker, registered)

      const topicId = randomUuid()
      const topic = await store.createTopic({
        name: 't',
        topicId,
        partitions: [one()],
        configs: { 'retention.ms': '9' }
      })
      ;[d] = deltas.fresh()
      assert.ok(d?.type === 'topic-created')
      assert.deepEqual([d.topic, d.configs], [topic, { 'retention.ms': '9' }])

      // Failed writes publish nothing.
      await assert.rejects(
        store.alterPartition(topicId, 0, 7, {}),
        rejectsWith(ErrorCode.INVALID_UPDATE_VERSION)
      )
      await assert.rejects(
        store.createTopic({ name: 't', topicId: randomUuid(), partitions: [one()], configs: {} })
      )
      assert.deepEqual(deltas.fresh(), [])

      const changed = await store.alterPartition(topicId, 0, 0, { isr: [1] })
      ;[d] = deltas.fresh()
      assert.ok(d?.type === 'partition-changed')
      assert.deepEqual([d.topicId, d.partition], [topicId, changed])

      const added = await store.createPartitions(topicId, 1, [one(), one()])
      ;[d] = deltas.fresh()
      assert.ok(d?.type === 'partitions-created')
      assert.deepEqual([d.topicId, d.partitions], [topicId, added])

      const configs = await store.alterTopicConfigs(topicId, { 'cleanup.policy': 'compact' })
      ;[d] = deltas.fresh()
      assert.ok(d?.type === 'topic-configs-changed')
      assert.deepEqual([d.topicId, d.configs], [topicId, configs])

      await store.fenceBroker(1)
      ;[d] = deltas.fresh()
      assert.ok(d?.type === 'broker-fenced')
      assert.deepEqual(d.broker, { ...registered, fenced: true })
      // Fencing a fenced broker changes nothing, so publishes nothing.
      await store.fenceBroker(1)
      assert.deepEqual(deltas.fresh(), [])

      await store.deleteTopic(topicId)
      ;[d] = deltas.fresh()
      assert.ok(d?.type === 'topic-deleted')
      assert.deepEqual([d.topicId, d.name], [topicId, 't'])

      const versions = deltas.seen.map((x) => x.version)
      for (let i = 1; i < versions.length; i++)
        assert.ok(versions[i]! > versions[i - 1]!, `versions ${versions}`)
      // The image a reader starts from already includes every published change.
      assert.ok((await store.image()).version >= versions.at(-1)!)

      // After unsubscribing nothing more arrives; another subscriber still gets everything.
      deltas.stop()
      const other = recorder(store)
      await store.createTopic({ name: 'u', topicId: randomUuid(), partitions: [one()], configs: {} })
      assert.equal(deltas.seen.length, 7)
      assert.deepEqual(
        other.fresh().map((x) => x.type),
        ['topic-created']
      )
      other.stop()
    })

    it('keeps everything across a close, a crash of its backing and a reopen; brokers come back fenced', async () => {
      const backing = impl.fresh()
      const store = await backing.open()
      const registered = await store.registerBroker(broker(1, 'rack-a'))
      const topicId = randomUuid()
      await store.createTopic({
        name: 'orders',
        topicId,
        partitions: [{ replicas: [1, 2], isr: [1, 2], leader: 1 }, one()],
        configs: { 'retention.ms': '1000' }
      })
      await store.createPartitions(topicId, 2, [one(2)])
      await store.alterPartition(topicId, 0, 0, { leader: 2, isr: [2] })
      await store.alterTopicConfigs(topicId, { 'retention.ms': null, 'cleanup.policy': 'compact' })
      const gone = randomUuid()
      await store.createTopic({ name: 'gone', topicId: gone, partitions: [one()], configs: {} })
      await store.deleteTopic(gone)
      const before = await store.image()
      await store.close()
      await assert.rejects(
        store.createTopic({ name: 'late', topicId: randomUuid(), partitions: [one()], configs: {} }),
        /closed/,
        'a closed store takes no writes'
      )

      await backing.crashBacking()
      const reopened = await backing.open()
      assert.equal(reopened.clusterId, store.clusterId)
      const image = await reopened.image()
      // The file store's version is where it was; etcd's moved on (closing revoked the session lease).
      assert.ok(image.version >= before.version)
      assert.deepEqual(image.topics, before.topics)
      assert.deepEqual(image.topicConfigs, before.topicConfigs)
      assert.deepEqual(image.topics.get(topicId)?.partitions[0], {
        partitionIndex: 0,
        replicas: [1, 2],
        isr: [2],
        leader: 2,
        leaderEpoch: 1,
        partitionEpoch: 1
      })
      // Liveness does not survive: the file store keeps none, and on etcd it went with the closed session.
      assert.deepEqual(image.brokers.get(1), { ...registered, fenced: true })
      const again = await reopened.registerBroker(broker(1, 'rack-a'))
      assert.ok(again.brokerEpoch > registered.brokerEpoch, 'epochs keep growing across restarts')
      // Compare-and-swap tokens survive too: the pre-restart epoch is the one to name.
      await assert.rejects(
        reopened.alterPartition(topicId, 0, 0, {}),
        rejectsWith(ErrorCode.INVALID_UPDATE_VERSION)
      )
      assert.equal((await reopened.alterPartition(topicId, 0, 1, { isr: [1, 2] })).partitionEpoch, 2)
      // A topic created before the restart still owns its name.
      await assert.rejects(
        reopened.createTopic({ name: 'orders', topicId: randomUuid(), partitions: [one()], configs: {} }),
        rejectsWith(ErrorCode.TOPIC_ALREADY_EXISTS)
      )
    })

    it('refuses to open with a configured cluster id other than the stored one', async () => {
      const backing = impl.fresh()
      const store = await backing.open()
      const clusterId = store.clusterId
      await store.close()
      await assert.rejects(backing.open({ clusterId: randomUuid() }), (err: unknown) => {
        assert.ok(err instanceof Error && err.message.includes(clusterId), String(err))
        return true
      })
      const same = await backing.open({ clusterId })
      assert.equal(same.clusterId, clusterId)
    })
  })
}
