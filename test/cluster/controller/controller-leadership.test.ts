/**
 * The controller's leadership moves on the embedded file store with three registered brokers: controlled
 * shutdown, ElectLeaders' codes, automatic leader rebalancing and partition reassignment.
 */

import assert from 'node:assert/strict'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, test } from 'node:test'
import { Controller, ElectionType } from '../../../src/cluster/controller/controller.js'
import { FileMetadataStore } from '../../../src/cluster/file-metadata-store.js'
import type { PartitionRegistration } from '../../../src/cluster/metadata-store.js'
import { ErrorCode } from '../../../src/protocol/error-codes.js'

const root = await mkdtemp(join(tmpdir(), 'samsa-leadership-'))
after(() => rm(root, { recursive: true, force: true }))
let n = 0

/** Three brokers and topic `t` with partition p preferring broker p + 1. */
async function setup() {
  const store = await FileMetadataStore.open({ logDirs: [join(root, `case-${n++}`)], nodeId: 1 })
  const controller = new Controller(store, { defaultNumPartitions: 1, defaultReplicationFactor: 1 })
  for (const nodeId of [1, 2, 3]) {
    await controller.registerBroker({
      nodeId,
      host: 'localhost',
      port: 9091 + nodeId,
      rack: null,
      listeners: []
    })
  }
  const assignments = [
    [1, 2, 3],
    [2, 3, 1],
    [3, 1, 2]
  ].map((brokerIds, partitionIndex) => ({ partitionIndex, brokerIds }))
  const [created] = await controller.createTopics([
    { name: 't', numPartitions: -1, replicationFactor: -1, assignments, configs: [] }
  ])
  assert.equal(created?.errorCode, ErrorCode.NONE)
  const partition = async (index: number): Promise<PartitionRegistration> => {
    const image = await store.image()
    return [...image.topics.values()][0]!.partitions[index]!
  }
  const topicId = created!.topicId
  return { store, controller, partition, topicId }
}

test('controlled shutdown moves leadership to another ISR member and keeps the broker out', async () => {
  const { controller, partition, topicId } = await setup()
  const before = await partition(1)
  assert.equal(before.leader, 2)
  assert.deepEqual(await controller.controlledShutdown(2), [])
  for (const i of [0, 1, 2]) {
    const p = await partition(i)
    assert.notEqual(p.leader, 2)
    assert.ok(!p.isr.includes(2), `partition ${i} ISR ${p.isr}`)
  }
  const moved = await partition(1)
  assert.equal(moved.leader, 3)
  assert.ok(moved.leaderEpoch > before.leaderEpoch)
  // The shutting-down broker may not rejoin an ISR while it stops.
  await assert.rejects(
    controller.alterPartitionIsr({
      brokerId: 3,
      topicId,
      partitionIndex: 1,
      leaderEpoch: moved.leaderEpoch,
      partitionEpoch: moved.partitionEpoch,
      newIsr: [...moved.isr, 2]
    }),
    (err: { code?: number }) => err.code === ErrorCode.INELIGIBLE_REPLICA
  )
  // Nor lead through a preferred election; once it registers again it may.
  const [unavailable] = await controller.electLeaders(ElectionType.PREFERRED, [
    { topic: 't', partitions: [1] }
  ])
  assert.equal(unavailable?.errorCode, ErrorCode.PREFERRED_LEADER_NOT_AVAILABLE)
  await controller.brokerUnfenced(2)
  const current = await partition(1)
  await controller.alterPartitionIsr({
    brokerId: 3,
    topicId,
    partitionIndex: 1,
    leaderEpoch: current.leaderEpoch,
    partitionEpoch: current.partitionEpoch,
    newIsr: [...current.isr, 2]
  })
  const elected = await controller.electLeaders(ElectionType.PREFERRED, [{ topic: 't', partitions: [1, 9] }])
  assert.deepEqual(
    elected.map((o) => [o.partitionIndex, o.errorCode]),
    [
      [1, ErrorCode.NONE],
      [9, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION]
    ]
  )
  assert.equal((await partition(1)).leader, 2)
})

test('ElectLeaders: ELECTION_NOT_NEEDED, unclean election of a leaderless partition, all partitions', async () => {
  const { controller, partition } = await setup()
  const [notNeeded] = await controller.electLeaders(ElectionType.PREFERRED, [{ topic: 't', partitions: [0] }])
  assert.equal(notNeeded?.errorCode, ErrorCode.ELECTION_NOT_NEEDED)
  const [hasLeader] = await controller.electLeaders(ElectionType.UNCLEAN, [{ topic: 't', partitions: [0] }])
  assert.equal(hasLeader?.errorCode, ErrorCode.ELECTION_NOT_NEEDED)
  // Electing all partitions leaves out those that need no election.
  assert.deepEqual(await controller.electLeaders(ElectionType.PREFERRED, null), [])
  // Every ISR member of partition 0 but broker 1 goes; then broker 1 goes too: the partition is offline.
  await controller.fenceBroker(2)
  await controller.fenceBroker(3)
  await controller.fenceBroker(1)
  assert.equal((await partition(0)).leader, -1)
  const [none] = await controller.electLeaders(ElectionType.UNCLEAN, [{ topic: 't', partitions: [0] }])
  assert.equal(none?.errorCode, ErrorCode.ELIGIBLE_LEADERS_NOT_AVAILABLE)
})

test('automatic rebalancing gives leadership back to preferred replicas above the imbalance ratio', async () => {
  const { controller, partition, topicId } = await setup()
  await controller.fenceBroker(2)
  assert.equal((await partition(1)).leader, 3)
  await controller.registerBroker({ nodeId: 2, host: 'localhost', port: 9093, rack: null, listeners: [] })
  const p = await partition(1)
  await controller.alterPartitionIsr({
    brokerId: 3,
    topicId,
    partitionIndex: 1,
    leaderEpoch: p.leaderEpoch,
    partitionEpoch: p.partitionEpoch,
    newIsr: [...p.isr, 2]
  })
  // Broker 2 prefers one partition and leads none of it: 100% imbalance.
  assert.equal(await controller.rebalanceLeaders(100), 0)
  assert.equal(await controller.rebalanceLeaders(10), 1)
  assert.equal((await partition(1)).leader, 2)
})

test('reassignment adds replicas, completes when they join the ISR, and can be cancelled', async () => {
  const { controller, partition, topicId } = await setup()
  await controller.registerBroker({ nodeId: 4, host: 'localhost', port: 9999, rack: null, listeners: [] })
  const results = await controller.alterPartitionReassignments([
    { topic: 't', partitionIndex: 0, replicas: [4, 2] },
    { topic: 't', partitionIndex: 1, replicas: null },
    { topic: 't', partitionIndex: 2, replicas: [5] }
  ])
  assert.deepEqual(
    results.map((r) => r.errorCode),
    [ErrorCode.NONE, ErrorCode.NO_REASSIGNMENT_IN_PROGRESS, ErrorCode.INVALID_REPLICA_ASSIGNMENT]
  )
  const running = await partition(0)
  assert.deepEqual(running.replicas, [4, 2, 1, 3])
  assert.deepEqual(await controller.listPartitionReassignments(null), [
    { topic: 't', partitionIndex: 0, replicas: [4, 2, 1, 3], addingReplicas: [4], removingReplicas: [1, 3] }
  ])
  // Broker 4 caught up: the leader adds it to the ISR, which completes the reassignment.
  await controller.alterPartitionIsr({
    brokerId: 1,
    topicId,
    partitionIndex: 0,
    leaderEpoch: running.leaderEpoch,
    partitionEpoch: running.partitionEpoch,
    newIsr: [...running.isr, 4]
  })
  const done = await partition(0)
  assert.deepEqual(done.replicas, [4, 2])
  assert.deepEqual([...done.isr].sort(), [2, 4])
  assert.equal(done.leader, 4, 'the removed leader hands over to the preferred target replica')
  assert.ok(done.leaderEpoch > running.leaderEpoch)
  assert.deepEqual(await controller.listPartitionReassignments(null), [])

  // A reassignment that is cancelled before it completes returns to the original replicas, in the merged
  // order without the adding ones (Kafka's PartitionReassignmentRevert: the registration keeps no other order).
  await controller.alterPartitionReassignments([{ topic: 't', partitionIndex: 1, replicas: [4, 3] }])
  const reassigning = await partition(1)
  assert.deepEqual(reassigning.replicas, [4, 3, 2, 1])
  assert.deepEqual(reassigning.addingReplicas, [4])
  assert.deepEqual(reassigning.removingReplicas, [2, 1])
  await controller.alterPartitionReassignments([{ topic: 't', partitionIndex: 1, replicas: null }])
  const cancelled = await partition(1)
  assert.deepEqual(cancelled.replicas, [3, 2, 1])
  assert.equal(cancelled.addingReplicas, undefined)
  assert.equal(cancelled.removingReplicas, undefined)
  assert.equal(cancelled.leader, 2)
})
