/**
 * Scaling out with partition reassignment (real etcd, real broker processes): a 3-broker cluster holds a
 * 6-partition RF=2 topic under acks=all load; a 4th broker joins, AlterPartitionReassignments (raw frames)
 * moves three partitions onto it, ListPartitionReassignments reports adding/removing replicas while they
 * run, and once complete broker 4 leads and holds those partitions, the removed replicas' logs are gone, and
 * every acknowledged record is readable.
 */

import assert from 'node:assert/strict'
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { setTimeout as delay } from 'node:timers/promises'
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
import { BrokerProcess } from '../../helpers/broker-process.js'
import { ensureEtcd } from '../../helpers/etcd-process.js'
import { pyConsume } from '../support/confluent.js'
import {
  createTopics,
  launchClusterAfresh,
  type PartitionView,
  partitionView,
  roundTrip,
  stopCluster,
  topicMetadataAt,
  waitFor
} from './cluster-kit.js'

const TOPIC = 'scaled'
const PARTITIONS = 6
const MOVED = [0, 1, 2]
const NEW_BROKER = 4
const OVERRIDES = ['broker.session.timeout.ms=3000', 'auto.leader.rebalance.enable=false']
/** Broker 4 catches up at 100 kB/s, so the preloaded ~600 kB keep the reassignments in progress a while. */
const THROTTLE_BYTES_PER_SEC = 100_000
const PRELOAD_RECORDS = 200
const PRODUCE_PAUSE_MS = 10

async function metadataAt(port: number): Promise<{ brokers: number[]; partitions: PartitionView[] }> {
  const { brokers, partitions } = await topicMetadataAt(port, TOPIC)
  return {
    brokers,
    partitions: partitions.map(partitionView)
  }
}

describe('reassignment: scaling out onto a 4th broker', async () => {
  const skip = await ensureEtcd()
  let dir = ''
  let basePort = 0
  let state: ClusterState | undefined
  let fourth: BrokerProcess | undefined

  before(async () => {
    if (skip) return
    // Four ports: the 4th broker joins on the one after the cluster's three.
    const started = await launchClusterAfresh('samsa-reassign-', {
      brokers: 3,
      overrides: OVERRIDES,
      ports: 4
    })
    dir = started.dir
    state = started.state
    basePort = started.basePort
    await createTopics(state.bootstrap, [
      {
        topic: TOPIC,
        numPartitions: PARTITIONS,
        replicationFactor: 2,
        // As kafka-reassign-partitions.sh --throttle sets it: the moving replicas are the throttled ones.
        configEntries: [
          {
            name: 'follower.replication.throttled.replicas',
            value: MOVED.map((p) => `${p}:${NEW_BROKER}`).join(',')
          }
        ]
      }
    ])
  })

  after(async () => {
    if (skip || !dir) return
    await fourth?.stop('SIGTERM', 20_000)
    await stopCluster(dir, state)
  })

  it('moves partitions onto the new broker under load without losing acknowledged records', {
    skip
  }, async (t) => {
    const port = basePort
    const kafka = new kafkajs.Kafka({
      brokers: state!.bootstrap.split(','),
      logLevel: kafkajs.logLevel.NOTHING,
      retry: { retries: 10, initialRetryTime: 100, maxRetryTime: 1000 }
    })
    const producer = kafka.producer({ allowAutoTopicCreation: false })
    await producer.connect()
    const acked: string[][] = Array.from({ length: PARTITIONS }, () => [])
    const surfaced: string[] = []
    let unacknowledged = 0
    /**
     * Only partitions with RecordMetadata in send()'s result were acknowledged. kafkajs 2.2.4 keeps each
     * broker's response across the retries of one send (sendMessages.js): when a leader answers
     * NOT_LEADER_OR_FOLLOWER and the partition's new leader already answered for other partitions, the
     * retry never sends that partition's records and send() resolves without them (issue #7: the "lost"
     * record was never appended by any broker).
     */
    const send = async (messages: { value: string; partition: number }[]): Promise<void> => {
      const metadata = await producer.send({ topic: TOPIC, acks: -1, messages })
      const ok = new Set(metadata.filter((m) => m.errorCode === 0).map((m) => m.partition))
      for (const m of messages) {
        if (ok.has(m.partition)) acked[m.partition]!.push(m.value)
        else unacknowledged++
      }
    }
    let stop = false
    // Preload the partitions that move, so that catching up takes the throttled broker a few seconds.
    const filler = 'x'.repeat(1000)
    for (const p of MOVED) {
      for (let i = 0; i < PRELOAD_RECORDS; i += 50) {
        const batch = Array.from({ length: 50 }, (_, j) => ({
          value: `pre-${i + j}-${p}-${filler}`,
          partition: p
        }))
        await send(batch)
      }
    }
    const producing = (async () => {
      for (let i = 0; !stop && i < 100_000; i++) {
        const batch = Array.from({ length: PARTITIONS }, (_, p) => ({ value: `r-${i}-${p}`, partition: p }))
        try {
          await send(batch)
        } catch (err) {
          surfaced.push(String((err as { type?: string }).type ?? err))
        }
        // Paced well below the throttle: flat out, a quiet machine appends to the moving partitions faster
        // than the throttled follower may copy them, and the reassignment could never converge.
        await delay(PRODUCE_PAUSE_MS)
      }
    })()
    try {
      await waitFor('load before the 4th broker', 15_000, async () =>
        acked[0]!.length >= 3 ? true : undefined
      )
      fourth = await BrokerProcess.start({
        overrides: [
          `node.id=${NEW_BROKER}`,
          `listeners=PLAINTEXT://127.0.0.1:${basePort + 3}`,
          `log.dirs=${join(dir, `broker-${NEW_BROKER}`)}`,
          'metadata.store=etcd',
          `etcd.endpoints=${state!.etcd.endpoint}`,
          ...OVERRIDES,
          `follower.replication.throttled.rate=${THROTTLE_BYTES_PER_SEC}`
        ],
        startTimeoutMs: 30_000
      })
      await waitFor('broker 4 registered', 15_000, async () =>
        (await metadataAt(port)).brokers.includes(NEW_BROKER) ? true : undefined
      )
      const before = (await metadataAt(port)).partitions
      // Each moved partition keeps its second replica and replaces its first (its leader) with broker 4.
      const targets = MOVED.map((p) => [NEW_BROKER, before[p]!.replicas[1]!])
      const removed = MOVED.map((p) => before[p]!.replicas[0]!)
      const alter: AlterPartitionReassignmentsRequest = {
        timeoutMs: 10_000,
        topics: [
          {
            name: TOPIC,
            partitions: MOVED.map((p, i) => ({ partitionIndex: p, replicas: targets[i]! }))
          },
          { name: 'no-such-topic', partitions: [{ partitionIndex: 0, replicas: [1] }] }
        ]
      }
      const altered = await roundTrip<AlterPartitionReassignmentsResponse>(port, 45, 0, alter)
      assert.equal(altered.errorCode, ErrorCode.NONE)
      const codes = altered.responses.flatMap((r) =>
        r.partitions.map((p) => `${r.name}-${p.partitionIndex}:${p.errorCode}`)
      )
      assert.deepEqual(
        codes.sort(),
        [
          `no-such-topic-0:${ErrorCode.UNKNOWN_TOPIC_OR_PARTITION}`,
          ...MOVED.map((p) => `${TOPIC}-${p}:0`)
        ].sort()
      )

      const list: ListPartitionReassignmentsRequest = { timeoutMs: 10_000, topics: null }
      const listed = await roundTrip<ListPartitionReassignmentsResponse>(port, 46, 0, list)
      assert.equal(listed.errorCode, ErrorCode.NONE)
      const inProgress = listed.topics.flatMap((topic) => topic.partitions)
      assert.ok(inProgress.length > 0, 'the throttled reassignments are listed while they run')
      for (const p of inProgress) {
        const i = MOVED.indexOf(p.partitionIndex)
        assert.ok(i >= 0, `only moved partitions are listed, not ${p.partitionIndex}`)
        assert.deepEqual(p.addingReplicas, [NEW_BROKER])
        assert.deepEqual(p.removingReplicas, [removed[i]])
        assert.deepEqual(p.replicas, [...targets[i]!, removed[i]])
      }
      t.diagnostic(`${listed.topics[0]?.partitions.length ?? 0} reassignment(s) listed in progress`)

      await waitFor('the reassignments to complete', 30_000, async () => {
        const ongoing = await roundTrip<ListPartitionReassignmentsResponse>(port, 46, 0, list)
        return ongoing.topics.length === 0 ? true : undefined
      })
      const done = await waitFor('broker 4 to lead the moved partitions', 15_000, async () => {
        const ps = (await metadataAt(port)).partitions
        return MOVED.every((p) => ps[p]!.leader === NEW_BROKER) ? ps : undefined
      })
      for (const [i, p] of MOVED.entries()) {
        assert.deepEqual(done[p]!.replicas, targets[i])
        assert.deepEqual(done[p]!.isr, [...targets[i]!].sort())
      }
      // The removed replicas' brokers delete their logs; broker 4 holds the moved partitions.
      await waitFor('removed replicas deleted', 15_000, async () =>
        MOVED.every((p, i) => !existsSync(join(dir, `broker-${removed[i]}`, `${TOPIC}-${p}`)))
          ? true
          : undefined
      )
      for (const p of MOVED) assert.ok(existsSync(join(dir, `broker-${NEW_BROKER}`, `${TOPIC}-${p}`)))
      const ackedAtEnd = acked[0]!.length
      await waitFor('produces after the move', 15_000, async () =>
        acked[0]!.length >= ackedAtEnd + 3 ? true : undefined
      )
    } finally {
      stop = true
      await producing
      await producer.disconnect()
    }
    assert.deepEqual(surfaced, [])
    t.diagnostic(`${unacknowledged} record(s) left unacknowledged by kafkajs retries`)
    for (let p = 0; p < PARTITIONS; p++) {
      const consumed = await pyConsume(state!.bootstrap, TOPIC, { partition: p })
      const values = new Set(consumed.records.map((r) => r.value?.toString()))
      assert.deepEqual(
        acked[p]!.filter((v) => !values.has(v)),
        [],
        `partition ${p}`
      )
    }
  })
})
