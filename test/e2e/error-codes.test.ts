/**
 * Kafka's exact error codes through every client and over raw frames: an unknown topic with auto-creation
 * off (UNKNOWN_TOPIC_OR_PARTITION 3), records near and over message.max.bytes (MESSAGE_TOO_LARGE 10) and a
 * batch with a damaged CRC (CORRUPT_MESSAGE 2).
 */

import assert from 'node:assert/strict'
import { createHash, randomBytes } from 'node:crypto'
import { createRequire } from 'node:module'
import { after, before, describe, it } from 'node:test'
import { Producer as PlatformaticProducer } from '@platformatic/kafka'
import type { Kafka as KafkaClient } from 'kafkajs'
import { ErrorCode } from '../../src/protocol/error-codes.js'
import { CRC_OFFSET } from '../../src/protocol/records/record-batch-header.js'
import { BrokerProcess } from '../helpers/broker-process.js'
import { pyConsume, pyMetadata, pyProduce } from './support/confluent.js'
import { kcatConsume, kcatMetadata, kcatProduce, kcatProduceRaw } from './support/kcat.js'
import { batchOf, rawMetadata, rawProduce } from './support/raw-requests.js'

const require = createRequire(import.meta.url)
const { Kafka, logLevel } = require('kafkajs') as typeof import('kafkajs')

const MAX = 2_000_000
// librdkafka checks its own message.max.bytes (1 MB by default) before sending: raise it so the broker decides.
const RDKAFKA_BIG = ['message.max.bytes=10000000']
const PY_BIG = { 'message.max.bytes': 10_000_000, 'receive.message.max.bytes': 20_000_000 }

const sha = (b: Buffer | null | undefined) => (b ? createHash('sha256').update(b).digest('hex') : null)
/** Incompressible bytes without kcat's input delimiters. */
function payload(size: number): Buffer {
  const b = randomBytes(size)
  for (let i = 0; i < b.length; i++) if (b[i] === 0x1e || b[i] === 0x1f) b[i] = 0x41
  return b
}

/** kafkajs wraps the broker's error after its retries; find the protocol error's type anywhere in the chain. */
function kafkajsErrorTypes(err: unknown): string[] {
  const types: string[] = []
  let e = err as { type?: string; originalError?: unknown; cause?: unknown; errors?: unknown[] } | undefined
  for (let depth = 0; e && depth < 5; depth++) {
    if (e.type) types.push(e.type)
    for (const inner of e.errors ?? []) types.push(...kafkajsErrorTypes(inner))
    e = (e.originalError ?? e.cause) as typeof e
  }
  return types
}

describe('error codes with auto-creation disabled', () => {
  let broker: BrokerProcess
  let kafka: KafkaClient
  before(async () => {
    broker = await BrokerProcess.start({ overrides: ['auto.create.topics.enable=false'] })
    kafka = new Kafka({
      clientId: 'e2e-errors',
      brokers: [broker.bootstrap],
      logLevel: logLevel.NOTHING,
      retry: { retries: 1, initialRetryTime: 50 }
    })
  })
  after(async () => {
    await broker?.stop()
  })

  it('answers UNKNOWN_TOPIC_OR_PARTITION in Metadata and Produce over raw frames', async () => {
    const md = await rawMetadata(broker.port, ['nope-raw'], true)
    assert.deepEqual(
      md.topics.map((t) => [t.name, t.errorCode]),
      [['nope-raw', ErrorCode.UNKNOWN_TOPIC_OR_PARTITION]]
    )
    const p = await rawProduce(broker.port, 'nope-raw', 0, await batchOf(['x']))
    assert.equal(p.errorCode, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION)
    assert.equal((await rawMetadata(broker.port, null)).topics.length, 0, 'nothing was created')
  })

  it('fails a kafkajs send with UNKNOWN_TOPIC_OR_PARTITION', async () => {
    const producer = kafka.producer({ allowAutoTopicCreation: true })
    await producer.connect()
    try {
      await assert.rejects(producer.send({ topic: 'nope-kafkajs', messages: [{ value: 'x' }] }), (err) => {
        assert.ok(kafkajsErrorTypes(err).includes('UNKNOWN_TOPIC_OR_PARTITION'), String(err))
        return true
      })
    } finally {
      await producer.disconnect()
    }
  })

  it('reports the unknown topic to kcat and confluent-kafka', async () => {
    const listing = await kcatMetadata(broker.bootstrap, 'nope-kcat')
    assert.match(listing, /topic "nope-kcat" with 0 partitions: Broker: Unknown topic or partition/)
    const produced = await kcatProduceRaw(
      broker.bootstrap,
      'nope-kcat',
      [{ key: null, value: Buffer.from('x') }],
      {
        config: ['topic.metadata.propagation.max.ms=200', 'message.timeout.ms=3000']
      }
    )
    assert.notEqual(produced.code, 0)
    assert.match(produced.stderr, /Unknown topic or partition/i)
    const py = await pyProduce(broker.bootstrap, 'nope-py', [{ key: null, value: Buffer.from('x') }], {
      'topic.metadata.propagation.max.ms': 200,
      'message.timeout.ms': 3000
    })
    const codes = py.reports.map((r) => r.error?.code)
    // librdkafka reports the broker's 3, or its local _UNKNOWN_TOPIC (-188) once it gives up waiting for it.
    assert.equal(codes.length, 1)
    assert.ok(
      codes[0] === ErrorCode.UNKNOWN_TOPIC_OR_PARTITION || codes[0] === -188,
      `got ${JSON.stringify(py.reports)}`
    )
    const md = await pyMetadata(broker.bootstrap)
    assert.deepEqual(Object.keys(md.topics), [])
  })

  it('fails a @platformatic/kafka send without auto-creation', async () => {
    const producer = new PlatformaticProducer({
      clientId: 'e2e-errors',
      bootstrapBrokers: [broker.bootstrap],
      retries: 1,
      retryDelay: 50
    })
    try {
      await assert.rejects(
        producer.send({ messages: [{ topic: 'nope-pk', value: Buffer.from('x') }] }),
        (err) => {
          // The client turns the Metadata answer (UNKNOWN_TOPIC_OR_PARTITION) into its own error.
          assert.match(String(err), /Unknown topic nope-pk/)
          return true
        }
      )
    } finally {
      await producer.close()
    }
  })
})

describe('error codes for record size and corruption', () => {
  let broker: BrokerProcess
  let kafka: KafkaClient
  before(async () => {
    broker = await BrokerProcess.start({ overrides: [`message.max.bytes=${MAX}`] })
    kafka = new Kafka({
      clientId: 'e2e-size',
      brokers: [broker.bootstrap],
      logLevel: logLevel.NOTHING,
      retry: { retries: 1, initialRetryTime: 50 }
    })
  })
  after(async () => {
    await broker?.stop()
  })

  it('accepts a 1.9 MB record from kcat and reads it back intact, and rejects 2.1 MB with MESSAGE_TOO_LARGE', async () => {
    const topic = 'size-kcat'
    const big = payload(1_900_000)
    await kcatProduce(broker.bootstrap, topic, [{ key: Buffer.from('big'), value: big }], {
      partition: 0,
      config: RDKAFKA_BIG
    })
    const tooBig = await kcatProduceRaw(broker.bootstrap, topic, [{ key: null, value: payload(2_100_000) }], {
      partition: 0,
      config: [...RDKAFKA_BIG, 'message.send.max.retries=0']
    })
    assert.notEqual(tooBig.code, 0)
    assert.match(tooBig.stderr, /Broker: Message size too large/)
    const consumed = await kcatConsume(broker.bootstrap, topic, { partition: 0 })
    assert.equal(consumed.length, 1)
    assert.equal(sha(consumed[0]?.value), sha(big))
  })

  it('answers MESSAGE_TOO_LARGE in a confluent-kafka delivery report and serves the 1.9 MB record to a small-fetch consumer', async () => {
    const topic = 'size-py'
    const big = payload(1_900_000)
    const { reports } = await pyProduce(
      broker.bootstrap,
      topic,
      [
        { key: null, value: big, partition: 0 },
        { key: null, value: payload(2_100_000), partition: 0 }
      ],
      // One record per request, so the small one is not rejected together with the large one.
      {
        ...PY_BIG,
        'batch.num.messages': 1,
        'linger.ms': 0,
        'message.send.max.retries': 0,
        'max.in.flight': 1
      }
    )
    assert.deepEqual(
      reports.map((r) => [r.error?.code ?? 0, r.error?.name ?? null, r.partition]),
      [
        [0, null, 0],
        [ErrorCode.MESSAGE_TOO_LARGE, 'MSG_SIZE_TOO_LARGE', 0]
      ]
    )
    // Partition fetch limits smaller than the record: Kafka still returns the first batch whole (KIP-74).
    const { records } = await pyConsume(broker.bootstrap, topic, {
      config: {
        'fetch.max.bytes': 1_000_000,
        'max.partition.fetch.bytes': 100_000,
        'receive.message.max.bytes': 20_000_000
      }
    })
    assert.deepEqual(
      records.map((r) => [r.offset, sha(r.value)]),
      [[0, sha(big)]]
    )
  })

  it('fails a kafkajs send above message.max.bytes with MESSAGE_TOO_LARGE', async () => {
    const producer = kafka.producer()
    await producer.connect()
    try {
      const ok = await producer.send({
        topic: 'size-kafkajs',
        messages: [{ partition: 0, value: payload(1_900_000) }]
      })
      assert.equal(ok[0]?.errorCode, 0)
      await assert.rejects(
        producer.send({ topic: 'size-kafkajs', messages: [{ partition: 0, value: payload(2_100_000) }] }),
        (err) => {
          assert.ok(kafkajsErrorTypes(err).includes('MESSAGE_TOO_LARGE'), String(err))
          return true
        }
      )
    } finally {
      await producer.disconnect()
    }
  })

  it('answers MESSAGE_TOO_LARGE to a raw Produce just over the limit and accepts one just under', async () => {
    await rawMetadata(broker.port, ['size-raw'])
    // The limit is on the batch as written (record batch overhead included), as in Kafka.
    const under = await batchOf(['u'.repeat(MAX - 200)])
    const over = await batchOf(['o'.repeat(MAX)])
    assert.ok(under.length <= MAX && over.length > MAX)
    assert.equal((await rawProduce(broker.port, 'size-raw', 0, under)).errorCode, ErrorCode.NONE)
    assert.equal((await rawProduce(broker.port, 'size-raw', 0, over)).errorCode, ErrorCode.MESSAGE_TOO_LARGE)
  })

  it('answers CORRUPT_MESSAGE to a batch with a flipped CRC byte and appends nothing', async () => {
    const topic = 'corrupt-raw'
    await rawMetadata(broker.port, [topic])
    const good = await batchOf(['a', 'b', 'c'])
    assert.equal((await rawProduce(broker.port, topic, 0, good)).baseOffset, 0n)
    const bad = Buffer.from(await batchOf(['d', 'e']))
    bad[CRC_OFFSET + 1] = (bad[CRC_OFFSET + 1] ?? 0) ^ 0xff
    const response = await rawProduce(broker.port, topic, 0, bad)
    assert.equal(response.errorCode, ErrorCode.CORRUPT_MESSAGE)
    // A flipped payload byte (CRC intact) is corrupt as well.
    const badPayload = Buffer.from(await batchOf(['f']))
    badPayload[badPayload.length - 2] = (badPayload[badPayload.length - 2] ?? 0) ^ 0x01
    assert.equal((await rawProduce(broker.port, topic, 0, badPayload)).errorCode, ErrorCode.CORRUPT_MESSAGE)
    const next = await rawProduce(broker.port, topic, 0, await batchOf(['g']))
    assert.equal(next.baseOffset, 3n, 'the corrupt batches took no offsets')
    const consumed = await kcatConsume(broker.bootstrap, topic, { partition: 0 })
    assert.deepEqual(
      consumed.map((r) => r.value?.toString()),
      ['a', 'b', 'c', 'g']
    )
  })
})
