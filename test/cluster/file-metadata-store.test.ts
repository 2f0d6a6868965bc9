import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { after, test } from 'node:test'
import { fileURLToPath } from 'node:url'
import { FileMetadataStore, METADATA_DIR, METADATA_FILE } from '../../src/cluster/file-metadata-store.js'
import { randomUuid } from '../../src/cluster/kafka-uuid.js'
import type { MetadataDelta, NewPartition } from '../../src/cluster/metadata-store.js'
import { ErrorCode, KafkaError } from '../../src/protocol/error-codes.js'

const root = await mkdtemp(join(tmpdir(), 'samsa-store-'))
after(() => rm(root, { recursive: true, force: true }))
let n = 0
const fresh = (): string => join(root, `case-${n++}`)

const one = (leader = 1): NewPartition => ({ replicas: [leader], isr: [leader], leader })
const broker = { nodeId: 1, host: 'localhost', port: 9092, rack: null, listeners: [] }

function rejectsWith(code: number) {
  return (err: unknown): boolean => {
    assert.ok(err instanceof KafkaError, String(err))
    assert.equal(err.code, code, err.message)
    return true
  }
}

test('metadata survives a reopen: topics, partitions, epochs, configs; brokers come back fenced', async () => {
  const dir = fresh()
  const store = await FileMetadataStore.open({ logDirs: [dir], nodeId: 1 })
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

  const reopened = await FileMetadataStore.open({ logDirs: [dir], nodeId: 1 })
  assert.equal(reopened.clusterId, store.clusterId)
  const image = await reopened.image()
  assert.equal(image.version, before.version)
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
  assert.equal(image.brokers.get(1)?.fenced, true)
  // A new registration gets a greater broker epoch than any before the restart.
  const again = await reopened.registerBroker(broker)
  assert.ok(again.brokerEpoch > registered.brokerEpoch)
  await reopened.close()
})

test('alterPartition is a compare-and-swap on the partition epoch', async () => {
  const store = await FileMetadataStore.open({ logDirs: [fresh()], nodeId: 1 })
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
  // Two writers raced from epoch 1: the first wins, the second gets INVALID_UPDATE_VERSION.
  const [a, b] = await Promise.allSettled([
    store.alterPartition(topicId, 0, 1, { leader: 2, isr: [2] }),
    store.alterPartition(topicId, 0, 1, { isr: [1, 2] })
  ])
  assert.equal(a.status, 'fulfilled')
  assert.equal(b.status, 'rejected')
  rejectsWith(ErrorCode.INVALID_UPDATE_VERSION)((b as PromiseRejectedResult).reason)
  const p = (await store.image()).topics.get(topicId)!.partitions[0]!
  assert.deepEqual([p.leader, p.leaderEpoch, p.partitionEpoch, p.isr], [2, 1, 2, [2]])
  await assert.rejects(
    store.alterPartition(topicId, 5, 0, {}),
    rejectsWith(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION)
  )
  await assert.rejects(store.alterPartition(randomUuid(), 0, 0, {}), rejectsWith(ErrorCode.UNKNOWN_TOPIC_ID))
  await store.close()
})

test('conditional topic writes: name taken, unknown id, partition count moved', async () => {
  const store = await FileMetadataStore.open({ logDirs: [fresh()], nodeId: 1 })
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
  // The name is free again, under a new id.
  await store.createTopic({ name: 't', topicId: randomUuid(), partitions: [one()], configs: {} })
  await store.close()
})

test('the change stream publishes each committed change once, in version order; failed ones are not published', async () => {
  const store = await FileMetadataStore.open({ logDirs: [fresh()], nodeId: 1 })
  const seen: MetadataDelta[] = []
  const stop = store.subscribe((d) => seen.push(d))
  const topicId = randomUuid()
  await store.registerBroker(broker)
  await store.createTopic({ name: 't', topicId, partitions: [one()], configs: {} })
  await store.alterPartition(topicId, 0, 7, {}).catch(() => undefined)
  await store.alterPartition(topicId, 0, 0, { isr: [1] })
  await store.deleteTopic(topicId)
  stop()
  await store.createTopic({ name: 'u', topicId: randomUuid(), partitions: [one()], configs: {} })
  assert.deepEqual(
    seen.map((d) => d.type),
    ['broker-registered', 'topic-created', 'partition-changed', 'topic-deleted']
  )
  const versions = seen.map((d) => d.version)
  assert.deepEqual(
    versions,
    [...versions].sort((a, b) => (a < b ? -1 : 1))
  )
  assert.equal(new Set(versions).size, versions.length)
  await store.close()
})

test('leftover temp files from a dead write are ignored and removed on load', async () => {
  const dir = fresh()
  const store = await FileMetadataStore.open({ logDirs: [dir], nodeId: 1 })
  const topicId = randomUuid()
  await store.createTopic({ name: 'kept', topicId, partitions: [one()], configs: {} })
  await store.close()
  const metaDir = join(dir, METADATA_DIR)
  // What a process killed mid-write leaves: a half-written temp file that never got renamed.
  const torn = join(metaDir, `${METADATA_FILE}.4242-deadbeef.tmp`)
  await writeFile(torn, '{"format":1,"clusterId":"x","topics":[{"na')
  const reopened = await FileMetadataStore.open({ logDirs: [dir], nodeId: 1 })
  assert.deepEqual(
    [...(await reopened.image()).topics.values()].map((t) => t.name),
    ['kept']
  )
  assert.deepEqual(await readdir(metaDir), [METADATA_FILE])
  await reopened.close()
})

test('a corrupt metadata file refuses to start rather than starting empty', async () => {
  const dir = fresh()
  await (await FileMetadataStore.open({ logDirs: [dir], nodeId: 1 })).close()
  await writeFile(join(dir, METADATA_DIR, METADATA_FILE), '{"format":1,')
  await assert.rejects(FileMetadataStore.open({ logDirs: [dir], nodeId: 1 }), /not valid JSON/)
})

test('metadata goes to the first log dir; meta.properties to every one', async () => {
  const a = fresh()
  const b = fresh()
  const store = await FileMetadataStore.open({ logDirs: [a, b], nodeId: 4 })
  await store.close()
  assert.ok((await readdir(a)).includes(METADATA_DIR))
  assert.ok(!(await readdir(b)).includes(METADATA_DIR))
  for (const d of [a, b]) assert.match(await readFile(join(d, 'meta.properties'), 'utf8'), /node\.id=4/)
})

test('SIGKILL in the middle of a stream of writes leaves a loadable store with a prefix of the writes', async () => {
  const dir = fresh()
  await (await FileMetadataStore.open({ logDirs: [dir], nodeId: 1 })).close()
  const here = dirname(fileURLToPath(import.meta.url))
  const module = join(here, '../../src/cluster/file-metadata-store.js')
  const script = `
    const { FileMetadataStore } = await import(${JSON.stringify(module)})
    const store = await FileMetadataStore.open({ logDirs: [${JSON.stringify(dir)}], nodeId: 1 })
    for (let i = 0; ; i++) {
      const id = Buffer.from(String(i).padStart(16, 'x')).toString('base64url')
      await store.createTopic({ name: 't' + i, topicId: id, partitions: [{ replicas: [1], isr: [1], leader: 1 }], configs: {} })
      if (i === 5) process.stdout.write('started\\n')
    }
  `
  const child = spawn(process.execPath, ['--input-type=module', '-e', script], {
    stdio: ['ignore', 'pipe', 'inherit']
  })
  await new Promise<void>((resolve, reject) => {
    child.stdout.on('data', () => resolve())
    child.on('exit', (code) => reject(new Error(`child exited early with ${code}`)))
  })
  await new Promise((r) => setTimeout(r, 150))
  child.kill('SIGKILL')
  await new Promise((r) => child.on('exit', r))

  const store = await FileMetadataStore.open({ logDirs: [dir], nodeId: 1 })
  const image = await store.image()
  const names = new Set([...image.topics.values()].map((t) => t.name))
  assert.ok(names.size >= 6, `only ${names.size} topics survived`)
  // Writes are sequential, so what survived is exactly t0..t(k-1) and the version counts them.
  for (let i = 0; i < names.size; i++) assert.ok(names.has(`t${i}`), `t${i} missing`)
  assert.equal(image.version, BigInt(names.size))
  await store.close()
})

test('a registration written before brokers registered every listener reads as its one PLAINTEXT endpoint', async () => {
  const dir = fresh()
  const store = await FileMetadataStore.open({ logDirs: [dir], nodeId: 1 })
  const endpoints = [
    { name: 'PLAINTEXT', host: 'a', port: 9092, securityProtocol: 0 },
    { name: 'SASL_SSL', host: 'a', port: 9094, securityProtocol: 3 }
  ]
  await store.registerBroker({ ...broker, nodeId: 2, host: 'a', port: 9092, listeners: endpoints })
  await store.registerBroker(broker)
  await store.close()
  const file = join(dir, METADATA_DIR, METADATA_FILE)
  const stored = JSON.parse(await readFile(file, 'utf8')) as { brokers: Record<string, unknown>[] }
  // The old format: host and port only.
  for (const b of stored.brokers) if (b.nodeId === 1) delete b.listeners
  await writeFile(file, JSON.stringify(stored))
  const reopened = await FileMetadataStore.open({ logDirs: [dir], nodeId: 1 })
  const brokers = (await reopened.image()).brokers
  assert.deepEqual(brokers.get(1)?.listeners, [
    { name: 'PLAINTEXT', host: 'localhost', port: 9092, securityProtocol: 0 }
  ])
  assert.deepEqual(brokers.get(2)?.listeners, endpoints)
  await reopened.close()
})
