/**
 * Group consumption by two more peers: kcat -G (librdkafka's balanced consumer) and @platformatic/kafka's
 * Consumer with a groupId. Each consumes every record of a topic in its group and commits; a second run
 * of the same group resumes after the commits, and kafkajs admin.fetchOffsets sees them.
 */

import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { BrokerProcess } from '../../helpers/broker-process.js'
import {
  createTopic,
  GROUP_BROKER_OVERRIDES,
  kafkajsClient,
  withAdmin
} from '../../helpers/group-test-kit.js'
import { KCAT } from '../support/kcat.js'
import { runProcess } from '../support/run-process.js'

const PARTITIONS = 3
const COUNT = 30

async function produceNumbered(
  bootstrap: string,
  topic: string,
  from: number,
  count: number
): Promise<string[]> {
  const producer = kafkajsClient(bootstrap).producer({ allowAutoTopicCreation: false })
  await producer.connect()
  const values = Array.from({ length: count }, (_, i) => `n-${from + i}`)
  try {
    await producer.send({
      topic,
      acks: -1,
      messages: values.map((value, i) => ({ value, partition: (from + i) % PARTITIONS }))
    })
  } finally {
    await producer.disconnect()
  }
  return values
}

async function committedOffsets(bootstrap: string, groupId: string, topic: string): Promise<number[]> {
  const fetched = await withAdmin(bootstrap, (admin) => admin.fetchOffsets({ groupId, topics: [topic] }))
  return (fetched[0]?.partitions ?? []).sort((x, y) => x.partition - y.partition).map((p) => Number(p.offset))
}

/** kcat -G until every assigned partition reaches its end (-e); prints `partition offset value`. */
async function kcatGroupConsume(bootstrap: string, groupId: string, topic: string) {
  const r = await runProcess(
    KCAT,
    [
      '-b',
      bootstrap,
      '-G',
      groupId,
      topic,
      '-e',
      '-q',
      '-f',
      '%p %o %s\\n',
      '-X',
      'auto.offset.reset=earliest',
      '-X',
      'session.timeout.ms=6000',
      '-X',
      'heartbeat.interval.ms=500'
    ],
    { timeoutMs: 30_000 }
  )
  assert.equal(r.code, 0, r.stderr)
  return r.stdout
    .toString('utf8')
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => {
      const [p, o, v] = l.split(' ')
      return { partition: Number(p), offset: Number(o), value: v ?? '' }
    })
}

describe('group consumers: kcat -G and @platformatic/kafka', () => {
  let broker: BrokerProcess
  before(async () => {
    broker = await BrokerProcess.start({ overrides: GROUP_BROKER_OVERRIDES })
  })
  after(async () => {
    await broker?.stop()
  })

  it('kcat -G consumes everything, commits, and a second run resumes after the commit', async () => {
    const topic = 'kcat-group'
    await createTopic(broker.bootstrap, topic, PARTITIONS)
    const first = await produceNumbered(broker.bootstrap, topic, 0, COUNT)
    const run1 = await kcatGroupConsume(broker.bootstrap, 'kcat-g', topic)
    assert.deepEqual(run1.map((r) => r.value).sort(), [...first].sort())
    assert.deepEqual(await committedOffsets(broker.bootstrap, 'kcat-g', topic), [10, 10, 10])

    const more = await produceNumbered(broker.bootstrap, topic, COUNT, 6)
    const run2 = await kcatGroupConsume(broker.bootstrap, 'kcat-g', topic)
    assert.deepEqual(run2.map((r) => r.value).sort(), [...more].sort())
    assert.ok(run2.every((r) => r.offset >= 10))
    assert.deepEqual(await committedOffsets(broker.bootstrap, 'kcat-g', topic), [12, 12, 12])
  })

  it('@platformatic/kafka Consumer with a groupId consumes everything and commits', async () => {
    const { Consumer, stringDeserializers } = await import('@platformatic/kafka')
    const topic = 'platformatic-group'
    await createTopic(broker.bootstrap, topic, PARTITIONS)
    const produced = await produceNumbered(broker.bootstrap, topic, 0, COUNT)

    const consumeAll = async (expected: number) => {
      const consumer = new Consumer({
        groupId: 'platformatic-g',
        clientId: 'platformatic-consumer',
        bootstrapBrokers: [broker.bootstrap],
        deserializers: stringDeserializers,
        sessionTimeout: 6000,
        heartbeatInterval: 500,
        rebalanceTimeout: 10_000
      })
      const values: string[] = []
      let committed = 0
      try {
        const stream = await consumer.consume({
          topics: [topic],
          mode: 'committed',
          fallbackMode: 'earliest',
          autocommit: false,
          maxWaitTime: 200
        })
        await new Promise<void>((resolve, reject) => {
          const timer = setTimeout(
            () => reject(new Error(`consumed ${values.length} of ${expected}`)),
            20_000
          )
          stream.on('error', reject)
          stream.on('data', (message) => {
            values.push(message.value)
            void Promise.resolve(message.commit()).then(() => {
              // Done once every commit is acknowledged, so the offsets checked next are final.
              if (++committed >= expected) {
                clearTimeout(timer)
                resolve()
              }
            }, reject)
          })
        })
        await stream.close()
      } finally {
        await consumer.close(true)
      }
      return values
    }

    assert.deepEqual((await consumeAll(COUNT)).sort(), [...produced].sort())
    assert.deepEqual(await committedOffsets(broker.bootstrap, 'platformatic-g', topic), [10, 10, 10])
    const more = await produceNumbered(broker.bootstrap, topic, COUNT, 3)
    assert.deepEqual((await consumeAll(3)).sort(), [...more].sort())
    assert.deepEqual(await committedOffsets(broker.bootstrap, 'platformatic-g', topic), [11, 11, 11])
  })
})
