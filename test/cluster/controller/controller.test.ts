import assert from 'node:assert/strict'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, test } from 'node:test'
import {
  Controller,
  type ControllerConfig,
  type CreatableTopic
} from '../../../src/cluster/controller/controller.js'
import { FileMetadataStore } from '../../../src/cluster/file-metadata-store.js'
import { ZERO_UUID } from '../../../src/cluster/kafka-uuid.js'
import { ErrorCode } from '../../../src/protocol/error-codes.js'

const root = await mkdtemp(join(tmpdir(), 'samsa-controller-'))
after(() => rm(root, { recursive: true, force: true }))
let n = 0

async function setup(brokers: (string | null)[] = [null], config: Partial<ControllerConfig> = {}) {
  const store = await FileMetadataStore.open({ logDirs: [join(root, `case-${n++}`)], nodeId: 1 })
  const controller = new Controller(store, {
    defaultNumPartitions: 3,
    defaultReplicationFactor: 1,
    ...config
  })
  for (const [i, rack] of brokers.entries()) {
    await controller.registerBroker({ nodeId: i + 1, host: 'localhost', port: 9092 + i, rack, listeners: [] })
  }
  return { store, controller }
}

const topic = (name: string, more: Partial<CreatableTopic> = {}): CreatableTopic => ({
  name,
  numPartitions: 1,
  replicationFactor: 1,
  assignments: [],
  configs: [],
  ...more
})

test('creating a topic: defaults, result fields, stored registration', async () => {
  const { store, controller } = await setup()
  const [res] = await controller.createTopics([topic('orders', { numPartitions: -1, replicationFactor: -1 })])
  assert.equal(res?.errorCode, ErrorCode.NONE)
  assert.equal(res?.numPartitions, 3)
  assert.equal(res?.replicationFactor, 1)
  assert.notEqual(res?.topicId, ZERO_UUID)
  const stored = (await store.image()).topics.get(res!.topicId)!
  assert.equal(stored.name, 'orders')
  for (const p of stored.partitions) {
    assert.deepEqual([p.replicas, p.isr, p.leader, p.leaderEpoch, p.partitionEpoch], [[1], [1], 1, 0, 0])
  }
  await store.close()
})

test('topic creation errors carry Kafka codes', async () => {
  const { store, controller } = await setup([null, null])
  await controller.createTopics([topic('taken'), topic('metrics.cpu')])
  const cases: [CreatableTopic, number][] = [
    [topic('taken'), ErrorCode.TOPIC_ALREADY_EXISTS],
    [topic('bad name'), ErrorCode.INVALID_TOPIC_EXCEPTION],
    [topic('..'), ErrorCode.INVALID_TOPIC_EXCEPTION],
    [topic('x'.repeat(250)), ErrorCode.INVALID_TOPIC_EXCEPTION],
    [topic('metrics_cpu'), ErrorCode.INVALID_TOPIC_EXCEPTION],
    [topic('p0', { numPartitions: 0 }), ErrorCode.INVALID_PARTITIONS],
    [topic('p-2', { numPartitions: -2 }), ErrorCode.INVALID_PARTITIONS],
    [topic('rf0', { replicationFactor: 0 }), ErrorCode.INVALID_REPLICATION_FACTOR],
    [topic('rf3', { replicationFactor: 3 }), ErrorCode.INVALID_REPLICATION_FACTOR],
    [topic('cfg', { configs: [{ name: 'retention.ms', value: 'soon' }] }), ErrorCode.INVALID_CONFIG],
    [topic('cfg2', { configs: [{ name: 'no.such.config', value: '1' }] }), ErrorCode.INVALID_CONFIG],
    [topic('cfg3', { configs: [{ name: 'retention.ms', value: null }] }), ErrorCode.INVALID_CONFIG],
    [topic('m1', { assignments: [{ partitionIndex: 0, brokerIds: [1] }] }), ErrorCode.INVALID_REQUEST],
    [
      topic('m2', {
        numPartitions: -1,
        replicationFactor: -1,
        assignments: [{ partitionIndex: 0, brokerIds: [9] }]
      }),
      ErrorCode.INVALID_REPLICA_ASSIGNMENT
    ],
    [
      topic('m3', {
        numPartitions: -1,
        replicationFactor: -1,
        assignments: [{ partitionIndex: 0, brokerIds: [1, 1] }]
      }),
      ErrorCode.INVALID_REPLICA_ASSIGNMENT
    ],
    [
      topic('m4', {
        numPartitions: -1,
        replicationFactor: -1,
        assignments: [{ partitionIndex: 1, brokerIds: [1] }]
      }),
      ErrorCode.INVALID_REPLICA_ASSIGNMENT
    ],
    [
      topic('m5', {
        numPartitions: -1,
        replicationFactor: -1,
        assignments: [
          { partitionIndex: 0, brokerIds: [1] },
          { partitionIndex: 1, brokerIds: [1, 2] }
        ]
      }),
      ErrorCode.INVALID_REPLICA_ASSIGNMENT
    ],
    [
      topic('m6', {
        numPartitions: -1,
        replicationFactor: -1,
        assignments: [{ partitionIndex: 0, brokerIds: [] }]
      }),
      ErrorCode.INVALID_REPLICA_ASSIGNMENT
    ]
  ]
  const results = await controller.createTopics(cases.map(([t]) => t))
  for (const [i, [t, code]] of cases.entries()) {
    const r = results[i]!
    assert.equal(r.name, t.name)
    assert.equal(r.errorCode, code, `${t.name.slice(0, 20)}: ${r.errorMessage}`)
    assert.ok(r.errorMessage, 'an error carries a message')
    assert.equal(r.topicId, ZERO_UUID)
    assert.equal(r.numPartitions, -1)
  }
  assert.equal((await store.image()).topics.size, 2, 'no failed topic was created')
  await store.close()
})

test('duplicate names in one request all fail with INVALID_REQUEST', async () => {
  const { store, controller } = await setup()
  const results = await controller.createTopics([topic('d'), topic('ok'), topic('d')])
  assert.deepEqual(
    results.map((r) => [r.name, r.errorCode]),
    [
      ['d', ErrorCode.INVALID_REQUEST],
      ['ok', ErrorCode.NONE]
    ]
  )
  await store.close()
})

test('validateOnly checks everything and writes nothing', async () => {
  const { store, controller } = await setup()
  const [ok] = await controller.createTopics([topic('v', { numPartitions: 4 })], { validateOnly: true })
  assert.equal(ok?.errorCode, ErrorCode.NONE)
  assert.equal(ok?.numPartitions, 4)
  const [bad] = await controller.createTopics([topic('v', { replicationFactor: 2 })], { validateOnly: true })
  assert.equal(bad?.errorCode, ErrorCode.INVALID_REPLICATION_FACTOR)
  assert.equal((await store.image()).topics.size, 0)
  await store.close()
})

test('a create topic policy rejects with POLICY_VIOLATION', async () => {
  const { store, controller } = await setup([null], {
    createTopicPolicy: (r) => ((r.numPartitions ?? 0) > 2 ? 'at most 2 partitions' : null)
  })
  const [r] = await controller.createTopics([topic('big', { numPartitions: 3 })])
  assert.equal(r?.errorCode, ErrorCode.POLICY_VIOLATION)
  assert.equal(r?.errorMessage, 'at most 2 partitions')
  await store.close()
})

test('manual assignment and rack-aware placement across brokers', async () => {
  const { store, controller } = await setup(['a', 'a', 'b', 'b'])
  const [manual] = await controller.createTopics([
    topic('m', {
      numPartitions: -1,
      replicationFactor: -1,
      assignments: [
        { partitionIndex: 1, brokerIds: [2, 3] },
        { partitionIndex: 0, brokerIds: [4, 1] }
      ]
    })
  ])
  assert.equal(manual?.errorCode, ErrorCode.NONE)
  const m = (await store.image()).topics.get(manual!.topicId)!
  assert.deepEqual(
    m.partitions.map((p) => [p.replicas, p.leader]),
    [
      [[4, 1], 4],
      [[2, 3], 2]
    ]
  )
  const [auto] = await controller.createTopics([topic('auto', { numPartitions: 8, replicationFactor: 2 })])
  const rackOf = (id: number): string => (id <= 2 ? 'a' : 'b')
  for (const p of (await store.image()).topics.get(auto!.topicId)!.partitions) {
    assert.notEqual(
      rackOf(p.replicas[0]!),
      rackOf(p.replicas[1]!),
      `partition ${p.partitionIndex} on one rack`
    )
  }
  await store.close()
})

test('delete topics by name and by id', async () => {
  const { store, controller } = await setup()
  const [a, b] = await controller.createTopics([topic('a'), topic('b')])
  const results = await controller.deleteTopics([
    { name: 'a' },
    { topicId: b!.topicId },
    { name: 'nope' },
    { topicId: a!.topicId }
  ])
  assert.deepEqual(
    results.map((r) => [r.name, r.errorCode]),
    [
      ['a', ErrorCode.NONE],
      ['b', ErrorCode.NONE],
      ['nope', ErrorCode.UNKNOWN_TOPIC_OR_PARTITION],
      [null, ErrorCode.UNKNOWN_TOPIC_ID]
    ]
  )
  assert.equal((await store.image()).topics.size, 0)
  await store.close()
})

test('topic deletion can be disabled', async () => {
  const { store, controller } = await setup([null], { deleteTopicEnable: false })
  await controller.createTopics([topic('a')])
  const [r] = await controller.deleteTopics([{ name: 'a' }])
  assert.equal(r?.errorCode, ErrorCode.TOPIC_DELETION_DISABLED)
  await store.close()
})

test('create partitions: increase only, keeps the replication factor', async () => {
  const { store, controller } = await setup([null, null, null])
  const [t] = await controller.createTopics([topic('t', { numPartitions: 2, replicationFactor: 2 })])
  const results = await controller.createPartitions([
    { name: 't', count: 5, assignments: null },
    { name: 'missing', count: 2, assignments: null }
  ])
  assert.deepEqual(
    results.map((r) => r.errorCode),
    [ErrorCode.NONE, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION]
  )
  const parts = (await store.image()).topics.get(t!.topicId)!.partitions
  assert.equal(parts.length, 5)
  for (const p of parts) assert.equal(new Set(p.replicas).size, 2)
  const again = await controller.createPartitions([
    { name: 't', count: 5, assignments: null },
    { name: 't2', count: 1, assignments: null }
  ])
  assert.equal(again[0]?.errorCode, ErrorCode.INVALID_PARTITIONS)
  const fewer = await controller.createPartitions([{ name: 't', count: 3, assignments: null }])
  assert.equal(fewer[0]?.errorCode, ErrorCode.INVALID_PARTITIONS)
  const wrong = await controller.createPartitions([
    { name: 't', count: 6, assignments: [{ brokerIds: [1] }] }
  ])
  assert.equal(wrong[0]?.errorCode, ErrorCode.INVALID_REPLICA_ASSIGNMENT)
  const manual = await controller.createPartitions([
    { name: 't', count: 6, assignments: [{ brokerIds: [3, 1] }] }
  ])
  assert.equal(manual[0]?.errorCode, ErrorCode.NONE)
  const dry = await controller.createPartitions([{ name: 't', count: 9, assignments: null }], {
    validateOnly: true
  })
  assert.equal(dry[0]?.errorCode, ErrorCode.NONE)
  assert.equal((await store.image()).topics.get(t!.topicId)!.partitions.length, 6)
  await store.close()
})

test('fencing a broker moves leadership within the ISR; the last replica keeps the ISR and goes offline', async () => {
  const { store, controller } = await setup([null, null])
  const [t] = await controller.createTopics([
    topic('t', {
      numPartitions: -1,
      replicationFactor: -1,
      assignments: [
        { partitionIndex: 0, brokerIds: [1, 2] },
        { partitionIndex: 1, brokerIds: [2, 1] }
      ]
    })
  ])
  await controller.fenceBroker(1)
  let parts = (await store.image()).topics.get(t!.topicId)!.partitions
  assert.deepEqual(
    parts.map((p) => [p.leader, p.isr, p.leaderEpoch]),
    [
      [2, [2], 1],
      [2, [2], 0]
    ]
  )
  await controller.fenceBroker(2)
  parts = (await store.image()).topics.get(t!.topicId)!.partitions
  assert.deepEqual(
    parts.map((p) => [p.leader, p.isr]),
    [
      [-1, [2]],
      [-1, [2]]
    ]
  )
  // Broker 2 comes back: it is the ISR, so a clean election makes it leader again with a new epoch.
  await controller.registerBroker({ nodeId: 2, host: 'localhost', port: 9093, rack: null, listeners: [] })
  parts = (await store.image()).topics.get(t!.topicId)!.partitions
  assert.deepEqual(
    parts.map((p) => [p.leader, p.leaderEpoch]),
    [
      [2, 3],
      [2, 2]
    ]
  )
  await store.close()
})

test('alter topic configs validates names and values', async () => {
  const { store, controller } = await setup()
  await controller.createTopics([topic('c')])
  assert.deepEqual(await controller.alterTopicConfigs('c', { 'cleanup.policy': 'compact' }), {
    'cleanup.policy': 'compact'
  })
  await assert.rejects(controller.alterTopicConfigs('c', { 'segment.bytes': '10' }), {
    code: ErrorCode.INVALID_CONFIG
  })
  await assert.rejects(controller.alterTopicConfigs('zz', {}), { code: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION })
  await store.close()
})
