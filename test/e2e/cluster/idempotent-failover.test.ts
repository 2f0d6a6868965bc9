/**
 * Failover and recovery on a 3-broker cluster (real etcd, real broker processes) with idempotent producers:
 * librdkafka (python3-confluent-kafka, enable.idempotence) and kafkajs (idempotent: true) keep producing
 * numbered records with acks=all to a topic with RF=3 and min.insync.replicas=2 while the partition leader
 * is SIGKILLed; both carry on once a new leader is elected, and the log holds every acknowledged record
 * once, each producer's records in order. Their producer ids differ because blocks now come from the
 * cluster-wide etcd counter. The killed broker, and then a SIGKILLed follower, restart with the same node
 * id, port and log dir, truncate to the leader, catch up and rejoin the ISR; after the cluster stops, all
 * three replicas hold the same log.
 */

import assert from 'node:assert/strict'
import { mkdtemp } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import kafkajs from 'kafkajs'
import type { ClusterState } from '../../../src/cli/cluster-command.js'
import type {
  InitProducerIdRequest,
  InitProducerIdResponse
} from '../../../src/protocol/messages/init-producer-id.js'
import { runCli } from '../../helpers/broker-process.js'
import { ensureEtcd } from '../../helpers/etcd-process.js'
import { PYTHON, pyConsume, pyProduce } from '../support/confluent.js'
import { runProcess } from '../support/run-process.js'
import {
  type ClusterBroker,
  logValues,
  partitionOf,
  RestartedBroker,
  roundTrip,
  startReplicatedCluster,
  stopCluster,
  waitFor
} from './cluster-kit.js'

const TOPIC = 'idempotent'
const OVERRIDES = ['broker.session.timeout.ms=3000', 'replica.lag.time.max.ms=4000']
const IDEMPOTENT = { 'enable.idempotence': true, acks: 'all', 'linger.ms': 5, 'message.timeout.ms': 60_000 }

/** Produces `py-0` .. `py-<count-1>` one every `intervalMs`, then reports which were acknowledged when. */
const SUSTAINED_PRODUCER = `
import json, sys, time
from confluent_kafka import Producer
cmd = json.load(sys.stdin)
conf = {'bootstrap.servers': cmd['bootstrap']}
conf.update(cmd['config'])
p = Producer(conf)
acked, failed = [], []
def report(err, msg):
    v = msg.value().decode()
    if err is None:
        acked.append([v, int(time.time() * 1000)])
    else:
        failed.append([v, err.str()])
for i in range(cmd['count']):
    p.produce(cmd['topic'], value=('py-%d' % i).encode(), partition=0, on_delivery=report)
    p.poll(cmd['intervalMs'] / 1000.0)
left = p.flush(90)
print(json.dumps({'acked': acked, 'failed': failed, 'unflushed': left}))
`

interface SustainedResult {
  acked: [string, number][]
  failed: [string, string][]
  unflushed: number
}

/** An idempotent producer id from the broker at `port` (InitProducerId v4 without a transactional id). */
async function initProducerId(port: number): Promise<bigint> {
  const body: InitProducerIdRequest = {
    transactionalId: null,
    transactionTimeoutMs: 60_000,
    producerId: -1n,
    producerEpoch: -1
  }
  const response = await roundTrip<InitProducerIdResponse>(port, 22, 4, body, 15_000)
  assert.equal(response.errorCode, 0)
  return response.producerId
}

const indexOf = (value: string): number => Number(value.slice(value.indexOf('-') + 1))

/** The values with `prefix` in `log`, checked to be strictly increasing: idempotence keeps them in order. */
function assertInOrderOnce(log: readonly string[], prefix: string, acked: readonly string[]): void {
  const mine = log.filter((v) => v.startsWith(prefix))
  for (let i = 1; i < mine.length; i++) {
    assert.ok(
      indexOf(mine[i]!) > indexOf(mine[i - 1]!),
      `${mine[i]} follows ${mine[i - 1]}: reordered or duplicated`
    )
  }
  const present = new Set(mine)
  const lost = acked.filter((v) => !present.has(v))
  assert.deepEqual(lost, [], `acknowledged ${prefix} records are missing`)
}

describe('idempotent producers across leader failover and follower recovery (RF=3, min.insync.replicas=2)', async () => {
  const skip = await ensureEtcd()
  const opts = { skip }
  let dir = ''
  let state: ClusterState | undefined
  const restarted = new Map<number, RestartedBroker>()
  const acked: string[] = []
  let killedLeader = -1

  const brokerOf = (nodeId: number): ClusterBroker => state!.brokers.find((b) => b.nodeId === nodeId)!
  const bootstrapOf = (nodeId: number) => `127.0.0.1:${brokerOf(nodeId).port}`
  const isrOf = async (bootstrap: string) =>
    (await partitionOf(bootstrap, TOPIC)).isrs.map((r) => r.id).sort()

  /** SIGKILLs a broker, whether `cluster start` or this test started it. */
  const kill = (nodeId: number) => {
    const again = restarted.get(nodeId)
    if (again) again.kill()
    else process.kill(brokerOf(nodeId).pid, 'SIGKILL')
  }

  const restart = async (nodeId: number) => {
    restarted.set(nodeId, await RestartedBroker.start(state!, brokerOf(nodeId), OVERRIDES))
  }

  before(async () => {
    if (skip) return
    dir = await mkdtemp(join(tmpdir(), 'samsa-idempotent-failover-'))
    state = await startReplicatedCluster(dir, TOPIC, OVERRIDES)
    await waitFor('all three replicas in the ISR', 20_000, async () =>
      (await isrOf(state!.bootstrap)).length === 3 ? true : undefined
    )
  })

  after(async () => {
    if (skip || !dir) return
    for (const b of restarted.values()) b.kill()
    await stopCluster(dir, state)
  })

  it('producer ids from different brokers never repeat (one cluster-wide block counter)', opts, async () => {
    const ids = await Promise.all(
      state!.brokers.flatMap((b) => [b.port, b.port, b.port]).map((port) => initProducerId(port))
    )
    assert.equal(new Set(ids).size, ids.length, `producer ids repeat: ${ids.join(', ')}`)
  })

  it(
    'librdkafka and kafkajs idempotent producers carry on through a leader SIGKILL; nothing lost or duplicated',
    opts,
    async (t) => {
      const leader = (await partitionOf(state!.bootstrap, TOPIC)).leader
      const kafka = new kafkajs.Kafka({
        brokers: state!.bootstrap.split(','),
        logLevel: kafkajs.logLevel.NOTHING,
        retry: { retries: 30, initialRetryTime: 100, maxRetryTime: 1000 }
      })
      const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 })
      await producer.connect()
      const jsAcked: [string, number][] = []
      const jsFailed: string[] = []
      let producing = true
      const jsLoop = (async () => {
        for (let i = 0; producing && i < 100_000; i++) {
          const value = `js-${i}`
          try {
            await producer.send({ topic: TOPIC, acks: -1, messages: [{ value, partition: 0 }] })
            jsAcked.push([value, Date.now()])
          } catch {
            // Unacknowledged: it may or may not be in the log, but never twice.
            jsFailed.push(value)
          }
          await new Promise((r) => setTimeout(r, 10))
        }
      })()
      const py = runProcess(PYTHON, ['-c', SUSTAINED_PRODUCER], {
        input: JSON.stringify({
          bootstrap: state!.bootstrap,
          topic: TOPIC,
          count: 800,
          intervalMs: 10,
          config: IDEMPOTENT
        }),
        timeoutMs: 150_000
      })
      let pyResult: SustainedResult
      let killedAt = 0
      try {
        await waitFor('kafkajs acknowledgements before the kill', 20_000, async () =>
          jsAcked.length >= 3 ? true : undefined
        )
        await new Promise((r) => setTimeout(r, 1000))
        killedAt = Date.now()
        kill(leader)
        killedLeader = leader
        const out = await py
        assert.equal(out.code, 0, out.stderr)
        pyResult = JSON.parse(out.stdout.toString('utf8')) as SustainedResult
        // Let kafkajs produce for a while after librdkafka is done, then stop it.
        await waitFor('kafkajs acknowledgements after the failover', 30_000, async () =>
          jsAcked.filter(([, at]) => at > killedAt).length >= 5 ? true : undefined
        )
      } finally {
        producing = false
        await jsLoop
        await producer.disconnect()
      }
      const newLeader = (
        await partitionOf(bootstrapOf(state!.brokers.find((b) => b.nodeId !== leader)!.nodeId), TOPIC)
      ).leader
      t.diagnostic(
        `leader ${leader} killed; new leader ${newLeader}; librdkafka acked ${pyResult.acked.length}/800 (failed ${pyResult.failed.length}), kafkajs acked ${jsAcked.length} (failed ${jsFailed.length})`
      )
      assert.notEqual(newLeader, leader)
      assert.ok(newLeader > 0)
      assert.equal(pyResult.unflushed, 0)
      assert.deepEqual(
        pyResult.failed,
        [],
        'librdkafka delivers every record (it retries across the failover)'
      )
      assert.ok(
        pyResult.acked.some(([, at]) => at > killedAt),
        'librdkafka is acknowledged again after the failover'
      )

      const pyAcked = pyResult.acked.map(([v]) => v)
      const jsValues = jsAcked.map(([v]) => v)
      acked.push(...pyAcked, ...jsValues)
      // Read from the new leader.
      const consumed = (await pyConsume(bootstrapOf(newLeader), TOPIC, { partition: 0 })).records.map(
        (r) => r.value?.toString() ?? ''
      )
      assert.equal(new Set(consumed).size, consumed.length, 'no record is duplicated')
      assertInOrderOnce(consumed, 'py-', pyAcked)
      assertInOrderOnce(consumed, 'js-', jsValues)
    }
  )

  it('the killed broker and then a killed follower restart, catch up and rejoin the ISR', opts, async (t) => {
    assert.ok(killedLeader > 0, 'needs the failover test')
    const survivor = state!.brokers.find((b) => b.nodeId !== killedLeader)!.nodeId
    let started = Date.now()
    await restart(killedLeader)
    await waitFor(`broker ${killedLeader} back in the ISR`, 30_000, async () =>
      (await isrOf(bootstrapOf(survivor))).includes(killedLeader) ? true : undefined
    )
    t.diagnostic(
      `old leader ${killedLeader} rejoined the ISR ${Date.now() - started} ms after its restart began`
    )

    const { leader } = await partitionOf(bootstrapOf(survivor), TOPIC)
    const follower = state!.brokers.find((b) => b.nodeId !== leader && b.nodeId !== killedLeader)!.nodeId
    kill(follower)
    // acks=all waits until the leader drops the dead follower from the ISR (replica.lag.time.max.ms).
    const values = Array.from({ length: 300 }, (_, i) => `c-${i}`)
    const { reports, unflushed } = await pyProduce(
      bootstrapOf(leader),
      TOPIC,
      values.map((v) => ({ key: null, value: Buffer.from(v), partition: 0 })),
      // Within the helper's 15 s flush: the ISR shrinks after about 4 s.
      { ...IDEMPOTENT, 'message.timeout.ms': 12_000 }
    )
    assert.equal(unflushed, 0)
    assert.deepEqual(
      reports.filter((r) => r.error !== null),
      []
    )
    acked.push(...values)
    assert.ok(!(await isrOf(bootstrapOf(leader))).includes(follower), 'the dead follower left the ISR')

    started = Date.now()
    await restart(follower)
    await waitFor(`follower ${follower} back in the ISR`, 30_000, async () =>
      (await isrOf(bootstrapOf(leader))).length === 3 ? true : undefined
    )
    t.diagnostic(`follower ${follower} rejoined the ISR ${Date.now() - started} ms after its restart began`)
  })

  it(
    'after the cluster stops, every replica holds the same log with every acknowledged record once',
    opts,
    async () => {
      assert.ok(acked.length > 0, 'needs the earlier tests')
      await Promise.all([...restarted.values()].map((b) => b.stop()))
      const stopped = await runCli(['cluster', 'stop', '--dir', dir], 60_000)
      assert.equal(stopped.code, 0, stopped.stderr)
      const logs = await Promise.all(
        state!.brokers.map((b) => logValues(join(b.logDir, `${TOPIC}-0`), TOPIC))
      )
      const [first, ...rest] = logs
      for (const other of rest) assert.deepEqual(other, first, 'replicas diverge')
      assert.equal(new Set(first).size, first!.length, 'no record is duplicated')
      assertInOrderOnce(
        first!,
        'py-',
        acked.filter((v) => v.startsWith('py-'))
      )
      assertInOrderOnce(
        first!,
        'js-',
        acked.filter((v) => v.startsWith('js-'))
      )
      assertInOrderOnce(
        first!,
        'c-',
        acked.filter((v) => v.startsWith('c-'))
      )
    }
  )
})
