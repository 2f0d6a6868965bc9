import assert from 'node:assert/strict'
import { test } from 'node:test'
import { BrokerLiveness } from '../../../src/cluster/controller/broker-liveness.js'
import { ReassignmentControlManager } from '../../../src/cluster/controller/reassignment-control.js'
import { ErrorCode } from '../../../src/protocol/error-codes.js'
import { openStore } from './metadata-fixture.js'

test('reassignment requests are validated with Kafka codes, partition by partition', async () => {
  const { store, createTopic, partition } = await openStore([1, 2, 3])
  await createTopic('t', [[1, 2]])
  const reassignments = new ReassignmentControlManager(store, new BrokerLiveness())
  const results = await reassignments.alterPartitionReassignments([
    { topic: 't', partitionIndex: 1, replicas: [1] },
    { topic: 'nope', partitionIndex: 0, replicas: [1] },
    { topic: 't', partitionIndex: 0, replicas: [] },
    { topic: 't', partitionIndex: 0, replicas: [2, 2] },
    { topic: 't', partitionIndex: 0, replicas: [1, 9] },
    { topic: 't', partitionIndex: 0, replicas: null }
  ])
  assert.deepEqual(
    results.map((r) => [r.partitionIndex, r.errorCode]),
    [
      [1, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION],
      [0, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION],
      [0, ErrorCode.INVALID_REPLICA_ASSIGNMENT],
      [0, ErrorCode.INVALID_REPLICA_ASSIGNMENT],
      [0, ErrorCode.INVALID_REPLICA_ASSIGNMENT],
      [0, ErrorCode.NO_REASSIGNMENT_IN_PROGRESS]
    ]
  )
  assert.equal((await partition('t', 0)).partitionEpoch, 0, 'nothing was written')
})

test('a target with the same brokers is applied at once; the same order again writes nothing', async () => {
  const { store, createTopic, partition } = await openStore([1, 2])
  await createTopic('t', [[1, 2]])
  const reassignments = new ReassignmentControlManager(store, new BrokerLiveness())
  await reassignments.alterPartitionReassignments([{ topic: 't', partitionIndex: 0, replicas: [2, 1] }])
  const reordered = await partition('t', 0)
  assert.deepEqual([reordered.replicas, reordered.leader, reordered.partitionEpoch], [[2, 1], 1, 1])
  assert.equal(reordered.addingReplicas, undefined)
  await reassignments.alterPartitionReassignments([{ topic: 't', partitionIndex: 0, replicas: [2, 1] }])
  assert.equal((await partition('t', 0)).partitionEpoch, 1)
  assert.deepEqual(await reassignments.listPartitionReassignments(null), [])
})

test('a resumed reassignment completes once the ISR holds the target, electing a live leader', async () => {
  const { store, createTopic, partition } = await openStore([1, 2, 3, 4])
  const topicId = await createTopic('t', [
    [1, 2],
    [4, 1]
  ])
  await createTopic('other', [[1, 2]])
  const liveness = new BrokerLiveness()
  const reassignments = new ReassignmentControlManager(store, liveness)
  await reassignments.alterPartitionReassignments([
    { topic: 't', partitionIndex: 0, replicas: [3, 2] },
    { topic: 'other', partitionIndex: 0, replicas: [3, 1] }
  ])
  const running = await partition('t', 0)
  assert.deepEqual(
    [running.replicas, running.isr, running.addingReplicas, running.removingReplicas],
    [[3, 2, 1], [1, 2], [3], [1]]
  )
  assert.deepEqual(
    await reassignments.listPartitionReassignments([{ topic: 't', partitionIndexes: [0, 1] }]),
    [{ topic: 't', partitionIndex: 0, replicas: [3, 2, 1], addingReplicas: [3], removingReplicas: [1] }]
  )
  assert.deepEqual(
    await reassignments.listPartitionReassignments([{ topic: 't', partitionIndexes: [1] }]),
    []
  )
  assert.equal(await reassignments.maybeComplete(await store.image(), topicId, running), undefined)

  // Broker 3 joined the ISR, but the controller that committed it never finished; broker 3 is meanwhile in
  // controlled shutdown, so the other target replica leads.
  await store.alterPartition(topicId, 0, running.partitionEpoch, { isr: [1, 2, 3] })
  liveness.beginControlledShutdown(3)
  await reassignments.resumeReassignments()
  const done = await partition('t', 0)
  assert.deepEqual([done.replicas, done.isr, done.leader], [[3, 2], [2, 3], 2])
  assert.equal(done.addingReplicas, undefined)
  assert.equal(done.removingReplicas, undefined)
  assert.ok(done.leaderEpoch > running.leaderEpoch)
  // The other topic's target is not in its ISR yet: it keeps running.
  assert.deepEqual(
    (await reassignments.listPartitionReassignments(null)).map((r) => r.topic),
    ['other']
  )
})

test('a replaced reassignment keeps its original replicas; cancelling returns to them', async () => {
  const { store, createTopic, partition } = await openStore([1, 2, 3, 4])
  const topicId = await createTopic('t', [[1, 2]])
  const reassignments = new ReassignmentControlManager(store, new BrokerLiveness())
  const move = (replicas: number[] | null) =>
    reassignments.alterPartitionReassignments([{ topic: 't', partitionIndex: 0, replicas }])
  await move([3, 4])
  const first = await partition('t', 0)
  assert.deepEqual(
    [first.replicas, first.addingReplicas, first.removingReplicas],
    [
      [3, 4, 1, 2],
      [3, 4],
      [1, 2]
    ]
  )
  // Broker 3 caught up, broker 4 not yet; then the target changes to [4, 2].
  await store.alterPartition(topicId, 0, first.partitionEpoch, { isr: [1, 2, 3] })
  await move([4, 2])
  const replaced = await partition('t', 0)
  assert.deepEqual(
    [replaced.replicas, replaced.isr, replaced.addingReplicas, replaced.removingReplicas],
    [[4, 2, 1], [1, 2], [4], [1]],
    'adding and removing are relative to the replicas before the first reassignment'
  )
  await move(null)
  const cancelled = await partition('t', 0)
  assert.deepEqual([cancelled.replicas, cancelled.isr, cancelled.leader], [[2, 1], [1, 2], 1])
  assert.equal(cancelled.addingReplicas, undefined)
  assert.equal(cancelled.removingReplicas, undefined)
  const [again] = await move(null)
  assert.equal(again?.errorCode, ErrorCode.NO_REASSIGNMENT_IN_PROGRESS)
})
