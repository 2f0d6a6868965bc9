/**
 * kafkajs 2.2.4 against a real broker process. kafkajs only consumes through consumer groups, which this
 * broker does not serve yet, so what it produces is read back with kcat and checked byte for byte.
 */

import assert from 'node:assert/strict'
import { createRequire } from 'node:module'
import { after, before, describe, it } from 'node:test'
import type { Admin, Kafka as KafkaClient, Producer } from 'kafkajs'
import { BrokerProcess } from '../helpers/broker-process.js'
import { registerKafkajsCodecs } from './support/kafkajs-codecs.js'
import { kcatConsume } from './support/kcat.js'
import { sampleRecords, show } from './support/sample-records.js'

const require = createRequire(import.meta.url)
const { Kafka, CompressionTypes, logLevel } = require('kafkajs') as typeof import('kafkajs')

const CODECS = {
  none: CompressionTypes.None,
  gzip: CompressionTypes.GZIP,
  snappy: CompressionTypes.Snappy,
  lz4: CompressionTypes.LZ4,
  zstd: CompressionTypes.ZSTD
} as const

describe('kafkajs end to end', () => {
  let broker: BrokerProcess
  let kafka: KafkaClient
  let producer: Producer
  let admin: Admin
  before(async () => {
    registerKafkajsCodecs()
    broker = await BrokerProcess.start({ overrides: ['num.partitions=2'] })
    kafka = new Kafka({
      clientId: 'e2e-kafkajs',
      brokers: [broker.bootstrap],
      logLevel: logLevel.NOTHING,
      retry: { retries: 3 }
    })
    producer = kafka.producer({ allowAutoTopicCreation: true })
    admin = kafka.admin()
    await producer.connect()
    await admin.connect()
  })
  after(async () => {
    await producer?.disconnect()
    await admin?.disconnect()
    await broker?.stop()
  })

  for (const [codec, compression] of Object.entries(CODECS)) {
    it(`produces records with headers that come back byte-identical in order with compression ${codec}`, async () => {
      const topic = `kjs-${codec}`
      const records = sampleRecords(codec)
      const result = await producer.send({
        topic,
        compression,
        acks: -1,
        messages: records.map((r) => ({
          partition: 1,
          key: r.key,
          value: r.value,
          headers: { trace: 'abc', codec }
        }))
      })
      assert.deepEqual(
        result.map((r) => ({ partition: r.partition, errorCode: r.errorCode, baseOffset: r.baseOffset })),
        [{ partition: 1, errorCode: 0, baseOffset: '0' }]
      )
      const consumed = await kcatConsume(broker.bootstrap, topic, { partition: 1 })
      assert.deepEqual(consumed.map(show), records.map(show))
      for (const r of consumed) assert.equal(r.headers, `trace=abc,codec=${codec}`)
    })
  }

  for (const acks of [0, 1, -1]) {
    it(`produces with acks=${acks}`, async () => {
      const topic = `kjs-acks${acks}`
      const records = Array.from({ length: 30 }, (_, i) => ({
        key: Buffer.from(`k${i}`),
        value: Buffer.from(`acks ${acks} ${i}`)
      }))
      // Several sends, so an acks=0 request is followed by more on the same connection.
      for (let i = 0; i < records.length; i += 10) {
        await producer.send({
          topic,
          acks,
          messages: records.slice(i, i + 10).map((r) => ({ ...r, partition: 0 }))
        })
      }
      // acks=0 has no response to wait for: give the broker a bounded moment to append before reading.
      const deadline = Date.now() + 5000
      let consumed = await kcatConsume(broker.bootstrap, topic, { partition: 0 })
      while (consumed.length < records.length && Date.now() < deadline) {
        consumed = await kcatConsume(broker.bootstrap, topic, { partition: 0 })
      }
      assert.deepEqual(consumed.map(show), records.map(show))
    })
  }

  it('answers earliest, latest and by-timestamp offsets (admin.fetchTopicOffsets, fetchTopicOffsetsByTimestamp)', async () => {
    const topic = 'kjs-times'
    const base = Date.now() - 120_000
    const deltas = [0, 100, 200, 300, 400, 500]
    await producer.send({
      topic,
      messages: deltas.map((d, i) => ({ partition: 0, value: `t${i}`, timestamp: String(base + d) }))
    })
    await producer.send({
      topic,
      messages: [{ partition: 1, value: 'other', timestamp: String(base + 1000) }]
    })
    const offsets = await admin.fetchTopicOffsets(topic)
    assert.deepEqual(
      offsets
        .map((o) => ({ partition: o.partition, low: o.low, high: o.high, offset: o.offset }))
        .sort((a, b) => a.partition - b.partition),
      [
        { partition: 0, low: '0', high: '6', offset: '6' },
        { partition: 1, low: '0', high: '1', offset: '1' }
      ]
    )
    const at = async (ts: number) =>
      (await admin.fetchTopicOffsetsByTimestamp(topic, ts))
        .sort((a, b) => a.partition - b.partition)
        .map((o) => o.offset)
    assert.deepEqual(await at(base - 1), ['0', '0'])
    assert.deepEqual(await at(base + 250), ['3', '0'])
    assert.deepEqual(await at(base + 500), ['5', '0'])
    // Past the last timestamp Kafka answers -1 and kafkajs substitutes the latest offset.
    assert.deepEqual(await at(base + 700), ['6', '0'])
    assert.deepEqual(await at(base + 2000), ['6', '1'])
    const consumed = await kcatConsume(broker.bootstrap, topic, { partition: 0 })
    assert.deepEqual(
      consumed.map((r) => r.timestamp),
      deltas.map((d) => BigInt(base + d))
    )
  })

  it('moves the earliest offset with admin.deleteTopicRecords', async () => {
    const topic = 'kjs-delete'
    await producer.send({
      topic,
      messages: Array.from({ length: 8 }, (_, i) => ({ partition: 0, value: `d${i}` }))
    })
    // The admin client finds leaders in its cached metadata only: load the new topic first.
    await admin.fetchTopicMetadata({ topics: [topic] })
    await admin.deleteTopicRecords({ topic, partitions: [{ partition: 0, offset: '3' }] })
    const offsets = await admin.fetchTopicOffsets(topic)
    assert.deepEqual(
      offsets.filter((o) => o.partition === 0).map((o) => [o.low, o.high]),
      [['3', '8']]
    )
    const consumed = await kcatConsume(broker.bootstrap, topic, { partition: 0 })
    assert.deepEqual(
      consumed.map((r) => [r.offset, r.value?.toString()]),
      [3, 4, 5, 6, 7].map((i) => [BigInt(i), `d${i}`])
    )
  })

  it('reads cluster metadata through the admin client', async () => {
    await producer.send({ topic: 'kjs-meta', messages: [{ value: 'x' }] })
    const cluster = await admin.describeCluster()
    assert.deepEqual(cluster.brokers, [{ nodeId: 1, host: '127.0.0.1', port: broker.port }])
    assert.equal(cluster.controller, 1)
    assert.ok(cluster.clusterId.length > 0)
    const { topics } = await admin.fetchTopicMetadata({ topics: ['kjs-meta'] })
    assert.equal(topics[0]?.name, 'kjs-meta')
    assert.deepEqual(
      topics[0]?.partitions
        .map((p) => ({ id: p.partitionId, leader: p.leader, isr: p.isr }))
        .sort((a, b) => a.id - b.id),
      [
        { id: 0, leader: 1, isr: [1] },
        { id: 1, leader: 1, isr: [1] }
      ]
    )
    assert.ok((await admin.listTopics()).includes('kjs-meta'))
  })
})
