/**
 * The cost of small transactions: starts a broker process and produces the same records (20,000 of 100
 * bytes by default) to one partition twice per client: idempotently without transactions, and in
 * transactions of 100 records (begin, produce, commit; each commit is an EndTxn round trip, a
 * `__transaction_state` write of PrepareCommit, a COMMIT marker on the partition and CompleteCommit).
 * Prints records/s of both and their ratio, for python3-confluent-kafka (librdkafka) and for kafkajs.
 * acks=all, no compression, a fresh topic per run.
 * Run: npx tsc -p tsconfig.json && node dist/bench/transaction-cost.js [records] [recordsPerTransaction]
 * First run (2 cores, Node 20, 20,000 records, transactions of 100): confluent-kafka (librdkafka 2.0.2, the
 * faster client) 99,827 records/s idempotent vs 6,328 records/s transactional (ratio 0.063, about 16 ms per
 * transaction); kafkajs 2.2.4 39,432 vs 3,013 records/s (ratio 0.076).
 */

import { createRequire } from 'node:module'
import { rawRequest } from '../test/e2e/support/raw-requests.js'
import { runOk } from '../test/e2e/support/run-process.js'
import { TXN_BROKER_OVERRIDES, waitForTxnCoordinator } from '../test/e2e/transactions/txn-kit.js'
import { BrokerProcess } from '../test/helpers/broker-process.js'

const require = createRequire(import.meta.url)
const { Kafka, logLevel } = require('kafkajs') as typeof import('kafkajs')

const RECORDS = Number(process.argv[2] ?? 20_000)
const PER_TXN = Number(process.argv[3] ?? 100)
const RECORD_BYTES = 100
const PYTHON = '/usr/bin/python3'

/** Times one mode inside Python so that interpreter start-up and client set-up are not counted. */
const CONFLUENT = `
import json, sys, time
from confluent_kafka import Producer
cmd = json.load(sys.stdin)
conf = {'bootstrap.servers': cmd['bootstrap'], 'enable.idempotence': True, 'linger.ms': 5}
value = b'x' * cmd['recordBytes']
if cmd['transactional']:
    conf['transactional.id'] = cmd['topic']
p = Producer(conf)
if cmd['transactional']:
    p.init_transactions(30)
failed = []
def report(err, msg):
    if err is not None:
        failed.append(err.name())
start = time.perf_counter()
if cmd['transactional']:
    for first in range(0, cmd['records'], cmd['perTxn']):
        p.begin_transaction()
        for i in range(first, min(first + cmd['perTxn'], cmd['records'])):
            p.produce(cmd['topic'], value=value, on_delivery=report)
            p.poll(0)
        p.commit_transaction(30)
else:
    for i in range(cmd['records']):
        while True:
            try:
                p.produce(cmd['topic'], value=value, on_delivery=report)
                break
            except BufferError:
                p.poll(0.01)
        p.poll(0)
    left = p.flush(60)
    if left:
        failed.append('%d unflushed' % left)
elapsed = time.perf_counter() - start
print(json.dumps({'seconds': elapsed, 'failed': failed[:5]}))
`

async function createTopic(port: number, name: string): Promise<void> {
  const r = await rawRequest<{ topics: { errorCode: number }[] }>(port, 19, 4, {
    topics: [{ name, numPartitions: 1, replicationFactor: 1, assignments: [], configs: [] }],
    timeoutMs: 10_000,
    validateOnly: false
  })
  if (r.topics[0]?.errorCode !== 0) throw new Error(`creating ${name}: error ${r.topics[0]?.errorCode}`)
}

async function confluent(bootstrap: string, topic: string, transactional: boolean): Promise<number> {
  const input = JSON.stringify({
    bootstrap,
    topic,
    transactional,
    records: RECORDS,
    perTxn: PER_TXN,
    recordBytes: RECORD_BYTES
  })
  const r = await runOk(PYTHON, ['-c', CONFLUENT], { input, timeoutMs: 300_000 })
  const out = JSON.parse(r.stdout.toString('utf8')) as { seconds: number; failed: string[] }
  if (out.failed.length > 0) throw new Error(`confluent ${topic}: ${out.failed.join(', ')}`)
  return out.seconds
}

/** kafkajs sends and awaits one request per call: 100-record sends in both modes, transactional or not. */
async function kafkajs(bootstrap: string, topic: string, transactional: boolean): Promise<number> {
  const kafka = new Kafka({ clientId: 'txn-cost', brokers: [bootstrap], logLevel: logLevel.NOTHING })
  const producer = kafka.producer({
    idempotent: true,
    maxInFlightRequests: 1,
    ...(transactional && { transactionalId: topic })
  })
  await producer.connect()
  const value = Buffer.alloc(RECORD_BYTES, 'x')
  try {
    const started = process.hrtime.bigint()
    for (let first = 0; first < RECORDS; first += PER_TXN) {
      const messages = Array.from({ length: Math.min(PER_TXN, RECORDS - first) }, () => ({ value }))
      if (transactional) {
        const txn = await producer.transaction()
        await txn.send({ topic, messages, acks: -1 })
        await txn.commit()
      } else {
        await producer.send({ topic, messages, acks: -1 })
      }
    }
    return Number(process.hrtime.bigint() - started) / 1e9
  } finally {
    await producer.disconnect()
  }
}

function line(client: string, mode: string, seconds: number): number {
  const rate = RECORDS / seconds
  console.log(
    `${client.padEnd(16)} ${mode.padEnd(34)} ${RECORDS} records in ${seconds.toFixed(2)} s: ${Math.round(rate)} records/s`
  )
  return rate
}

async function main(): Promise<void> {
  const broker = await BrokerProcess.start({ overrides: TXN_BROKER_OVERRIDES })
  try {
    const port = broker.port
    await waitForTxnCoordinator(port, 'txn-cost-warm-up')
    const clients = [
      ['confluent-kafka', confluent],
      ['kafkajs', kafkajs]
    ] as const
    for (const [name, run] of clients) {
      for (const mode of ['warm-up', 'idempotent', 'transactional']) {
        await createTopic(port, `${name}-${mode}`)
      }
      // A first transactional run creates the producer's transactional id and warms the broker up.
      await run(broker.bootstrap, `${name}-warm-up`, true)
      const plain = line(
        name,
        'idempotent, no transactions',
        await run(broker.bootstrap, `${name}-idempotent`, false)
      )
      const txn = line(
        name,
        `transactions of ${PER_TXN} records`,
        await run(broker.bootstrap, `${name}-transactional`, true)
      )
      console.log(`${name.padEnd(16)} transactional / idempotent = ${(txn / plain).toFixed(3)}`)
    }
  } finally {
    await broker.stop()
  }
}

main().catch((err: unknown) => {
  console.error(err)
  process.exit(1)
})
