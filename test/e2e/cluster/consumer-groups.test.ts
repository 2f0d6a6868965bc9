/**
 * Consumer groups on a 3-broker cluster (real etcd, real broker processes): every broker answers
 * FindCoordinator with the leader of the group's `__consumer_offsets` partition (created through the
 * controller with RF=3), only that broker serves the group (the others answer NOT_COORDINATOR), a
 * librdkafka member joins and commits, and a kafkajs group of two survives a SIGKILL of its coordinator:
 * the coordinator moves to the partition's new leader, which loaded the replicated commits, and the members
 * carry on from them (nothing skipped, nothing committed consumed again).
 */

import assert from 'node:assert/strict'
import { mkdtemp } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import kafkajs from 'kafkajs'
import type { ClusterState } from '../../../src/cli/cluster-command.js'
import { partitionFor } from '../../../src/coordinator/group/group-partition.js'
import { ErrorCode } from '../../../src/protocol/error-codes.js'
import type {
  ElectLeadersRequest,
  ElectLeadersResponse
} from '../../../src/protocol/messages/elect-leaders.js'
import type { OffsetFetchRequest, OffsetFetchResponse } from '../../../src/protocol/messages/offset-fetch.js'
import { ensureEtcd } from '../../helpers/etcd-process.js'
import { GroupConsumerProcess } from '../../helpers/group-consumer-process.js'
import {
  brokerOf,
  createTopics,
  findCoordinator,
  partitionOf,
  RestartedBroker,
  roundTrip,
  startCluster,
  stopCluster,
  waitFor
} from './cluster-kit.js'

const TOPIC = 'orders'
const PARTITIONS = 6
const OFFSETS_PARTITIONS = 3
const OVERRIDES = [
  'broker.session.timeout.ms=3000',
  'replica.lag.time.max.ms=4000',
  'group.initial.rebalance.delay.ms=0',
  'group.min.session.timeout.ms=1000',
  `offsets.topic.num.partitions=${OFFSETS_PARTITIONS}`
]

/** OffsetFetch v5 of every partition of TOPIC from the broker at `port`: the committed offsets or the error. */
async function offsetFetch(port: number, groupId: string): Promise<{ errorCode: number; offsets: number[] }> {
  const body: OffsetFetchRequest = {
    groupId,
    topics: [{ name: TOPIC, partitionIndexes: Array.from({ length: PARTITIONS }, (_, i) => i) }]
  }
  const r = await roundTrip<OffsetFetchResponse>(port, 9, 5, body, 10_000)
  const offsets = new Array<number>(PARTITIONS).fill(-1)
  for (const p of r.topics?.[0]?.partitions ?? []) offsets[p.partitionIndex] = Number(p.committedOffset)
  return { errorCode: r.errorCode ?? ErrorCode.NONE, offsets }
}

/** ElectLeaders v1, preferred election, of one `__consumer_offsets` partition: its error code. */
async function electPreferredLeader(port: number, partition: number): Promise<number> {
  const body: ElectLeadersRequest = {
    electionType: 0,
    topicPartitions: [{ topic: '__consumer_offsets', partitions: [partition] }],
    timeoutMs: 15_000
  }
  const r = await roundTrip<ElectLeadersResponse>(port, 43, 1, body, 20_000)
  return r.errorCode || (r.replicaElectionResults[0]?.partitionResult[0]?.errorCode ?? -1)
}

const sum = (xs: readonly number[]) => xs.reduce((a, b) => a + Math.max(0, b), 0)

describe('consumer groups on a 3-broker cluster', async () => {
  const skip = await ensureEtcd()
  const opts = { skip, timeout: 120_000 }
  let dir = ''
  let state: ClusterState | undefined
  let kafka: kafkajs.Kafka | undefined
  const killed = new Set<number>()
  let restarted: RestartedBroker | undefined
  /** What the failover test leaves for the next one: the dead and the new coordinator, and the commits. */
  let failover: { group: string; dead: number; next: number; committed: number } | undefined

  const portOf = (nodeId: number) => brokerOf(state!, nodeId).port
  const livePorts = () => state!.brokers.filter((b) => !killed.has(b.nodeId)).map((b) => b.port)

  /** Produces `count` records `<prefix>-<i>`, round-robin over the partitions, acks=all. */
  const produce = async (prefix: string, count: number): Promise<string[]> => {
    const producer = kafka!.producer({ allowAutoTopicCreation: false })
    await producer.connect()
    try {
      const values = Array.from({ length: count }, (_, i) => `${prefix}-${i}`)
      await producer.send({
        topic: TOPIC,
        acks: -1,
        messages: values.map((value, i) => ({ value, partition: i % PARTITIONS }))
      })
      return values
    } finally {
      await producer.disconnect()
    }
  }

  before(async () => {
    if (skip) return
    dir = await mkdtemp(join(tmpdir(), 'samsa-cluster-groups-'))
    state = await startCluster(dir, 3, OVERRIDES)
    kafka = new kafkajs.Kafka({
      brokers: state.bootstrap.split(','),
      logLevel: kafkajs.logLevel.NOTHING,
      retry: { retries: 30, initialRetryTime: 100, maxRetryTime: 1000 }
    })
    await createTopics(state.bootstrap, [{ topic: TOPIC, numPartitions: PARTITIONS, replicationFactor: 3 }])
  })

  after(async () => {
    if (skip || !dir) return
    restarted?.kill()
    await stopCluster(dir, state)
  })

  it(
    'every broker names the leader of the group`s offsets partition (RF=3, created via the controller)',
    opts,
    async () => {
      const groups = ['g-a', 'g-b', 'g-c', 'g-d', 'g-e', 'g-f']
      // The first FindCoordinator creates the topic; until it has leaders the answer is COORDINATOR_NOT_AVAILABLE.
      await waitFor('coordinators for every group', 30_000, async () => {
        for (const port of livePorts()) {
          for (const g of groups)
            if ((await findCoordinator(port, g)).errorCode !== ErrorCode.NONE) return undefined
        }
        return true
      })
      const offsets = await partitionOf(state!.bootstrap, '__consumer_offsets', 0)
      assert.equal(offsets.replicas.length, 3, 'offsets.topic.replication.factor=3 on 3 live brokers')
      const leaders = new Set<number>()
      for (const g of groups) {
        const leader = (
          await partitionOf(state!.bootstrap, '__consumer_offsets', partitionFor(g, OFFSETS_PARTITIONS))
        ).leader
        leaders.add(leader)
        for (const port of livePorts()) {
          const r = await findCoordinator(port, g)
          assert.equal(
            r.nodeId,
            leader,
            `broker on ${port} names ${r.nodeId} for ${g}, the leader is ${leader}`
          )
          assert.equal(r.port, portOf(leader))
        }
      }
      // Non-coordinators refuse the group: NOT_COORDINATOR sends the client back to FindCoordinator.
      const g = groups[0]!
      const coordinator = (await findCoordinator(state!.brokers[0]!.port, g)).nodeId
      for (const b of state!.brokers) {
        const r = await offsetFetch(b.port, g)
        assert.equal(r.errorCode, b.nodeId === coordinator ? ErrorCode.NONE : ErrorCode.NOT_COORDINATOR)
      }
    }
  )

  it('a librdkafka member joins a group on the cluster, consumes and commits', opts, async () => {
    const values = await produce('rd', 60)
    const member = GroupConsumerProcess.start('rd-member', {
      bootstrap: state!.bootstrap,
      groupId: 'rd-group',
      topics: [TOPIC],
      config: { 'enable.auto.commit': false, 'session.timeout.ms': 6000 }
    })
    try {
      await member.waitFor((e) => e.ev === 'assign', 30_000)
      await waitFor('librdkafka to consume every record', 30_000, async () =>
        values.every((v) => member.values().includes(v)) ? true : undefined
      )
      await member.request({ cmd: 'commit' }, 'commit', 15_000)
      const coordinator = (await findCoordinator(state!.brokers[1]!.port, 'rd-group')).nodeId
      const fetched = await offsetFetch(portOf(coordinator), 'rd-group')
      assert.equal(fetched.errorCode, ErrorCode.NONE)
      assert.equal(sum(fetched.offsets), values.length, `committed ${fetched.offsets}`)
    } finally {
      await member.close()
    }
  })

  it(
    'a kafkajs group of two survives a SIGKILL of its coordinator: nothing skipped, commits kept',
    opts,
    async () => {
      const GROUP = 'js-group'
      const before = await produce('a', 120)
      const received: string[] = []
      // kafkajs keeps heartbeating and committing to the dead coordinator's address until its retries run
      // out; then the consumer restarts, looks the coordinator up again and rejoins. Few retries keep that short.
      const consumers = [0, 1].map(() =>
        kafka!.consumer({
          groupId: GROUP,
          sessionTimeout: 6000,
          heartbeatInterval: 500,
          rebalanceTimeout: 20_000,
          retry: { retries: 3, initialRetryTime: 100, maxRetryTime: 500 }
        })
      )
      const joins: number[][] = [[], []]
      try {
        for (const [i, c] of consumers.entries()) {
          c.on(c.events.GROUP_JOIN, () => joins[i]!.push(Date.now()))
          await c.connect()
          await c.subscribe({ topic: TOPIC, fromBeginning: true })
          await c.run({
            autoCommitInterval: 200,
            eachMessage: async ({ message }) => {
              received.push(message.value?.toString() ?? '')
            }
          })
        }
        // Offsets committed for everything consumed: the `rd-*` records of the previous test and `a-*`.
        const end = (
          await offsetFetch(portOf((await findCoordinator(livePorts()[0]!, 'rd-group')).nodeId), 'rd-group')
        ).offsets
        const total = sum(end) + before.length
        const coordinator = (await findCoordinator(livePorts()[0]!, GROUP)).nodeId
        const committed = await waitFor('the group to commit every record', 40_000, async () => {
          const r = await offsetFetch(portOf(coordinator), GROUP)
          return r.errorCode === ErrorCode.NONE && sum(r.offsets) === total ? r.offsets : undefined
        })
        assert.ok(
          before.every((v) => received.includes(v)),
          'every a-* record consumed'
        )
        const consumedBeforeKill = received.length

        const killedAt = Date.now()
        killed.add(coordinator)
        process.kill(state!.brokers.find((b) => b.nodeId === coordinator)!.pid, 'SIGKILL')
        const offsetsPartition = partitionFor(GROUP, OFFSETS_PARTITIONS)
        const next = await waitFor('a new coordinator', 30_000, async () => {
          const r = await findCoordinator(livePorts()[0]!, GROUP)
          return r.errorCode === ErrorCode.NONE && r.nodeId !== coordinator ? r.nodeId : undefined
        })
        const port = livePorts().find((p) => p !== portOf(next))!
        assert.equal(
          (await partitionOf(`127.0.0.1:${port}`, '__consumer_offsets', offsetsPartition)).leader,
          next
        )
        // The new coordinator loaded the replicated commits (acks=all) of the dead one.
        const reloaded = await waitFor('the new coordinator to serve the group', 20_000, async () => {
          const r = await offsetFetch(portOf(next), GROUP)
          return r.errorCode === ErrorCode.NONE ? r.offsets : undefined
        })
        for (let p = 0; p < PARTITIONS; p++)
          assert.ok(reloaded[p]! >= committed[p]!, `partition ${p}: ${reloaded}`)

        const afterKill = await produce('b', 120)
        await waitFor('the group to consume the records produced after the kill', 40_000, async () =>
          afterKill.every((v) => received.includes(v)) ? true : undefined
        )
        for (const [i, times] of joins.entries()) {
          assert.ok(
            times.some((t) => t > killedAt),
            `consumer ${i} did not rejoin after the kill`
          )
        }
        // Everything committed before the kill stays consumed once: the members resumed from the commits.
        const redelivered = received.slice(consumedBeforeKill).filter((v) => !v.startsWith('b-'))
        assert.deepEqual(redelivered, [], 'records committed before the kill were consumed again')
        await waitFor('the new coordinator to hold the commits of every record', 30_000, async () => {
          const r = await offsetFetch(portOf(next), GROUP)
          return r.errorCode === ErrorCode.NONE && sum(r.offsets) === total + afterKill.length
            ? true
            : undefined
        })
        failover = { group: GROUP, dead: coordinator, next, committed: total + afterKill.length }
      } finally {
        // Bounded: a consumer in the middle of a restart may take its time to stop.
        const stopped = Promise.all(consumers.map((c) => c.disconnect().catch(() => undefined)))
        await Promise.race([stopped, new Promise((r) => setTimeout(r, 15_000).unref())])
      }
    }
  )

  it(
    'the restarted broker takes its offsets partition back: the previous coordinator resigns',
    opts,
    async () => {
      assert.ok(failover, 'the failover test ran')
      const { group, dead, next, committed } = failover
      const partition = partitionFor(group, OFFSETS_PARTITIONS)
      const broker = state!.brokers.find((b) => b.nodeId === dead)!
      restarted = await RestartedBroker.start(state!, broker, OVERRIDES)
      killed.delete(dead)
      const bootstrap = `127.0.0.1:${portOf(next)}`
      const offsets = await waitFor('the restarted broker back in the ISR', 30_000, async () => {
        const p = await partitionOf(bootstrap, '__consumer_offsets', partition)
        return p.isrs.some((r) => r.id === dead) ? p : undefined
      })
      // The partition was created with its preferred replica as leader: the broker killed as coordinator.
      assert.equal(offsets.replicas[0]?.id, dead)
      assert.equal(await electPreferredLeader(portOf(next), partition), ErrorCode.NONE)
      await waitFor('every broker to name the restarted broker', 20_000, async () => {
        for (const port of livePorts())
          if ((await findCoordinator(port, group)).nodeId !== dead) return undefined
        return true
      })
      // The previous coordinator unloaded the group: clients are sent back to FindCoordinator.
      await waitFor('the previous coordinator to resign', 20_000, async () =>
        (await offsetFetch(portOf(next), group)).errorCode === ErrorCode.NOT_COORDINATOR ? true : undefined
      )
      // The restarted broker loaded the commits made while it was down, which it replicated as a follower.
      const reloaded = await waitFor('the restarted broker to serve the group', 20_000, async () => {
        const r = await offsetFetch(portOf(dead), group)
        return r.errorCode === ErrorCode.NONE ? r.offsets : undefined
      })
      assert.equal(sum(reloaded), committed, `committed ${reloaded}`)
    }
  )
})
