/**
 * Topic administration through real clients and raw frames, checking Kafka's exact error codes: invalid
 * partition counts and replication factors, existing topics, and partition increases.
 */

import assert from 'node:assert/strict'
import { createRequire } from 'node:module'
import { after, before, describe, it } from 'node:test'
import type { Admin } from 'kafkajs'
import { ErrorCode } from '../../src/protocol/error-codes.js'
import { BrokerProcess } from '../helpers/broker-process.js'
import { PYTHON } from './support/confluent.js'
import { kcatConsume, kcatMetadata, kcatProduce } from './support/kcat.js'
import { rawCreatePartitions, rawCreateTopics } from './support/raw-requests.js'
import { runOk } from './support/run-process.js'

const require = createRequire(import.meta.url)
const { Kafka, logLevel } = require('kafkajs') as typeof import('kafkajs')

/** confluent-kafka's AdminClient.create_topics: each topic's error code (0 when created). */
async function pyCreateTopics(
  bootstrap: string,
  topics: { name: string; partitions: number }[]
): Promise<number[]> {
  const program = `
import json, sys
from confluent_kafka.admin import AdminClient, NewTopic
cmd = json.load(sys.stdin)
a = AdminClient({'bootstrap.servers': cmd['bootstrap']})
fs = a.create_topics([NewTopic(t['name'], t['partitions'], 1) for t in cmd['topics']], operation_timeout=5, request_timeout=10)
codes = []
for t in cmd['topics']:
    ex = fs[t['name']].exception(15)
    codes.append(0 if ex is None else ex.args[0].code())
json.dump(codes, sys.stdout)
`
  const r = await runOk(PYTHON, ['-c', program], {
    input: JSON.stringify({ bootstrap, topics }),
    timeoutMs: 30_000
  })
  return JSON.parse(r.stdout.toString('utf8')) as number[]
}

describe('topic administration error codes', () => {
  let broker: BrokerProcess
  let admin: Admin
  before(async () => {
    broker = await BrokerProcess.start({ overrides: ['auto.create.topics.enable=false'] })
    admin = new Kafka({
      clientId: 'e2e-admin',
      brokers: [broker.bootstrap],
      logLevel: logLevel.NOTHING,
      retry: { retries: 1, initialRetryTime: 50 }
    }).admin()
    await admin.connect()
  })
  after(async () => {
    await admin?.disconnect()
    await broker?.stop()
  })

  it('answers CreateTopics with INVALID_PARTITIONS, INVALID_REPLICATION_FACTOR and TOPIC_ALREADY_EXISTS (raw v7)', async () => {
    const results = await rawCreateTopics(broker.port, [
      { name: 'adm-zero', numPartitions: 0, replicationFactor: 1 },
      { name: 'adm-negative', numPartitions: -5, replicationFactor: 1 },
      { name: 'adm-rf', numPartitions: 1, replicationFactor: 2 },
      { name: 'adm-ok', numPartitions: 3, replicationFactor: -1 }
    ])
    assert.deepEqual(
      results.map((t) => [t.name, t.errorCode]),
      [
        ['adm-zero', ErrorCode.INVALID_PARTITIONS],
        ['adm-negative', ErrorCode.INVALID_PARTITIONS],
        ['adm-rf', ErrorCode.INVALID_REPLICATION_FACTOR],
        ['adm-ok', ErrorCode.NONE]
      ]
    )
    assert.equal(results[3]?.numPartitions, 3)
    assert.equal(results[3]?.replicationFactor, 1)
    const again = await rawCreateTopics(broker.port, [
      { name: 'adm-ok', numPartitions: 1, replicationFactor: 1 }
    ])
    assert.deepEqual(
      again.map((t) => t.errorCode),
      [ErrorCode.TOPIC_ALREADY_EXISTS]
    )
    const validateOnly = await rawCreateTopics(
      broker.port,
      [{ name: 'adm-ok', numPartitions: 1, replicationFactor: 1 }],
      true
    )
    assert.deepEqual(
      validateOnly.map((t) => t.errorCode),
      [ErrorCode.TOPIC_ALREADY_EXISTS]
    )
    const listing = await kcatMetadata(broker.bootstrap)
    assert.match(listing, /topic "adm-ok" with 3 partitions:/)
    assert.doesNotMatch(listing, /adm-zero|adm-negative|adm-rf/)
  })

  it('creates topics with kafkajs and reports existing and invalid ones', async () => {
    assert.equal(
      await admin.createTopics({ topics: [{ topic: 'adm-kjs', numPartitions: 2 }], waitForLeaders: true }),
      true
    )
    // kafkajs turns TOPIC_ALREADY_EXISTS into `false`.
    assert.equal(await admin.createTopics({ topics: [{ topic: 'adm-kjs', numPartitions: 2 }] }), false)
    await assert.rejects(
      admin.createTopics({ topics: [{ topic: 'adm-kjs-bad', numPartitions: 0 }] }),
      (err: unknown) => {
        const errors = (err as { errors?: { type?: string }[] }).errors ?? [err as { type?: string }]
        assert.deepEqual(
          errors.map((e) => e.type),
          ['INVALID_PARTITIONS']
        )
        return true
      }
    )
    await kcatProduce(broker.bootstrap, 'adm-kjs', [{ key: null, value: Buffer.from('x') }], { partition: 1 })
    assert.equal((await kcatConsume(broker.bootstrap, 'adm-kjs', { partition: 1 })).length, 1)
  })

  it('creates topics with confluent-kafka AdminClient and reports existing and invalid ones', async () => {
    const codes = await pyCreateTopics(broker.bootstrap, [
      { name: 'adm-py', partitions: 2 },
      { name: 'adm-ok', partitions: 1 },
      { name: 'adm-py-bad', partitions: 0 }
    ])
    // librdkafka itself refuses 0 partitions before sending (its _INVALID_ARG, -186), or the broker answers 37.
    assert.equal(codes[0], ErrorCode.NONE)
    assert.equal(codes[1], ErrorCode.TOPIC_ALREADY_EXISTS)
    assert.ok(codes[2] === ErrorCode.INVALID_PARTITIONS || codes[2] === -186, `got ${codes[2]}`)
  })

  it('answers CreatePartitions with INVALID_PARTITIONS for a decrease and grows a topic', async () => {
    await rawCreateTopics(broker.port, [{ name: 'adm-grow', numPartitions: 2, replicationFactor: 1 }])
    assert.deepEqual(
      (await rawCreatePartitions(broker.port, 'adm-grow', 1)).map((r) => r.errorCode),
      [ErrorCode.INVALID_PARTITIONS]
    )
    assert.deepEqual(
      (await rawCreatePartitions(broker.port, 'adm-grow', 2)).map((r) => r.errorCode),
      [ErrorCode.INVALID_PARTITIONS]
    )
    assert.deepEqual(
      (await rawCreatePartitions(broker.port, 'adm-missing', 3)).map((r) => r.errorCode),
      [ErrorCode.UNKNOWN_TOPIC_OR_PARTITION]
    )
    assert.deepEqual(
      (await rawCreatePartitions(broker.port, 'adm-grow', 4)).map((r) => r.errorCode),
      [ErrorCode.NONE]
    )
    await kcatProduce(broker.bootstrap, 'adm-grow', [{ key: null, value: Buffer.from('new partition') }], {
      partition: 3
    })
    const got = await kcatConsume(broker.bootstrap, 'adm-grow', { partition: 3 })
    assert.deepEqual(
      got.map((r) => r.value?.toString()),
      ['new partition']
    )
    // And kafkajs sees the new count.
    const { topics } = await admin.fetchTopicMetadata({ topics: ['adm-grow'] })
    assert.equal(topics[0]?.partitions.length, 4)
  })
})
