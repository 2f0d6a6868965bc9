import assert from 'node:assert/strict'
import { test } from 'node:test'
import { TopicControlManager } from '../../../src/cluster/controller/topic-control.js'
import { ErrorCode } from '../../../src/protocol/error-codes.js'
import { openStore } from './metadata-fixture.js'

const defaults = { defaultNumPartitions: 2, defaultReplicationFactor: 2, randomInt: () => 0 }

test('new topics are placed on live brokers only', async () => {
  const { store } = await openStore([1, 2, 3])
  await store.fenceBroker(2)
  const topics = new TopicControlManager(store, defaults)
  const [ok, tooMany] = await topics.createTopics([
    { name: 'a', numPartitions: 4, replicationFactor: -1, assignments: [], configs: [] },
    { name: 'b', numPartitions: 1, replicationFactor: 3, assignments: [], configs: [] }
  ])
  assert.equal(ok?.errorCode, ErrorCode.NONE)
  const placed = (await store.image()).topics.get(ok!.topicId)!.partitions
  assert.equal(placed.length, 4)
  for (const p of placed) assert.deepEqual([...p.replicas].sort(), [1, 3])
  assert.equal(tooMany?.errorCode, ErrorCode.INVALID_REPLICATION_FACTOR)
  assert.match(tooMany?.errorMessage ?? '', /only 2 broker\(s\) are live/)
})

test('new partitions continue the round-robin from the preferred leader of partition 0', async () => {
  const { store, createTopic, partition } = await openStore([1, 2, 3])
  await createTopic('t', [[2, 3]])
  const topics = new TopicControlManager(store, defaults)
  const [dry] = await topics.createPartitions([{ name: 't', count: 3, assignments: null }], {
    validateOnly: true
  })
  assert.equal(dry?.errorCode, ErrorCode.NONE)
  assert.equal((await store.image()).topics.size, 1)
  assert.equal((await partition('t', 0)).partitionEpoch, 0)
  await topics.createPartitions([{ name: 't', count: 3, assignments: null }])
  const replicas = await Promise.all([1, 2].map(async (i) => (await partition('t', i)).replicas))
  // Partition 0 is led from broker 2 (index 1 of the live list): the leaders go on with 3 and 1, and the
  // followers keep the shift that start index pins (Kafka's fixedStartIndex), not a random one.
  assert.deepEqual(replicas, [
    [3, 2],
    [1, 3]
  ])
})

test('config changes are validated; validateOnly returns the current overrides and writes nothing', async () => {
  const { store, createTopic } = await openStore([1])
  const topicId = await createTopic('c', [[1]], { 'retention.ms': '1000' })
  const topics = new TopicControlManager(store, defaults)
  assert.deepEqual(
    await topics.alterTopicConfigs('c', { 'cleanup.policy': 'compact' }, { validateOnly: true }),
    { 'retention.ms': '1000' }
  )
  assert.deepEqual((await store.image()).topicConfigs.get(topicId), { 'retention.ms': '1000' })
  assert.deepEqual(
    await topics.alterTopicConfigs('c', { 'retention.ms': null, 'cleanup.policy': 'compact' }),
    {
      'cleanup.policy': 'compact'
    }
  )
  await assert.rejects(topics.alterTopicConfigs('c', { 'retention.ms': 'soon' }), {
    code: ErrorCode.INVALID_CONFIG
  })
  await assert.rejects(topics.alterTopicConfigs('gone', {}), { code: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION })
})

test('deleting: by name or id, never both; unknown topics; delete.topic.enable=false', async () => {
  const { store, createTopic } = await openStore([1])
  const id = await createTopic('a', [[1]])
  await createTopic('b', [[1]])
  const disabled = new TopicControlManager(store, { ...defaults, deleteTopicEnable: false })
  const [refused] = await disabled.deleteTopics([{ name: 'a' }])
  assert.equal(refused?.errorCode, ErrorCode.TOPIC_DELETION_DISABLED)
  const topics = new TopicControlManager(store, defaults)
  const results = await topics.deleteTopics([
    { name: 'a', topicId: id },
    { topicId: id },
    { topicId: id },
    { name: 'x' }
  ])
  assert.deepEqual(
    results.map((r) => [r.name, r.errorCode]),
    [
      ['a', ErrorCode.INVALID_REQUEST],
      ['a', ErrorCode.NONE],
      [null, ErrorCode.UNKNOWN_TOPIC_ID],
      ['x', ErrorCode.UNKNOWN_TOPIC_OR_PARTITION]
    ]
  )
  assert.deepEqual(
    [...(await store.image()).topics.values()].map((t) => t.name),
    ['b']
  )
})
