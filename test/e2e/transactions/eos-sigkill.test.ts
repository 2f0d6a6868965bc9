/**
 * Exactly-once across broker crashes: python3-confluent-kafka (librdkafka 2.0.2) runs a
 * consume-transform-produce loop (read_committed consumer of `in`, transactional producer to `out`,
 * consumed offsets sent with send_offsets_to_transaction) while the broker is SIGKILLed and restarted on
 * the same log dir and port twice. On an abortable error the loop aborts and rewinds to the group's
 * committed offsets, on a fatal one it starts a new producer (fencing the old) and rewinds, as Confluent's
 * EOS example does. Afterwards a read_committed reader of `out` must see every input exactly once: a
 * transactional offset commit lost in a crash would replay its input, one committed without its
 * transaction's output would lose it.
 */

import assert from 'node:assert/strict'
import { type ChildProcess, spawn } from 'node:child_process'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { describe, it } from 'node:test'
import type { BrokerProcess } from '../../helpers/broker-process.js'
import { produceValues, startBrokerOn } from '../../helpers/partition-client.js'
import { PYTHON, pyConsume } from '../support/confluent.js'
import { rawRequest } from '../support/raw-requests.js'
import { TXN_BROKER_OVERRIDES, waitForTxnCoordinator } from './txn-kit.js'

const INPUT_PARTITIONS = 2
const PER_PARTITION = 600
const TXN_ID = 'eos-sigkill'
/**
 * Where the broker dies: with a transaction's offsets already sent (TxnOffsetCommit) but not committed,
 * the case that needs durable transactional offsets; and with its output produced but no offsets sent.
 */
const KILLS = [
  { txn: 5, where: 'offsets-sent' },
  { txn: 15, where: 'produced' }
]

const EOS_LOOP = `
import json, sys, time
from confluent_kafka import Consumer, KafkaException, Producer, TopicPartition

cmd = json.load(sys.stdin)
deadline = time.time() + cmd['timeoutS']
base = {'bootstrap.servers': cmd['bootstrap'], 'reconnect.backoff.ms': 50, 'reconnect.backoff.max.ms': 300,
        'retry.backoff.ms': 50, 'socket.connection.setup.timeout.ms': 2000}
ends = {int(p): o for p, o in cmd['ends'].items()}

def say(**kw):
    print(json.dumps(kw), flush=True)

def with_retries(what, fn):
    while True:
        if time.time() > deadline:
            raise SystemExit('deadline passed in ' + what)
        try:
            return fn()
        except KafkaException as ex:
            err = ex.args[0]
            if not err.retriable():
                raise
            say(event='retry', what=what, error=err.name())
            time.sleep(0.1)

consumer = Consumer(dict(base, **{'group.id': cmd['group'], 'enable.auto.commit': False,
                                 'isolation.level': 'read_committed', 'auto.offset.reset': 'earliest'}))

def new_producer():
    p = Producer(dict(base, **{'transactional.id': cmd['txnId'], 'transaction.timeout.ms': 20000}))
    with_retries('init_transactions', lambda: p.init_transactions(10))
    return p

def rewind():
    tps = [TopicPartition(cmd['in'], p) for p in ends]
    committed = with_retries('committed', lambda: consumer.committed(tps, 10))
    positions = {tp.partition: max(tp.offset, 0) for tp in committed}
    consumer.assign([TopicPartition(cmd['in'], p, o) for p, o in positions.items()])
    say(event='rewind', positions=positions)
    return positions

def hold(where):
    # The test kills the broker while the loop sits here: a crash at a chosen point of a transaction.
    if cmd['holds'].get(str(txns + 1)) == where:
        say(event='hold', txn=txns + 1, where=where)
        time.sleep(cmd['holdS'])

def finished(positions):
    return all(positions.get(p, 0) >= e for p, e in ends.items())

producer = new_producer()
positions = rewind()
txns = 0
while not finished(positions):
    if time.time() > deadline:
        raise SystemExit('deadline passed')
    msgs = [m for m in consumer.consume(num_messages=cmd['batch'], timeout=0.2) if m.error() is None]
    if not msgs:
        continue
    try:
        producer.begin_transaction()
        for m in msgs:
            producer.produce(cmd['out'], key=m.key(), value=b'out-' + m.value())
        producer.poll(0)
        for m in msgs:
            positions[m.partition()] = m.offset() + 1
        offsets = [TopicPartition(cmd['in'], p, o) for p, o in positions.items()]
        hold('produced')
        with_retries('send_offsets', lambda: producer.send_offsets_to_transaction(
            offsets, consumer.consumer_group_metadata(), 10))
        hold('offsets-sent')
        with_retries('commit', lambda: producer.commit_transaction(10))
        txns += 1
        say(event='committed', txns=txns, positions=positions)
        # Exactly-once means the group's committed offsets are the transaction's offsets now.
        tps = [TopicPartition(cmd['in'], p) for p in ends]
        stored = {tp.partition: tp.offset for tp in with_retries('committed', lambda: consumer.committed(tps, 10))}
        if stored != positions:
            say(event='offsets-lost', txns=txns, stored=stored, positions=positions)
            positions = rewind()
    except KafkaException as ex:
        err = ex.args[0]
        say(event='error', error=err.name(), fatal=err.fatal(), abortable=err.txn_requires_abort(), detail=err.str())
        if err.txn_requires_abort():
            try:
                with_retries('abort', lambda: producer.abort_transaction(10))
            except KafkaException as ex2:
                say(event='abort-failed', error=ex2.args[0].name())
                producer = new_producer()
        else:
            # Fatal (fenced, or the transaction's state is unknown): a new instance fences this one and has
            # the coordinator finish whatever it left open before the rewind reads the committed offsets.
            producer = new_producer()
        positions = rewind()
say(event='done', txns=txns)
`

interface LoopEvent {
  event: string
  txns?: number
  txn?: number
  where?: string
  error?: string
  fatal?: boolean
  abortable?: boolean
}

/** The EOS loop as a child process, its JSON events collected as they arrive. */
class EosLoop {
  readonly events: LoopEvent[] = []
  stderr = ''
  readonly exited: Promise<number | null>

  constructor(private readonly child: ChildProcess) {
    this.exited = new Promise((resolve) => child.once('close', (code) => resolve(code)))
    child.stderr?.setEncoding('utf8').on('data', (s: string) => {
      this.stderr += s
    })
    if (child.stdout) {
      createInterface({ input: child.stdout }).on('line', (line) => {
        try {
          this.events.push(JSON.parse(line) as LoopEvent)
        } catch {
          this.events.push({ event: 'raw', error: line })
        }
      })
    }
  }

  static start(command: object): EosLoop {
    const child = spawn(PYTHON, ['-c', EOS_LOOP], { stdio: ['pipe', 'pipe', 'pipe'] })
    child.stdin?.on('error', () => {})
    child.stdin?.end(JSON.stringify(command))
    return new EosLoop(child)
  }

  get committedTxns(): number {
    let n = 0
    for (const e of this.events) if (e.event === 'committed') n = e.txns ?? n
    return n
  }

  /** Resolves when the loop holds transaction `txn` at `where`. */
  async waitForHold(txn: number, where: string, timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs
    while (!this.events.some((e) => e.event === 'hold' && e.txn === txn && e.where === where)) {
      if (this.child.exitCode !== null) throw new Error(`EOS loop exited early: ${this.stderr}`)
      if (Date.now() > deadline) {
        throw new Error(`transaction ${txn} never reached ${where} (${this.committedTxns} committed)`)
      }
      await new Promise((r) => setTimeout(r, 10))
    }
  }

  kill(): void {
    if (this.child.exitCode === null) this.child.kill('SIGKILL')
  }
}

describe('exactly-once consume-transform-produce through broker SIGKILLs', { timeout: 90_000 }, () => {
  it('every input record reaches `out` exactly once', { timeout: 80_000 }, async (t) => {
    const logDir = await mkdtemp(join(tmpdir(), 'samsa-eos-'))
    let broker: BrokerProcess | undefined
    let loop: EosLoop | undefined
    try {
      broker = await startBrokerOn(logDir, 0, TXN_BROKER_OVERRIDES)
      const port = broker.port
      const created = await rawRequest<{ topics: { name: string; errorCode: number }[] }>(port, 19, 4, {
        topics: [
          { name: 'in', numPartitions: INPUT_PARTITIONS, replicationFactor: 1, assignments: [], configs: [] },
          { name: 'out', numPartitions: 1, replicationFactor: 1, assignments: [], configs: [] }
        ],
        timeoutMs: 10_000,
        validateOnly: false
      })
      assert.deepEqual(
        created.topics.map((x) => x.errorCode),
        [0, 0]
      )
      const ends: Record<number, number> = {}
      for (let p = 0; p < INPUT_PARTITIONS; p++) {
        for (let i = 0; i < PER_PARTITION; i += 100) {
          const values = Array.from({ length: 100 }, (_, j) => `${p}-${i + j}`)
          const r = await produceValues(port, 'in', p, values)
          assert.equal(r.errorCode, 0)
        }
        ends[p] = PER_PARTITION
      }
      await waitForTxnCoordinator(port, TXN_ID)

      loop = EosLoop.start({
        bootstrap: broker.bootstrap,
        in: 'in',
        out: 'out',
        group: 'eos-group',
        txnId: TXN_ID,
        ends,
        batch: 20,
        holds: Object.fromEntries(KILLS.map((k) => [String(k.txn), k.where])),
        holdS: 1,
        timeoutS: 60
      })
      for (const kill of KILLS) {
        await loop.waitForHold(kill.txn, kill.where, 30_000)
        await broker.stop('SIGKILL')
        t.diagnostic(`killed the broker in transaction ${kill.txn}, ${kill.where}`)
        broker = await startBrokerOn(logDir, port, TXN_BROKER_OVERRIDES)
      }
      const code = await Promise.race([
        loop.exited,
        new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), 60_000).unref())
      ])
      const errors = loop.events.filter((e) => e.event === 'error' || e.event === 'abort-failed')
      t.diagnostic(`${loop.committedTxns} transactions committed; errors: ${JSON.stringify(errors)}`)
      assert.equal(code, 0, `EOS loop failed (${code}): ${loop.stderr}`)
      const lost = loop.events.filter((e) => e.event === 'offsets-lost')
      assert.deepEqual(lost, [], 'a committed transaction lost its consumed offsets')

      const out = await pyConsume(broker.bootstrap, 'out', {
        config: { 'isolation.level': 'read_committed' }
      })
      assert.equal(out.error, undefined)
      const seen = new Map<string, number>()
      for (const r of out.records) {
        const v = r.value?.toString() ?? ''
        seen.set(v, (seen.get(v) ?? 0) + 1)
      }
      const duplicates = [...seen].filter(([, n]) => n > 1).map(([v]) => v)
      const missing: string[] = []
      for (let p = 0; p < INPUT_PARTITIONS; p++) {
        for (let i = 0; i < PER_PARTITION; i++) if (!seen.has(`out-${p}-${i}`)) missing.push(`${p}-${i}`)
      }
      assert.deepEqual(duplicates.slice(0, 10), [], `${duplicates.length} inputs reached out more than once`)
      assert.deepEqual(missing.slice(0, 10), [], `${missing.length} inputs never reached out`)
      assert.equal(out.records.length, INPUT_PARTITIONS * PER_PARTITION)
    } finally {
      loop?.kill()
      await broker?.stop('SIGKILL')
      await rm(logDir, { recursive: true, force: true })
    }
  })
})
