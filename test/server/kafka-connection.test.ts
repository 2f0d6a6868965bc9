/**
 * The hot path's buffer reuse against a real broker: large produce requests are assembled in pooled frame
 * buffers that are recycled as soon as each request is answered, and large fetch reads land in pooled
 * buffers released once the response is on the socket. Pipelined producers and a consumer must still see
 * every record byte for byte, which fails if any buffer were reused while something still read it.
 */

import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { Kafka, logLevel } from 'kafkajs'
import { kcatConsume } from '../e2e/support/kcat.js'
import { BrokerProcess } from '../helpers/broker-process.js'

const PARTITIONS = 2
const MESSAGES = 48
const VALUE_BYTES = 90_000

/** A value no other message shares at any position: its index and partition spelled out and repeated. */
function valueFor(i: number): Buffer {
  const unit = Buffer.from(`<message ${i} of ${MESSAGES}>`)
  const out = Buffer.alloc(VALUE_BYTES)
  for (let pos = 0; pos < VALUE_BYTES; pos += unit.length) unit.copy(out, pos)
  return out
}

describe('KafkaConnection buffer reuse end to end', () => {
  let broker: BrokerProcess

  before(async () => {
    broker = await BrokerProcess.start()
  })
  after(async () => {
    await broker.stop()
  })

  it('keeps pipelined large produce requests and large fetches byte-identical', async () => {
    const topic = 'pooled-frames'
    const kafka = new Kafka({
      clientId: 'pool-test',
      brokers: [broker.bootstrap],
      logLevel: logLevel.NOTHING
    })
    const admin = kafka.admin()
    await admin.connect()
    await admin.createTopics({ topics: [{ topic, numPartitions: PARTITIONS }] })
    await admin.disconnect()
    const producer = kafka.producer({ allowAutoTopicCreation: false })
    await producer.connect()
    try {
      // Every send is its own request (each > 64 KiB, so pooled), all in flight on one connection at once.
      const sends = []
      for (let i = 0; i < MESSAGES; i++) {
        sends.push(
          producer.send({
            topic,
            acks: i % 2 === 0 ? 1 : -1,
            messages: [{ key: String(i), value: valueFor(i), partition: i % PARTITIONS }]
          })
        )
      }
      const results = await Promise.all(sends)
      assert.equal(results.length, MESSAGES)
    } finally {
      await producer.disconnect()
    }

    for (let p = 0; p < PARTITIONS; p++) {
      const consumed = await kcatConsume(broker.bootstrap, topic, {
        partition: p,
        // Small fetches make consecutive reads start where the previous one ended.
        config: ['message.max.bytes=200000', 'fetch.max.bytes=200000', 'max.partition.fetch.bytes=200000']
      })
      assert.equal(consumed.length, MESSAGES / PARTITIONS)
      const seen = new Set<number>()
      for (const r of consumed) {
        const i = Number(r.key?.toString())
        assert.equal(i % PARTITIONS, p)
        assert.ok(r.value?.equals(valueFor(i)), `message ${i} comes back intact`)
        seen.add(i)
      }
      assert.equal(seen.size, MESSAGES / PARTITIONS)
    }
  })
})
