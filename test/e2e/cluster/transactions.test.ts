/**
 * Transactions on a 3-broker cluster (real etcd, real broker processes): `__transaction_state` and a
 * 6-partition RF=3 topic spread over every broker, so each transaction's markers go to remote leaders over
 * WriteTxnMarkers and its first batches are verified with the remote coordinator (KIP-890).
 * - kafkajs and librdkafka (python3-confluent-kafka) commit and abort transactions touching every
 *   partition; a read_committed consumer sees exactly the committed records.
 * - FindCoordinator answers the same coordinator from every broker.
 * - A transaction is left in PrepareCommit (one data leader SIGSTOPped, so its marker cannot be written)
 *   when its coordinator is SIGKILLed: the new coordinator completes it on load.
 * - The coordinator broker is SIGKILLed between transactions: the kafkajs producer finds the new one and
 *   carries on.
 */

import assert from 'node:assert/strict'
import { mkdtemp } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import kafkajs, { type Producer } from 'kafkajs'
import type { ClusterState } from '../../../src/cli/cluster-command.js'
import type { DescribeTransactionsResponse } from '../../../src/protocol/messages/describe-transactions.js'
import type { EndTxnResponse } from '../../../src/protocol/messages/end-txn.js'
import { ensureEtcd } from '../../helpers/etcd-process.js'
import { PYTHON } from '../support/confluent.js'
import { runOk } from '../support/run-process.js'
import {
  brokerOf as brokerIn,
  createTopics,
  findCoordinator,
  metadataOf,
  RestartedBroker,
  roundTrip,
  startCluster,
  stopCluster,
  waitFor
} from './cluster-kit.js'

const TOPIC = 'txn-spread'
const PARTITIONS = 6
const OVERRIDES = [
  // The ISR drops a silent replica well before its session expires (the PrepareCommit test relies on it: on a
  // loaded 2-core machine the commit can take seconds, and an expired session would move the frozen
  // broker's leadership and let the marker through).
  'broker.session.timeout.ms=12000',
  'replica.lag.time.max.ms=1500',
  'transaction.state.log.num.partitions=3',
  'offsets.topic.num.partitions=3',
  'transaction.max.timeout.ms=120000'
]

/** Runs a transactional librdkafka producer: one transaction per entry of `transactions`. */
const PY_TRANSACTIONS = `
import json, sys
from confluent_kafka import Producer
cmd = json.load(sys.stdin)
p = Producer({'bootstrap.servers': cmd['bootstrap'], 'transactional.id': cmd['transactionalId'],
              'transaction.timeout.ms': 60000, 'linger.ms': 5})
p.init_transactions(30)
for txn in cmd['transactions']:
    p.begin_transaction()
    for part in range(cmd['partitions']):
        p.produce(cmd['topic'], value=('%s-%d' % (txn['prefix'], part)).encode(), partition=part)
    if txn['commit']:
        p.commit_transaction(30)
    else:
        p.flush(30)
        p.abort_transaction(30)
print(json.dumps({'ok': True}))
`

/** Reads every partition with isolation.level=read_committed up to its last stable offset. */
const PY_READ_COMMITTED = `
import json, sys, time
from confluent_kafka import Consumer, TopicPartition
cmd = json.load(sys.stdin)
c = Consumer({'bootstrap.servers': cmd['bootstrap'], 'group.id': 'unused', 'enable.auto.commit': False,
              'enable.partition.eof': True, 'isolation.level': 'read_committed'})
c.assign([TopicPartition(cmd['topic'], p, 0) for p in range(cmd['partitions'])])
values, eof = [], set()
deadline = time.time() + 30
while time.time() < deadline and len(eof) < cmd['partitions']:
    m = c.poll(0.5)
    if m is None:
        continue
    if m.error():
        if m.error().code() == -191:
            eof.add(m.partition())
            continue
        raise Exception(m.error().str())
    eof.discard(m.partition())
    values.append(m.value().decode())
c.close()
print(json.dumps({'values': values, 'eof': sorted(eof)}))
`

describe('transactions on a 3-broker cluster', async () => {
  const skip = await ensureEtcd()
  const opts = { skip }
  let dir = ''
  let state: ClusterState | undefined
  const restarted = new Map<number, RestartedBroker>()
  const stopped = new Set<number>()
  const producers: Producer[] = []
  /** Every value a committed transaction wrote; the read_committed view must equal it. */
  const committed: string[] = []

  const brokerOf = (nodeId: number) => brokerIn(state!, nodeId)
  const liveBootstrap = () =>
    state!.brokers
      .filter((b) => !stopped.has(b.nodeId))
      .map((b) => `127.0.0.1:${b.port}`)
      .join(',')

  const kill = (nodeId: number) => {
    const again = restarted.get(nodeId)
    if (again) again.kill()
    else process.kill(brokerOf(nodeId).pid, 'SIGKILL')
    stopped.add(nodeId)
  }
  const restart = async (nodeId: number) => {
    restarted.set(nodeId, await RestartedBroker.start(state!, brokerOf(nodeId), OVERRIDES))
    stopped.delete(nodeId)
  }
  const pidOf = (nodeId: number) => restarted.get(nodeId)?.child.pid ?? brokerOf(nodeId).pid

  /** The transaction coordinator every live broker names for `transactionalId` (they must agree). */
  const coordinatorOf = (transactionalId: string) =>
    waitFor(`one coordinator for ${transactionalId}`, 30_000, async () => {
      const answers = await Promise.all(
        state!.brokers
          .filter((b) => !stopped.has(b.nodeId))
          .map((b) => findCoordinator(b.port, transactionalId, 1, 5000))
      )
      const ids = new Set(answers.map((a) => (a.errorCode === 0 ? a.nodeId : -1)))
      const [id] = ids
      return ids.size === 1 && id !== undefined && id >= 0 && !stopped.has(id) ? id : undefined
    })

  const describeTxn = async (transactionalId: string) => {
    const coordinator = await coordinatorOf(transactionalId)
    const r = await roundTrip<DescribeTransactionsResponse>(
      brokerOf(coordinator).port,
      65,
      0,
      { transactionalIds: [transactionalId] },
      5000
    )
    return r.transactionStates[0]!
  }

  /** Leaders of the topic's partitions as every live broker sees them, once all have one and a full ISR. */
  const leaders = (isr: number) =>
    waitFor(`leaders of ${TOPIC} with ${isr} in-sync replicas`, 30_000, async () => {
      const md = await metadataOf(liveBootstrap(), TOPIC)
      const ps = md.topics[0]?.partitions ?? []
      if (ps.length !== PARTITIONS) return undefined
      if (ps.some((p) => p.leader < 0 || stopped.has(p.leader) || p.isrs.length < isr)) return undefined
      return new Map(ps.map((p) => [p.partition, p.leader]))
    })

  const readCommitted = async (): Promise<string[]> => {
    const { stdout } = await runOk(PYTHON, ['-c', PY_READ_COMMITTED], {
      input: JSON.stringify({ bootstrap: liveBootstrap(), topic: TOPIC, partitions: PARTITIONS }),
      timeoutMs: 45_000
    })
    const out = JSON.parse(stdout.toString('utf8')) as { values: string[]; eof: number[] }
    assert.equal(out.eof.length, PARTITIONS, 'every partition read to its last stable offset')
    return out.values.sort()
  }

  const kafkajsProducer = async (transactionalId: string, metadataMaxAge?: number): Promise<Producer> => {
    const kafka = new kafkajs.Kafka({
      clientId: 'cluster-txn',
      brokers: liveBootstrap().split(','),
      logLevel: kafkajs.logLevel.NOTHING,
      retry: { retries: 30, initialRetryTime: 200, maxRetryTime: 2000 }
    })
    const p = kafka.producer({
      transactionalId,
      idempotent: true,
      maxInFlightRequests: 1,
      ...(metadataMaxAge === undefined ? {} : { metadataMaxAge })
    })
    producers.push(p)
    await p.connect()
    return p
  }

  /** One kafkajs transaction writing `<prefix>-<partition>` to every partition. */
  const kafkajsTransaction = async (p: Producer, prefix: string, commit: boolean) => {
    const txn = await p.transaction()
    await txn.send({
      topic: TOPIC,
      acks: -1,
      messages: Array.from({ length: PARTITIONS }, (_, partition) => ({
        value: `${prefix}-${partition}`,
        partition
      }))
    })
    if (commit) await txn.commit()
    else await txn.abort()
    if (commit)
      for (let partition = 0; partition < PARTITIONS; partition++) committed.push(`${prefix}-${partition}`)
  }

  before(async () => {
    if (skip) return
    dir = await mkdtemp(join(tmpdir(), 'samsa-cluster-txn-'))
    state = await startCluster(dir, 3, OVERRIDES)
    await createTopics(state.bootstrap, [
      {
        topic: TOPIC,
        numPartitions: PARTITIONS,
        replicationFactor: 3,
        configEntries: [{ name: 'min.insync.replicas', value: '2' }]
      }
    ])
  })

  after(async () => {
    if (skip || !dir) return
    await Promise.all(producers.map((p) => p.disconnect().catch(() => undefined)))
    for (const b of restarted.values()) b.kill()
    await stopCluster(dir, state)
  })

  it('the topic and __transaction_state are spread over every broker', opts, async () => {
    const byPartition = await leaders(3)
    assert.equal(new Set(byPartition.values()).size, 3, `leaders ${[...byPartition.values()]}`)
    // The first lookup creates __transaction_state through the controller, with RF min(3, live brokers).
    await coordinatorOf('probe')
    const md = await metadataOf(state!.bootstrap, '__transaction_state')
    const ps = md.topics[0]!.partitions
    assert.equal(ps.length, 3)
    for (const p of ps) assert.equal(p.replicas.length, 3, `__transaction_state-${p.partition} replicas`)
    assert.equal(new Set(ps.map((p) => p.leader)).size, 3, 'state partitions led by every broker')
  })

  it(
    'kafkajs commits and aborts transactions across every broker; read_committed sees the commits',
    opts,
    async () => {
      const p = await kafkajsProducer('js-spread')
      await kafkajsTransaction(p, 'js-c1', true)
      await kafkajsTransaction(p, 'js-a1', false)
      await kafkajsTransaction(p, 'js-c2', true)
      assert.deepEqual(await readCommitted(), [...committed].sort())
      const described = await describeTxn('js-spread')
      assert.equal(described.transactionState, 'CompleteCommit')
    }
  )

  it('librdkafka commits and aborts transactions across every broker', opts, async () => {
    await runOk(PYTHON, ['-c', PY_TRANSACTIONS], {
      input: JSON.stringify({
        bootstrap: liveBootstrap(),
        transactionalId: 'py-spread',
        topic: TOPIC,
        partitions: PARTITIONS,
        transactions: [
          { prefix: 'py-c1', commit: true },
          { prefix: 'py-a1', commit: false },
          { prefix: 'py-c2', commit: true }
        ]
      }),
      timeoutMs: 60_000
    })
    for (const prefix of ['py-c1', 'py-c2']) {
      for (let partition = 0; partition < PARTITIONS; partition++) committed.push(`${prefix}-${partition}`)
    }
    assert.deepEqual(await readCommitted(), [...committed].sort())
  })

  it(
    'a transaction left in PrepareCommit by a dead coordinator is completed by the new one',
    opts,
    async () => {
      const id = 'js-prepared'
      const p = await kafkajsProducer(id)
      const coordinator = await coordinatorOf(id)
      const controller = (await metadataOf(liveBootstrap())).controllerid
      const byPartition = await leaders(3)
      // A data leader that is neither the coordinator nor the controller: SIGSTOPped, it takes no marker.
      const frozen = [...new Set(byPartition.values())].find((b) => b !== coordinator && b !== controller)
      assert.ok(
        frozen !== undefined,
        `no broker besides coordinator ${coordinator} and controller ${controller}`
      )
      const txn = await p.transaction()
      await txn.send({
        topic: TOPIC,
        acks: -1,
        messages: Array.from({ length: PARTITIONS }, (_, partition) => ({
          value: `pc-${partition}`,
          partition
        }))
      })
      const { producerId, producerEpoch } = await describeTxn(id)
      process.kill(pidOf(frozen), 'SIGSTOP')
      stopped.add(frozen)
      try {
        // EndTxn returns once PrepareCommit is durable: the ISR drops the frozen broker (replica.lag.time.max.ms)
        // well before its session expires, so it is still the leader the marker is sent to. Sent straight to
        // the coordinator: kafkajs' commit() first asks a random connected broker for the coordinator, and
        // the frozen one would hold it for kafkajs' 30 s request timeout, past the frozen broker's session.
        const ended = await roundTrip<EndTxnResponse>(
          brokerOf(coordinator).port,
          26,
          3,
          { transactionalId: id, producerId, producerEpoch, committed: true },
          20_000
        )
        assert.equal(ended.errorCode, 0, 'EndTxn')
        for (let partition = 0; partition < PARTITIONS; partition++) committed.push(`pc-${partition}`)
        const prepared = await describeTxn(id)
        assert.equal(prepared.transactionState, 'PrepareCommit', 'the frozen leader holds the marker back')
        kill(coordinator)
      } finally {
        process.kill(pidOf(frozen), 'SIGCONT')
        stopped.delete(frozen)
      }
      await waitFor('the new coordinator to complete the commit', 45_000, async () =>
        (await describeTxn(id)).transactionState === 'CompleteCommit' ? true : undefined
      )
      assert.notEqual(await coordinatorOf(id), coordinator)
      assert.deepEqual(await readCommitted(), [...committed].sort())
      await restart(coordinator)
      await leaders(3)
    }
  )

  it(
    'after the coordinator is SIGKILLed between transactions, the producer finds the new one',
    opts,
    async () => {
      const id = 'js-failover'
      // kafkajs 2.2.4 silently drops the messages of a partition whose leader died mid-send when they move
      // to a broker that already answered that send (sendMessages' responsePerBroker): so the producer
      // refreshes its metadata before each send and the test lets the data leaders move first. The
      // coordinator's death is still the producer's to discover.
      const p = await kafkajsProducer(id, 0)
      await kafkajsTransaction(p, 'fo-c1', true)
      const coordinator = await coordinatorOf(id)
      kill(coordinator)
      await leaders(2)
      await kafkajsTransaction(p, 'fo-c2', true)
      await kafkajsTransaction(p, 'fo-a1', false)
      assert.notEqual(await coordinatorOf(id), coordinator)
      assert.deepEqual(await readCommitted(), [...committed].sort())
    }
  )
})
