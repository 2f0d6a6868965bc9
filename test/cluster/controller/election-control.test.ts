import assert from 'node:assert/strict'
import { test } from 'node:test'
import { BrokerLiveness } from '../../../src/cluster/controller/broker-liveness.js'
import { ElectionControlManager, ElectionType } from '../../../src/cluster/controller/election-control.js'
import { ErrorCode } from '../../../src/protocol/error-codes.js'
import { openStore } from './metadata-fixture.js'

test('re-election after a fence: the topic override of unclean.leader.election.enable wins over the default', async () => {
  const { store, createTopic, partition } = await openStore([1, 2])
  const clean = await createTopic('clean', [[1, 2]])
  const dirty = await createTopic('dirty', [[1, 2]], { 'unclean.leader.election.enable': 'true' })
  for (const topicId of [clean, dirty]) await store.alterPartition(topicId, 0, 0, { isr: [1] })
  await store.fenceBroker(1)
  const elections = new ElectionControlManager(store, new BrokerLiveness(), {})
  await elections.reelect(await store.image(), (p) => p.leader === 1)
  const offline = await partition('clean', 0)
  assert.deepEqual([offline.leader, offline.isr], [-1, [1]], 'clean: offline, the ISR keeps its last member')
  const unclean = await partition('dirty', 0)
  assert.deepEqual([unclean.leader, unclean.isr], [2, [2]], 'unclean: an out-of-sync replica leads alone')

  // A broker default of true does not override a topic that says false.
  const strict = await createTopic('strict', [[2, 1]], { 'unclean.leader.election.enable': 'false' })
  await store.alterPartition(strict, 0, 0, { isr: [2] })
  await store.fenceBroker(2)
  await store.registerBroker({ nodeId: 1, host: 'localhost', port: 9001, rack: null, listeners: [] })
  const lenient = new ElectionControlManager(store, new BrokerLiveness(), {
    uncleanLeaderElectionEnable: true
  })
  await lenient.reelect(await store.image(), (p) => p.leader === 2)
  assert.equal((await partition('strict', 0)).leader, -1)
  assert.equal((await partition('dirty', 0)).leader, 1, 'the unclean topic moves on to the live replica')
})

test('re-election skips brokers in controlled shutdown and takes them out of the ISR', async () => {
  const { store, createTopic, partition } = await openStore([1, 2, 3])
  await createTopic('t', [[1, 2, 3]])
  const liveness = new BrokerLiveness()
  const elections = new ElectionControlManager(store, liveness, {})
  liveness.beginControlledShutdown(1)
  await elections.reelect(await store.image(), (p) => p.isr.includes(1))
  let p = await partition('t', 0)
  assert.deepEqual([p.leader, p.isr, p.leaderEpoch], [2, [2, 3], 1])
  liveness.beginControlledShutdown(2)
  await elections.reelect(await store.image(), (q) => q.isr.includes(2))
  p = await partition('t', 0)
  assert.deepEqual([p.leader, p.isr, p.leaderEpoch], [3, [3], 2])
})

test('ElectLeaders: request errors, preferred leader not in the ISR, unclean election of an offline partition', async () => {
  const { store, createTopic, partition } = await openStore([1, 2])
  const topicId = await createTopic('t', [
    [1, 2],
    [1, 2]
  ])
  const elections = new ElectionControlManager(store, new BrokerLiveness(), {})
  const codes = async (type: number, partitions: number[], topic = 't') =>
    (await elections.electLeaders(type, [{ topic, partitions }])).map((o) => o.errorCode)
  assert.deepEqual(await codes(7, [0]), [ErrorCode.INVALID_REQUEST])
  assert.deepEqual(await codes(ElectionType.PREFERRED, [0], 'nope'), [ErrorCode.UNKNOWN_TOPIC_OR_PARTITION])
  assert.deepEqual(await codes(ElectionType.PREFERRED, [5]), [ErrorCode.UNKNOWN_TOPIC_OR_PARTITION])

  // Partition 0: broker 2 leads alone, so the preferred broker 1 cannot take over until it rejoins the ISR.
  await store.alterPartition(topicId, 0, 0, { leader: 2, isr: [2] })
  assert.deepEqual(await codes(ElectionType.PREFERRED, [0]), [ErrorCode.PREFERRED_LEADER_NOT_AVAILABLE])
  const p0 = await partition('t', 0)
  await store.alterPartition(topicId, 0, p0.partitionEpoch, { isr: [2, 1] })
  const all = await elections.electLeaders(ElectionType.PREFERRED, null)
  assert.deepEqual(all, [{ topic: 't', partitionIndex: 0, errorCode: ErrorCode.NONE, errorMessage: null }])
  assert.equal((await partition('t', 0)).leader, 1)

  // Partition 1: its only ISR member is fenced; an unclean election gives it the other replica.
  const p1 = await partition('t', 1)
  await store.alterPartition(topicId, 1, p1.partitionEpoch, { isr: [1] })
  await store.fenceBroker(1)
  await elections.reelect(await store.image(), (p) => p.leader === 1)
  assert.equal((await partition('t', 1)).leader, -1)
  assert.deepEqual(await codes(ElectionType.UNCLEAN, [1]), [ErrorCode.NONE])
  const elected = await partition('t', 1)
  assert.deepEqual([elected.leader, elected.isr], [2, [2]])
})

test('leader rebalancing acts only above the imbalance percentage and counts the partitions it moved', async () => {
  const { store, createTopic, partition } = await openStore([1, 2])
  const topicId = await createTopic('t', [
    [1, 2],
    [1, 2],
    [2, 1]
  ])
  await store.alterPartition(topicId, 0, 0, { leader: 2 })
  const elections = new ElectionControlManager(store, new BrokerLiveness(), {})
  // Broker 1 prefers two partitions and leads one of them: 50%.
  assert.equal(await elections.rebalanceLeaders(50), 0)
  assert.equal((await partition('t', 0)).leader, 2)
  assert.equal(await elections.rebalanceLeaders(49), 1)
  const leaders = await Promise.all([0, 1, 2].map(async (i) => (await partition('t', i)).leader))
  assert.deepEqual(leaders, [1, 1, 2])
})
