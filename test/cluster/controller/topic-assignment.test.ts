import assert from 'node:assert/strict'
import { test } from 'node:test'
import {
  liveBrokers,
  manualPlacement,
  manualTopicAssignment,
  placePartitions,
  validateManualAssignment
} from '../../../src/cluster/controller/topic-assignment.js'
import type { CreatableTopic } from '../../../src/cluster/controller/topic-requests.js'
import type { BrokerRegistration, MetadataImage } from '../../../src/cluster/metadata-store.js'
import { ErrorCode, KafkaError } from '../../../src/protocol/error-codes.js'

const broker = (nodeId: number, fenced = false): BrokerRegistration => ({
  nodeId,
  host: 'localhost',
  port: 9000 + nodeId,
  rack: null,
  listeners: [],
  brokerEpoch: 1n,
  fenced
})

/** Brokers 3, 1, 4 live and 2 fenced, registered out of order. */
const image: MetadataImage = {
  clusterId: 'c',
  version: 1n,
  brokers: new Map([3, 2, 1, 4].map((id) => [id, broker(id, id === 2)])),
  topics: new Map(),
  topicConfigs: new Map()
}

const code = (c: number) => (err: unknown) => err instanceof KafkaError && err.code === c

test('automatic placement walks the live brokers in id order; every replica starts in the ISR', () => {
  const live = liveBrokers(image)
  assert.deepEqual(
    live.map((b) => b.nodeId),
    [1, 3, 4]
  )
  const placed = placePartitions(live, 3, 2, { fixedStartIndex: 0 })
  assert.deepEqual(
    placed.map((p) => [p.replicas, p.isr, p.leader]),
    [
      [[1, 3], [1, 3], 1],
      [[3, 4], [3, 4], 3],
      [[4, 1], [4, 1], 4]
    ]
  )
})

test('automatic placement fails with Kafka codes', () => {
  const live = liveBrokers(image)
  assert.throws(
    () => placePartitions(live, 1, 4, {}),
    (err: unknown) => {
      assert.ok(code(ErrorCode.INVALID_REPLICATION_FACTOR)(err))
      assert.match((err as Error).message, /only 3 broker\(s\) are live/)
      return true
    }
  )
  assert.throws(() => placePartitions(live, 0, 1, {}), code(ErrorCode.INVALID_PARTITIONS))
})

test('a manual partition assignment: registered brokers, once each, the same count as the others', () => {
  assert.doesNotThrow(() => validateManualAssignment(image, [2, 1], 2), 'a fenced broker is registered')
  const bad: [number[], number | undefined][] = [
    [[], undefined],
    [[1, 9], undefined],
    [[1, 1], undefined],
    [[1, 3, 4], 2]
  ]
  for (const [ids, rf] of bad) {
    assert.throws(
      () => validateManualAssignment(image, ids, rf),
      code(ErrorCode.INVALID_REPLICA_ASSIGNMENT),
      `[${ids}]`
    )
  }
  assert.deepEqual(manualPlacement(image, [2, 3, 1], 0), { replicas: [2, 3, 1], isr: [3, 1], leader: 3 })
  assert.throws(() => manualPlacement(image, [2], 5), code(ErrorCode.INVALID_REPLICA_ASSIGNMENT))
})

test('a manual topic assignment needs -1 counts and partitions numbered without gaps', () => {
  const topic = (more: Partial<CreatableTopic>): CreatableTopic => ({
    name: 't',
    numPartitions: -1,
    replicationFactor: -1,
    assignments: [
      { partitionIndex: 1, brokerIds: [3, 4] },
      { partitionIndex: 0, brokerIds: [1, 3] }
    ],
    configs: [],
    ...more
  })
  const { placements, policyRequest } = manualTopicAssignment(image, topic({}), { 'retention.ms': '1' })
  assert.deepEqual(
    placements.map((p) => p.replicas),
    [
      [1, 3],
      [3, 4]
    ]
  )
  assert.equal(policyRequest.numPartitions, null)
  assert.equal(policyRequest.replicationFactor, null)
  assert.deepEqual(policyRequest.assignments?.get(1), [3, 4])
  assert.deepEqual(policyRequest.configs, { 'retention.ms': '1' })
  const cases: [Partial<CreatableTopic>, number][] = [
    [{ replicationFactor: 2 }, ErrorCode.INVALID_REQUEST],
    [{ numPartitions: 2 }, ErrorCode.INVALID_REQUEST],
    [{ assignments: [{ partitionIndex: 1, brokerIds: [1] }] }, ErrorCode.INVALID_REPLICA_ASSIGNMENT],
    [
      {
        assignments: [
          { partitionIndex: 0, brokerIds: [1] },
          { partitionIndex: 0, brokerIds: [3] }
        ]
      },
      ErrorCode.INVALID_REPLICA_ASSIGNMENT
    ]
  ]
  for (const [more, expected] of cases) {
    assert.throws(() => manualTopicAssignment(image, topic(more), {}), code(expected), JSON.stringify(more))
  }
})
