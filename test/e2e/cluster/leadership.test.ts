/**
 * Moving partition leadership on a 3-broker cluster (real etcd, real broker processes): a SIGTERMed leader
 * hands its leaderships to other ISR members before it exits (controlled shutdown), so a producer running
 * through it sees nothing but retriable NOT_LEADER_OR_FOLLOWER and loses nothing; ElectLeaders (raw frames,
 * v2, sent to a broker that forwards to the controller) then moves leadership back to the preferred replica
 * once that broker is back in the ISR, with Kafka's error codes for the cases where no election happens.
 */

import assert from 'node:assert/strict'
import { copyFile, mkdtemp, readdir, readFile, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import kafkajs from 'kafkajs'
import { type ClusterState, isAlive } from '../../../src/cli/cluster-command.js'
import { ErrorCode } from '../../../src/protocol/error-codes.js'
import type {
  ElectLeadersRequest,
  ElectLeadersResponse
} from '../../../src/protocol/messages/elect-leaders.js'
import type { FetchRequest, FetchResponse } from '../../../src/protocol/messages/fetch.js'
import { BrokerProcess } from '../../helpers/broker-process.js'
import { ensureEtcd } from '../../helpers/etcd-process.js'
import { pyConsume } from '../support/confluent.js'
import { batchOf, rawProduce } from '../support/raw-requests.js'
import {
  createTopics,
  roundTrip,
  startCluster,
  stopCluster,
  topicMetadataAt,
  waitFor
} from './cluster-kit.js'

const SESSION_TIMEOUT_MS = 3000
const TOPIC = 'moving'
/** Partition p's preferred leader is broker p + 1. */
const ASSIGNMENT = [
  [1, 2, 3],
  [2, 3, 1],
  [3, 1, 2]
]
const VICTIM = 2
const VICTIM_PARTITION = 1
const OVERRIDES = [
  `broker.session.timeout.ms=${SESSION_TIMEOUT_MS}`,
  'replica.lag.time.max.ms=4000',
  // ElectLeaders is what moves leadership back here, not the periodic rebalance.
  'auto.leader.rebalance.enable=false'
]

interface PartitionView {
  leader: number
  leaderEpoch: number
  isr: number[]
}

async function partitionsAt(port: number): Promise<PartitionView[]> {
  const { partitions } = await topicMetadataAt(port, TOPIC)
  return partitions.map((p) => ({
    leader: p.leaderId,
    leaderEpoch: p.leaderEpoch ?? -1,
    isr: [...p.isrNodes].sort()
  }))
}

/** Fetch v12 of `topic`-`partition` from `fetchOffset` as `replicaId` (-1: a consumer): the partition's answer. */
async function fetchAt(
  port: number,
  replicaId: number,
  partition: number,
  fetchOffset: bigint,
  leaderEpoch = -1
) {
  const request: FetchRequest = {
    replicaId,
    maxWaitMs: 0,
    minBytes: 0,
    maxBytes: 1 << 20,
    isolationLevel: 0,
    sessionId: 0,
    sessionEpoch: -1,
    topics: [
      {
        topic: TOPIC,
        partitions: [
          {
            partition,
            currentLeaderEpoch: leaderEpoch,
            fetchOffset,
            lastFetchedEpoch: -1,
            logStartOffset: -1n,
            partitionMaxBytes: 1 << 20
          }
        ]
      }
    ],
    forgottenTopicsData: [],
    rackId: ''
  }
  const response = await roundTrip<FetchResponse>(port, 1, 12, request)
  return response.responses[0]!.partitions[0]!
}

/** Waits for `work` at most `ms`: true when it settled (either way) in time. */
async function within(ms: number, work: Promise<unknown>): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<false>((resolve) => {
    timer = setTimeout(() => resolve(false), ms)
  })
  const settled = work.then(
    () => true,
    () => true
  )
  try {
    return await Promise.race([settled, timeout])
  } finally {
    clearTimeout(timer)
  }
}

async function electLeaders(
  port: number,
  electionType: number,
  partitions: number[],
  topic = TOPIC
): Promise<Map<number, number>> {
  const request: ElectLeadersRequest = {
    electionType,
    topicPartitions: [{ topic, partitions }],
    timeoutMs: 10_000
  }
  const response = await roundTrip<ElectLeadersResponse>(port, 43, 2, request)
  assert.equal(response.errorCode, ErrorCode.NONE)
  const codes = new Map<number, number>()
  for (const t of response.replicaElectionResults) {
    for (const p of t.partitionResult) codes.set(p.partitionId, p.errorCode)
  }
  return codes
}

describe('leadership: controlled shutdown and ElectLeaders', async () => {
  const skip = await ensureEtcd()
  let dir = ''
  let state: ClusterState | undefined
  let restarted: BrokerProcess | undefined
  const portOf = (nodeId: number) => state!.brokers.find((b) => b.nodeId === nodeId)!.port
  /** A broker that is not the victim: requests to it that need the controller may be forwarded. */
  const survivorPort = () => portOf(1)

  before(async () => {
    if (skip) return
    dir = await mkdtemp(join(tmpdir(), 'samsa-leadership-'))
    state = await startCluster(dir, 3, OVERRIDES)
    await createTopics(state.bootstrap, [
      {
        topic: TOPIC,
        replicaAssignment: ASSIGNMENT.map((replicas, partition) => ({ partition, replicas })),
        configEntries: [{ name: 'min.insync.replicas', value: '2' }]
      }
    ])
    await waitFor('every replica in sync', 20_000, async () => {
      const ps = await partitionsAt(survivorPort())
      return ps.every((p, i) => p.leader === ASSIGNMENT[i]![0] && p.isr.length === 3) ? true : undefined
    })
  })

  after(async () => {
    if (skip || !dir) return
    await restarted?.stop('SIGTERM', 20_000)
    await stopCluster(dir, state)
  })

  it('a SIGTERMed leader moves its leaderships before it exits; producers see only NOT_LEADER_OR_FOLLOWER', {
    skip
  }, async (t) => {
    // kafkajs's DEBUG log (every request and response, per broker, with correlation ids), kept in memory and
    // written next to the broker logs only when the test fails.
    const clientLog: string[] = []
    const kafka = new kafkajs.Kafka({
      brokers: state!.bootstrap.split(','),
      logLevel: kafkajs.logLevel.DEBUG,
      logCreator:
        () =>
        ({ namespace, level, log }) => {
          const { message, timestamp, ...extra } = log
          clientLog.push(
            `${timestamp} ${kafkajs.logLevel[level]} [${namespace}] ${message} ${JSON.stringify(extra, (_k, v) => (typeof v === 'bigint' ? String(v) : v))}`
          )
        },
      retry: { retries: 10, initialRetryTime: 100, maxRetryTime: 1000 }
    })
    const producer = kafka.producer({ allowAutoTopicCreation: false })
    await producer.connect()
    const acked: string[] = []
    const surfaced: string[] = []
    let stop = false
    const producing = (async () => {
      for (let i = 0; !stop && i < 100_000; i++) {
        const value = `v-${i}`
        try {
          await producer.send({ topic: TOPIC, acks: -1, messages: [{ value, partition: VICTIM_PARTITION }] })
          acked.push(value)
        } catch (err) {
          const e = err as { type?: string; name?: string; cause?: { type?: string } }
          surfaced.push(e.type ?? e.cause?.type ?? e.name ?? String(err))
        }
      }
    })()
    try {
      await waitFor('records acknowledged before the shutdown', 10_000, async () =>
        acked.length >= 3 ? true : undefined
      ).catch((err: Error) => {
        throw new Error(`${err.message}; producer errors: ${surfaced.slice(0, 5).join(', ')}`)
      })
      const before = await partitionsAt(survivorPort())
      assert.equal(before[VICTIM_PARTITION]!.leader, VICTIM)
      const victim = state!.brokers.find((b) => b.nodeId === VICTIM)!
      process.kill(victim.pid, 'SIGTERM')
      const moved = await waitFor('a new leader', 15_000, async () => {
        const ps = await partitionsAt(survivorPort())
        const p = ps[VICTIM_PARTITION]!
        return p.leader !== VICTIM ? { p } : undefined
      })
      await waitFor('the victim to exit', 20_000, async () => (isAlive(victim.pid) ? undefined : true))
      const ackedAtExit = acked.length
      await waitFor('produces to the new leader', 30_000, async () =>
        acked.length >= ackedAtExit + 3 ? true : undefined
      ).catch((err: Error) => {
        throw new Error(`${err.message}; ${acked.length} acked; producer errors: ${surfaced.join(', ')}`)
      })
      t.diagnostic(`new leader ${moved.p.leader} at epoch ${moved.p.leaderEpoch}; ${acked.length} acked`)
      // The victim logs success only once its own metadata shows it leads nothing, before it stops serving.
      assert.ok([1, 3].includes(moved.p.leader))
      assert.ok(moved.p.leaderEpoch > before[VICTIM_PARTITION]!.leaderEpoch, 'the leader epoch was bumped')
      const after = await partitionsAt(survivorPort())
      assert.ok(
        after.every((p) => p.leader !== VICTIM && !p.isr.includes(VICTIM)),
        'the victim left every ISR and leadership'
      )
      const log = await readFile(victim.log, 'utf8')
      assert.match(log, /controlled shutdown succeeded/)
    } catch (err) {
      // The cluster's directory is removed after the test: keep the evidence somewhere that survives it.
      const evidence = await mkdtemp(join(tmpdir(), 'samsa-leadership-failure-'))
      await writeFile(join(evidence, 'kafkajs-debug.log'), clientLog.join('\n'))
      for (const name of await readdir(dir)) {
        if (name.endsWith('.log')) await copyFile(join(dir, name), join(evidence, name))
      }
      throw new Error(`${(err as Error).message}; kafkajs debug log and broker logs in ${evidence}`)
    } finally {
      stop = true
      // Bounded: a stalled send (issue #7: REQUEST_TIMED_OUT, retried by kafkajs 10 times, 30 s each) must
      // not hold the test for minutes after it has already failed; stopping the cluster ends it anyway.
      const settled = await within(45_000, producing)
      if (settled) await within(10_000, producer.disconnect())
    }
    assert.deepEqual(
      surfaced.filter((type) => type !== 'NOT_LEADER_FOR_PARTITION' && type !== 'NOT_LEADER_OR_FOLLOWER'),
      []
    )
    // Every acknowledged record is readable from the new leader.
    const consumed = await pyConsume(state!.bootstrap, TOPIC, { partition: VICTIM_PARTITION })
    const values = new Set(consumed.records.map((r) => r.value?.toString()))
    assert.deepEqual(
      acked.filter((v) => !values.has(v)),
      []
    )
  })

  /**
   * Issue #7: during its controlled shutdown the victim becomes a follower of its old partitions and may
   * fetch once from the new leader before it exits. That fetch makes the leader ask to add it back to the
   * ISR; the controller refuses (INELIGIBLE_REPLICA: the broker is shutting down), and the leader kept the
   * refused ISR as "pending", whose high watermark counts the gone replica: every later acks=all produce
   * timed out (REQUEST_TIMED_OUT after its timeout, retried by clients for minutes). The victim's fetch is
   * replayed here with raw frames, so the race is not needed.
   */
  it('a fetch from a shut-down replica that the controller refuses to add to the ISR does not stall acks=all', {
    skip
  }, async () => {
    const now = (await partitionsAt(survivorPort()))[VICTIM_PARTITION]!
    assert.notEqual(now.leader, VICTIM)
    const leaderPort = portOf(now.leader)
    const { highWatermark, errorCode } = await fetchAt(leaderPort, -1, VICTIM_PARTITION, 0n)
    assert.equal(errorCode, ErrorCode.NONE)
    const replayed = await fetchAt(leaderPort, VICTIM, VICTIM_PARTITION, highWatermark, now.leaderEpoch)
    assert.equal(replayed.errorCode, ErrorCode.NONE)
    // Produce v9 with a 5 s timeout: a stalled high watermark answers REQUEST_TIMED_OUT.
    const produced = await rawProduce(leaderPort, TOPIC, VICTIM_PARTITION, await batchOf(['after-replay']))
    assert.equal(produced.errorCode, ErrorCode.NONE)
    const after = (await partitionsAt(survivorPort()))[VICTIM_PARTITION]!
    assert.ok(!after.isr.includes(VICTIM), 'the shut-down replica stays out of the ISR')
  })

  it('ElectLeaders: PREFERRED_LEADER_NOT_AVAILABLE while the preferred replica is down, then moves it back', {
    skip
  }, async () => {
    const port = survivorPort()
    const down = await electLeaders(port, 0, [VICTIM_PARTITION])
    assert.equal(down.get(VICTIM_PARTITION), ErrorCode.PREFERRED_LEADER_NOT_AVAILABLE)
    // Partition 0's preferred leader (1) leads it already; it has a leader, so unclean is not needed either.
    const notNeeded = await electLeaders(port, 0, [0])
    assert.equal(notNeeded.get(0), ErrorCode.ELECTION_NOT_NEEDED)
    const unclean = await electLeaders(port, 1, [VICTIM_PARTITION])
    assert.equal(unclean.get(VICTIM_PARTITION), ErrorCode.ELECTION_NOT_NEEDED)
    const unknown = await electLeaders(port, 0, [7])
    assert.equal(unknown.get(7), ErrorCode.UNKNOWN_TOPIC_OR_PARTITION)

    const victim = state!.brokers.find((b) => b.nodeId === VICTIM)!
    restarted = await BrokerProcess.start({
      overrides: [
        `node.id=${VICTIM}`,
        `listeners=PLAINTEXT://127.0.0.1:${victim.port}`,
        `log.dirs=${victim.logDir}`,
        'metadata.store=etcd',
        `etcd.endpoints=${state!.etcd.endpoint}`,
        ...OVERRIDES
      ],
      startTimeoutMs: 30_000
    })
    await waitFor('the restarted broker back in the ISR', 30_000, async () => {
      const ps = await partitionsAt(port)
      return ps.every((p) => p.isr.includes(VICTIM)) ? true : undefined
    })
    // A restart alone gives no leadership back (auto rebalance is off here).
    assert.notEqual((await partitionsAt(port))[VICTIM_PARTITION]!.leader, VICTIM)
    const elected = await electLeaders(port, 0, [VICTIM_PARTITION])
    assert.equal(elected.get(VICTIM_PARTITION), ErrorCode.NONE)
    const ps = await waitFor('the preferred leader', 10_000, async () => {
      const current = await partitionsAt(port)
      return current[VICTIM_PARTITION]!.leader === VICTIM ? current : undefined
    })
    assert.equal(ps[VICTIM_PARTITION]!.leader, VICTIM)
    const again = await electLeaders(port, 0, [VICTIM_PARTITION])
    assert.equal(again.get(VICTIM_PARTITION), ErrorCode.ELECTION_NOT_NEEDED)
  })
})
