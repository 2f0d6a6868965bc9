/**
 * Failover times on one 3-broker cluster (real etcd, `samsa cluster start`), issue #7 item 6:
 *   partition leader: a raw acks=all producer keeps sending to every broker of a topic with RF=3 and
 *     min.insync.replicas=2 (a new request every 25 ms per broker, each on its own connection, so a slow
 *     answer does not delay the next try); the partition leader is SIGKILLed, and the time runs until the
 *     first produce a surviving broker acknowledges (errorCode NONE, so the new leader and its follower
 *     both hold it); only produces sent after the kill count;
 *   controller: the controller (DescribeCluster) is SIGKILLed; the times run until a survivor names another
 *     controller in DescribeCluster, and until a CreateTopics (RF=2) sent to the survivors after the kill
 *     succeeds (a survivor that is not the controller forwards it).
 * An idempotent librdkafka producer (python3-confluent-kafka, acks=all, one record every 10 ms) runs beside
 * the raw one during the leader rounds; its figure is when its delivery reports resume, so it adds the
 * client's own metadata refresh and retry backoff to the broker's failover.
 * Each is repeated for N rounds; between rounds the killed broker restarts with its node id, port and log
 * dir and the next round waits until it is back in the ISR (or, after a controller round, registered).
 * Prints every round and the medians; a leader round whose leader was also the controller is marked.
 * Brokers run with broker.session.timeout.ms=3000 (as the e2e tests; Samsa's default is 9000) and
 * replica.lag.time.max.ms=4000; SESSION_MS overrides the session timeout. A dead broker is noticed when its
 * etcd session lease lapses: the TTL is the session timeout in whole seconds and the broker renews it every
 * third of that, so the lease ends between 2/3 of the timeout and all of it after the kill. That is most of
 * every figure below; election, the new leader's first follower fetch and the client's retries are the rest.
 * Run: npx tsc -p tsconfig.json && node dist/bench/failover-time.js [rounds]   (default 3)
 * Results (2 cores shared with ~7 engineers' test runs, Node 20, librdkafka 2.0.2; medians, [per round]):
 *   session 3000 ms, 5 rounds, run 1: leader 3023 ms [3151* 2857 2572 3023 3140], librdkafka 3816 ms;
 *     controller named 3064 ms [2753 3492 2691 3118 3064], CreateTopics succeeds 3224 ms.
 *   session 3000 ms, 5 rounds, run 2: leader 2855 ms [3228* 3275 2760 2525 2855], librdkafka 3603 ms;
 *     controller named 2638 ms [2638 2347 3250 3267 2491], CreateTopics succeeds 2813 ms.
 *   session 3000 ms, 3 rounds: leader 2541 ms [2541 2267 2717], librdkafka 2839 ms; controller named
 *     2208 ms, CreateTopics succeeds 2274 ms.
 *   session 9000 ms (the default), 3 rounds: leader 7422 ms [7422 7348* 9195*], librdkafka 8016 ms;
 *     controller named 6722 ms [6722 6722 6609], CreateTopics succeeds 6832 ms.
 *   (* the leader was also the controller: not consistently slower, as both elections follow the same
 *   lease expiry.) Both failovers take 2/3 to all of the session timeout plus up to a few hundred ms;
 *   librdkafka resumes 0.2-0.9 s after the broker is ready. broker.session.timeout.ms is the lever.
 */

import { type ChildProcess, spawn } from 'node:child_process'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { performance } from 'node:perf_hooks'
import type { ClusterState } from '../src/cli/cluster-command.js'
import { ErrorCode } from '../src/protocol/error-codes.js'
import type { CreateTopicsRequest, CreateTopicsResponse } from '../src/protocol/messages/create-topics.js'
import type {
  DescribeClusterRequest,
  DescribeClusterResponse
} from '../src/protocol/messages/describe-cluster.js'
import {
  type ClusterBroker,
  createTopics,
  errorName,
  partitionOf,
  pollFor,
  produceAcksAll,
  RestartedBroker,
  roundTrip,
  sleep,
  startCluster,
  stopCluster
} from '../test/e2e/cluster/cluster-kit.js'
import { PYTHON } from '../test/e2e/support/confluent.js'

const ROUNDS = Number(process.argv[2] ?? 3)
const SESSION_MS = Number(process.env.SESSION_MS ?? 3000)
const OVERRIDES = [`broker.session.timeout.ms=${SESSION_MS}`, 'replica.lag.time.max.ms=4000']
const TOPIC = 'failover'
/** A new attempt per target this often; the resolution of the figures. */
const TICK_MS = 25
/** Attempts still waiting for an answer, per target, before a tick is skipped. */
const MAX_OUTSTANDING = 8
/** The broker-side wait of an acks=all produce and of a CreateTopics. */
const REQUEST_TIMEOUT_MS = 2000
/** How long one failover may take before the round fails. */
const FAILOVER_DEADLINE_MS = 60_000
const REJOIN_DEADLINE_MS = 90_000

interface Answer {
  readonly nodeId: number
  /** performance.now() when the attempt started. */
  readonly sentAt: number
  /** performance.now() when the answer arrived. */
  readonly at: number
  /** A Kafka error name, or the client-side failure (refused connection, closed, timed out). */
  readonly outcome: string
}

/**
 * Starts `attempt` on every target every TICK_MS (at most MAX_OUTSTANDING waiting per target) and records
 * each answer, until `stop()`; `stop()` resolves once every attempt has settled.
 */
class Prober {
  readonly answers: Answer[] = []
  private readonly pending = new Set<Promise<void>>()
  private readonly outstanding = new Map<number, number>()
  private readonly timer: NodeJS.Timeout
  private waiters: (() => void)[] = []

  constructor(
    private readonly targets: readonly ClusterBroker[],
    private readonly attempt: (broker: ClusterBroker, n: number) => Promise<string>
  ) {
    let n = 0
    this.timer = setInterval(() => {
      for (const broker of this.targets) {
        const waiting = this.outstanding.get(broker.nodeId) ?? 0
        if (waiting >= MAX_OUTSTANDING) continue
        this.outstanding.set(broker.nodeId, waiting + 1)
        const sentAt = performance.now()
        const p = this.attempt(broker, n++)
          .catch((err: unknown) => (err instanceof Error ? err.message : String(err)))
          .then((outcome) => {
            this.answers.push({ nodeId: broker.nodeId, sentAt, at: performance.now(), outcome })
            this.outstanding.set(broker.nodeId, (this.outstanding.get(broker.nodeId) ?? 1) - 1)
            this.pending.delete(p)
            const ws = this.waiters
            this.waiters = []
            for (const w of ws) w()
          })
        this.pending.add(p)
      }
    }, TICK_MS)
  }

  /** The first answer matching `accept`, waiting up to `timeoutMs` for it. */
  first(what: string, timeoutMs: number, accept: (a: Answer) => boolean): Promise<Answer> {
    return this.until(what, timeoutMs, (answers) => answers.find(accept))
  }

  /** Waits up to `timeoutMs` until `check` of the answers so far returns a value. */
  async until<T>(
    what: string,
    timeoutMs: number,
    check: (answers: readonly Answer[]) => T | undefined
  ): Promise<T> {
    const deadline = performance.now() + timeoutMs
    for (;;) {
      const found = check(this.answers)
      if (found !== undefined) return found
      const left = deadline - performance.now()
      if (left <= 0) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`)
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, Math.min(left, 1000))
        this.waiters.push(() => {
          clearTimeout(t)
          resolve()
        })
      })
    }
  }

  async stop(): Promise<void> {
    clearInterval(this.timer)
    await Promise.allSettled([...this.pending])
  }
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b)
  const mid = Math.floor(sorted.length / 2)
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2
}

/**
 * "NOT_LEADER_OR_FOLLOWER×12, NONE×1": what the survivors answered to attempts sent after the kill, in
 * first-seen order. Attempts count from when they were sent: one sent before the kill can still be answered
 * after it (a CreateTopics forwarded to the controller just before it died), which says nothing of failover.
 */
function outcomes(answers: readonly Answer[], after: number, victim: number): string {
  const counts = new Map<string, number>()
  for (const a of answers) {
    if (a.sentAt > after && a.nodeId !== victim) counts.set(a.outcome, (counts.get(a.outcome) ?? 0) + 1)
  }
  return [...counts].map(([o, n]) => `${o}×${n}`).join(', ')
}

const ms = (v: number): string => `${Math.round(v)} ms`

async function controllerAt(broker: ClusterBroker): Promise<{ controllerId: number; brokers: number[] }> {
  const body: DescribeClusterRequest = { includeClusterAuthorizedOperations: false }
  const r = await roundTrip<DescribeClusterResponse>(broker.port, 60, 0, body, 5000)
  return { controllerId: r.controllerId, brokers: r.brokers.map((b) => b.brokerId).sort() }
}

/** The cluster's brokers, restarting a killed one as itself; `kill` and `restart` keep its pid current. */
class Brokers {
  private readonly restarted = new Map<number, RestartedBroker>()

  constructor(readonly state: ClusterState) {}

  get all(): readonly ClusterBroker[] {
    return this.state.brokers
  }

  byId(nodeId: number): ClusterBroker {
    const b = this.state.brokers.find((x) => x.nodeId === nodeId)
    if (!b) throw new Error(`no broker ${nodeId}`)
    return b
  }

  others(nodeId: number): ClusterBroker[] {
    return this.state.brokers.filter((b) => b.nodeId !== nodeId)
  }

  kill(nodeId: number): void {
    const again = this.restarted.get(nodeId)
    if (again) again.kill()
    else process.kill(this.byId(nodeId).pid, 'SIGKILL')
  }

  async restart(nodeId: number): Promise<void> {
    this.restarted.set(nodeId, await RestartedBroker.start(this.state, this.byId(nodeId), OVERRIDES))
  }

  /** `cluster stop` knows only the pids it started: the restarted brokers are stopped here. */
  async stopRestarted(): Promise<void> {
    await Promise.all([...this.restarted.values()].map((b) => b.stop()))
  }
}

const bootstrapOf = (b: ClusterBroker): string => `127.0.0.1:${b.port}`

async function waitForFullIsr(asked: ClusterBroker, what: string): Promise<number> {
  const p = await pollFor(
    what,
    REJOIN_DEADLINE_MS,
    async () => {
      const p = await partitionOf(bootstrapOf(asked), TOPIC)
      if (p.isrs.length !== 3 || p.leader < 0)
        throw new Error(`leader ${p.leader}, ISR ${p.isrs.map((r) => r.id)}`)
      return p
    },
    { intervalMs: 250 }
  )
  return p.leader
}

async function controllerOf(brokers: readonly ClusterBroker[]): Promise<number> {
  return pollFor(
    'a controller',
    30_000,
    async () => {
      for (const b of brokers) {
        const { controllerId } = await controllerAt(b).catch(() => ({ controllerId: -1 }))
        if (controllerId >= 0) return controllerId
      }
      return undefined
    },
    { intervalMs: 100 }
  )
}

/**
 * An idempotent librdkafka producer (python3-confluent-kafka, acks=all) sending one record every 10 ms to
 * partition 0 until its stdin closes; it prints the wall-clock time of every delivery report.
 */
const LIBRDKAFKA_PRODUCER = `
import sys, threading, time
from confluent_kafka import Producer
p = Producer({'bootstrap.servers': sys.argv[1], 'enable.idempotence': True, 'acks': 'all',
              'linger.ms': 0, 'message.timeout.ms': 120000})
stop = threading.Event()
def wait_for_eof():
    sys.stdin.read()
    stop.set()
threading.Thread(target=wait_for_eof, daemon=True).start()
def report(err, msg):
    sys.stdout.write(('%d\\n' % int(time.time() * 1000)) if err is None else ('error %s\\n' % err.str()))
    sys.stdout.flush()
i = 0
while not stop.is_set():
    p.produce(sys.argv[2], value=b'rd-%d' % i, partition=0, on_delivery=report)
    i += 1
    p.poll(0.01)
p.flush(30)
`

class LibrdkafkaProducer {
  /** Date.now()-comparable times of the acknowledged records, in delivery order. */
  readonly acks: number[] = []
  readonly errors: string[] = []
  private stderr = ''
  private readonly child: ChildProcess
  private readonly exited: Promise<void>

  constructor(bootstrap: string, topic: string) {
    const child = spawn(PYTHON, ['-c', LIBRDKAFKA_PRODUCER, bootstrap, topic], {
      stdio: ['pipe', 'pipe', 'pipe']
    })
    this.child = child
    this.exited = new Promise((resolve) => child.once('exit', () => resolve()))
    let partial = ''
    child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
      const lines = (partial + chunk).split('\n')
      partial = lines.pop() ?? ''
      for (const line of lines) {
        if (line.startsWith('error ')) this.errors.push(line.slice(6))
        else if (line) this.acks.push(Number(line))
      }
    })
    child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
      this.stderr = (this.stderr + chunk).slice(-4000)
    })
  }

  async waitForAcks(what: string, timeoutMs: number, count: number, after = 0): Promise<void> {
    await pollFor(what, timeoutMs, async () => {
      if (this.child.exitCode !== null) throw new Error(`librdkafka producer exited: ${this.stderr}`)
      return this.acks.filter((t) => t > after).length >= count ? true : undefined
    })
  }

  /**
   * How long after `killedAt` acknowledgements resumed: the end of the longest silence between consecutive
   * acknowledgements that ends after the kill. A response the old leader sent just before it died can be
   * reported just after the kill; the silence that follows it is the failover.
   */
  resumedAfter(killedAt: number): number {
    let best = { gap: -1, end: Number.NaN }
    for (let i = 1; i < this.acks.length; i++) {
      const end = this.acks[i]!
      const gap = end - this.acks[i - 1]!
      if (end > killedAt && gap > best.gap) best = { gap, end }
    }
    return best.end - killedAt
  }

  /** Closes its stdin (it flushes and exits), SIGKILL after 40 s. */
  async stop(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return
    this.child.stdin?.end()
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 40_000)
    await this.exited
    clearTimeout(timer)
  }
}

interface LeaderRound {
  victim: number
  newLeader: number
  wasController: boolean
  failoverMs: number
  /** The same failover as seen by the librdkafka producer. */
  librdkafkaMs: number
  seen: string
}

async function leaderRound(brokers: Brokers, round: number): Promise<LeaderRound> {
  const leader = await waitForFullIsr(brokers.all[0]!, 'every replica in the ISR')
  const controller = await controllerOf(brokers.others(leader))
  const prober = new Prober(brokers.all, async (b, n) => {
    const r = await produceAcksAll(b.port, TOPIC, `r${round}-${b.nodeId}-${n}`, REQUEST_TIMEOUT_MS)
    return errorName(r.errorCode)
  })
  const librdkafka = new LibrdkafkaProducer(brokers.state.bootstrap, TOPIC)
  let killedAt = 0
  try {
    // Steady acks=all traffic at the leader before it dies.
    await prober.until('the leader acknowledging produces', 30_000, (answers) =>
      answers.filter((a) => a.nodeId === leader && a.outcome === 'NONE').length >= 5 ? true : undefined
    )
    await librdkafka.waitForAcks('librdkafka acknowledgements before the kill', 30_000, 20)
    killedAt = performance.now()
    const killedAtWall = Date.now()
    brokers.kill(leader)
    const ack = await prober.first('a produce acknowledged by a new leader', FAILOVER_DEADLINE_MS, (a) => {
      return a.sentAt > killedAt && a.nodeId !== leader && a.outcome === 'NONE'
    })
    await prober.stop()
    // A few acknowledgements after the failover, so the silence before them has ended.
    await librdkafka.waitForAcks(
      'librdkafka acknowledgements after the kill',
      FAILOVER_DEADLINE_MS,
      5,
      killedAtWall
    )
    await librdkafka.stop()
    if (librdkafka.errors.length > 0) throw new Error(`librdkafka failed records: ${librdkafka.errors[0]}`)
    const result: LeaderRound = {
      victim: leader,
      newLeader: ack.nodeId,
      wasController: controller === leader,
      failoverMs: ack.at - killedAt,
      librdkafkaMs: librdkafka.resumedAfter(killedAtWall),
      seen: outcomes(prober.answers, killedAt, leader)
    }
    const after = await partitionOf(bootstrapOf(brokers.byId(ack.nodeId)), TOPIC)
    if (after.leader !== ack.nodeId) {
      result.seen += `; metadata now names leader ${after.leader}`
    }
    return result
  } finally {
    await Promise.all([prober.stop(), librdkafka.stop()])
    if (killedAt > 0) {
      await brokers.restart(leader)
      await waitForFullIsr(brokers.others(leader)[0]!, `broker ${leader} back in the ISR`)
    }
  }
}

interface ControllerRound {
  victim: number
  newController: number
  electedMs: number
  createdMs: number
  createdAt: number
}

async function controllerRound(brokers: Brokers, round: number): Promise<ControllerRound> {
  await waitForFullIsr(brokers.all[0]!, 'every replica in the ISR')
  const victim = await controllerOf(brokers.all)
  const survivors = brokers.others(victim)
  const describe = new Prober(survivors, async (b) => {
    const { controllerId } = await controllerAt(b)
    return String(controllerId)
  })
  const create = new Prober(survivors, async (b, n) => {
    const body: CreateTopicsRequest = {
      topics: [
        {
          name: `controller-r${round}-${b.nodeId}-${n}`,
          numPartitions: 1,
          // Two of three brokers are left.
          replicationFactor: 2,
          assignments: [],
          configs: []
        }
      ],
      timeoutMs: REQUEST_TIMEOUT_MS,
      validateOnly: false
    }
    const r = await roundTrip<CreateTopicsResponse>(b.port, 19, 5, body, REQUEST_TIMEOUT_MS + 5000)
    return errorName(r.topics[0]?.errorCode ?? ErrorCode.UNKNOWN_SERVER_ERROR)
  })
  let killedAt = 0
  try {
    // Both probers run before the kill, so each measures from a warm loop.
    await sleep(200)
    killedAt = performance.now()
    brokers.kill(victim)
    const elected = await describe.first('another controller', FAILOVER_DEADLINE_MS, (a) => {
      const id = Number(a.outcome)
      return a.sentAt > killedAt && Number.isInteger(id) && id >= 0 && id !== victim
    })
    const created = await create.first('a CreateTopics that succeeds', FAILOVER_DEADLINE_MS, (a) => {
      return a.sentAt > killedAt && a.outcome === 'NONE'
    })
    return {
      victim,
      newController: Number(elected.outcome),
      electedMs: elected.at - killedAt,
      createdMs: created.at - killedAt,
      createdAt: created.nodeId
    }
  } finally {
    await Promise.all([describe.stop(), create.stop()])
    if (killedAt > 0) {
      await brokers.restart(victim)
      await pollFor(
        `broker ${victim} registered again`,
        REJOIN_DEADLINE_MS,
        async () => ((await controllerAt(survivors[0]!)).brokers.length === 3 ? true : undefined),
        { intervalMs: 250 }
      )
    }
  }
}

async function main(): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'samsa-failover-bench-'))
  let state: ClusterState | undefined
  let brokers: Brokers | undefined
  try {
    state = await startCluster(join(dir, 'cluster'), 3, OVERRIDES)
    brokers = new Brokers(state)
    await createTopics(state.bootstrap, [
      {
        topic: TOPIC,
        numPartitions: 1,
        replicationFactor: 3,
        configEntries: [{ name: 'min.insync.replicas', value: '2' }]
      }
    ])
    console.log(
      `3 brokers, etcd, broker.session.timeout.ms=${SESSION_MS}, replica.lag.time.max.ms=4000; ${TOPIC}: RF=3, min.insync.replicas=2; ${ROUNDS} rounds`
    )
    const leaderTimes: number[] = []
    const librdkafkaTimes: number[] = []
    for (let round = 1; round <= ROUNDS; round++) {
      const r = await leaderRound(brokers, round)
      leaderTimes.push(r.failoverMs)
      librdkafkaTimes.push(r.librdkafkaMs)
      console.log(
        `leader round ${round}: SIGKILL leader ${r.victim}${r.wasController ? ' (also the controller)' : ''} -> first acks=all produce acknowledged by ${r.newLeader} after ${ms(r.failoverMs)}; librdkafka acknowledged again after ${ms(r.librdkafkaMs)} (survivors answered ${r.seen})`
      )
    }
    const electedTimes: number[] = []
    const createdTimes: number[] = []
    for (let round = 1; round <= ROUNDS; round++) {
      const r = await controllerRound(brokers, round)
      electedTimes.push(r.electedMs)
      createdTimes.push(r.createdMs)
      console.log(
        `controller round ${round}: SIGKILL controller ${r.victim} -> controller ${r.newController} named after ${ms(r.electedMs)}, first CreateTopics succeeded (at broker ${r.createdAt}) after ${ms(r.createdMs)}`
      )
    }
    console.log(
      `median partition leader failover (SIGKILL -> first acknowledged acks=all produce): ${ms(median(leaderTimes))}; librdkafka producer: ${ms(median(librdkafkaTimes))}`
    )
    console.log(
      `median controller failover: new controller named ${ms(median(electedTimes))}, CreateTopics succeeds ${ms(median(createdTimes))}`
    )
  } finally {
    await brokers?.stopRestarted().catch(() => undefined)
    await stopCluster(join(dir, 'cluster'), state)
    await rm(dir, { recursive: true, force: true })
  }
}

await main()
