/**
 * A reassignment survives the loss of the controller that started it (real etcd, real broker processes):
 * the adding and removing replicas live in the partition registration in etcd, as Kafka keeps them in the
 * PartitionRecord, so the controller elected after a SIGKILL finishes the move. A throttled catch-up keeps
 * the reassignment running while the controller dies.
 */

import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import kafkajs from 'kafkajs'
import type { ClusterState } from '../../../src/cli/cluster-command.js'
import { ErrorCode } from '../../../src/protocol/error-codes.js'
import type {
  AlterPartitionReassignmentsRequest,
  AlterPartitionReassignmentsResponse
} from '../../../src/protocol/messages/alter-partition-reassignments.js'
import type {
  ListPartitionReassignmentsRequest,
  ListPartitionReassignmentsResponse
} from '../../../src/protocol/messages/list-partition-reassignments.js'
import type { MetadataRequest, MetadataResponse } from '../../../src/protocol/messages/metadata.js'
import { ensureEtcd } from '../../helpers/etcd-process.js'
import { pyConsume } from '../support/confluent.js'
import {
  createTopics,
  launchClusterAfresh,
  type PartitionView,
  partitionView,
  roundTrip,
  stopCluster,
  waitFor
} from './cluster-kit.js'

const TOPIC = 'moving'
/** Every broker catches up at 50 kB/s, so the ~300 kB preloaded keep the move running for seconds. */
const OVERRIDES = [
  'broker.session.timeout.ms=3000',
  'auto.leader.rebalance.enable=false',
  'follower.replication.throttled.rate=50000'
]
const PRELOAD_RECORDS = 300

interface View extends PartitionView {
  controllerId: number
}

async function viewAt(port: number): Promise<View> {
  const request: MetadataRequest = {
    topics: [{ name: TOPIC }],
    allowAutoTopicCreation: false,
    includeTopicAuthorizedOperations: false
  }
  const response = await roundTrip<MetadataResponse>(port, 3, 9, request)
  const p = response.topics[0]?.partitions[0]
  if (!p || response.topics[0]?.errorCode !== ErrorCode.NONE) throw new Error(`no metadata for ${TOPIC}`)
  return { controllerId: response.controllerId ?? -1, ...partitionView(p) }
}

describe('reassignment: the controller dies while a partition moves', async () => {
  const skip = await ensureEtcd()
  let dir = ''
  let state: ClusterState | undefined

  before(async () => {
    if (skip) return
    const started = await launchClusterAfresh('samsa-reassign-failover-', {
      brokers: 3,
      overrides: OVERRIDES
    })
    dir = started.dir
    state = started.state
  })

  after(async () => {
    if (skip || !dir) return
    await stopCluster(dir, state)
  })

  it('the next controller completes a reassignment the killed one started', {
    skip
  }, async () => {
    const brokers = state!.brokers
    const controllerId = await waitFor('a controller', 15_000, async () => {
      const id = (
        await roundTrip<MetadataResponse>(brokers[0]!.port, 3, 9, {
          topics: null,
          allowAutoTopicCreation: false,
          includeTopicAuthorizedOperations: false
        } satisfies MetadataRequest)
      ).controllerId
      return id !== undefined && id >= 0 ? id : undefined
    })
    // The partition moves between the two brokers that are not the controller, so killing the controller
    // takes nothing but the controllership with it.
    const [from, to] = brokers.map((b) => b.nodeId).filter((id) => id !== controllerId)
    assert.ok(from !== undefined && to !== undefined)
    const survivor = brokers.find((b) => b.nodeId === to)!
    await createTopics(state!.bootstrap, [
      {
        topic: TOPIC,
        replicaAssignment: [{ partition: 0, replicas: [from] }],
        // As kafka-reassign-partitions.sh --throttle sets it: the replica moving to `to` is throttled.
        configEntries: [{ name: 'follower.replication.throttled.replicas', value: `0:${to}` }]
      }
    ])
    const kafka = new kafkajs.Kafka({
      brokers: state!.bootstrap.split(','),
      logLevel: kafkajs.logLevel.NOTHING
    })
    const producer = kafka.producer({ allowAutoTopicCreation: false })
    await producer.connect()
    const acked: string[] = []
    try {
      const filler = 'x'.repeat(1000)
      for (let i = 0; i < PRELOAD_RECORDS; i += 50) {
        const messages = Array.from({ length: 50 }, (_, j) => ({
          value: `m-${i + j}-${filler}`,
          partition: 0
        }))
        const metadata = await producer.send({ topic: TOPIC, acks: -1, messages })
        assert.equal(metadata[0]?.errorCode, ErrorCode.NONE)
        acked.push(...messages.map((m) => m.value))
      }
    } finally {
      await producer.disconnect()
    }

    const alter: AlterPartitionReassignmentsRequest = {
      timeoutMs: 10_000,
      topics: [{ name: TOPIC, partitions: [{ partitionIndex: 0, replicas: [to] }] }]
    }
    const altered = await roundTrip<AlterPartitionReassignmentsResponse>(survivor.port, 45, 0, alter)
    assert.equal(altered.errorCode, ErrorCode.NONE)
    assert.equal(altered.responses[0]?.partitions[0]?.errorCode, ErrorCode.NONE)
    const list: ListPartitionReassignmentsRequest = { timeoutMs: 10_000, topics: null }
    const listed = await roundTrip<ListPartitionReassignmentsResponse>(survivor.port, 46, 0, list)
    const ongoing = listed.topics[0]?.partitions[0]
    assert.deepEqual(
      ongoing && { adding: ongoing.addingReplicas, removing: ongoing.removingReplicas },
      { adding: [to], removing: [from] },
      'the throttled move is still running when the controller dies'
    )

    process.kill(brokers.find((b) => b.nodeId === controllerId)!.pid, 'SIGKILL')
    await waitFor('another controller', 30_000, async () => {
      const view = await viewAt(survivor.port)
      return view.controllerId >= 0 && view.controllerId !== controllerId ? view : undefined
    })
    const done = await waitFor('the reassignment to complete under the new controller', 45_000, async () => {
      const view = await viewAt(survivor.port)
      return view.leader === to && view.replicas.length === 1 ? view : undefined
    })
    assert.deepEqual(done.replicas, [to])
    assert.deepEqual(done.isr, [to])
    const after = await roundTrip<ListPartitionReassignmentsResponse>(survivor.port, 46, 0, list)
    assert.equal(after.errorCode, ErrorCode.NONE)
    assert.deepEqual(after.topics, [])

    const bootstrap = `127.0.0.1:${survivor.port}`
    const consumed = await pyConsume(bootstrap, TOPIC, { partition: 0 })
    const values = new Set(consumed.records.map((r) => r.value?.toString()))
    assert.deepEqual(
      acked.filter((v) => !values.has(v)).length,
      0,
      'every acknowledged record moved with the partition'
    )
  })
})
