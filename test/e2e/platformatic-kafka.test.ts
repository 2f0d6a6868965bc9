/**
 * @platformatic/kafka 1.x against a real broker process. It speaks only modern versions: Metadata v12 with
 * topic ids, Produce v9+, Fetch v13+ addressed by topic id, ListOffsets v5+. It consumes here through its
 * low-level Consumer.fetch (no group membership), and records are compared byte for byte.
 */

import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import * as zlib from 'node:zlib'
import { Consumer, Producer } from '@platformatic/kafka'
import { BrokerProcess } from '../helpers/broker-process.js'
import { kcatConsume, kcatProduce } from './support/kcat.js'
import { type SampleRecord, sampleRecords, show } from './support/sample-records.js'

// @platformatic/kafka's zstd uses node:zlib's zstd, which Node 20 does not have.
const CODECS = [
  'none',
  'gzip',
  'snappy',
  'lz4',
  ...('zstdCompressSync' in zlib ? ['zstd' as const] : [])
] as const

type FetchResponse = Awaited<ReturnType<Consumer['fetch']>>

interface FetchedRecord extends SampleRecord {
  offset: bigint
  timestamp: bigint
  headers: [string, string][]
}

describe('@platformatic/kafka end to end', () => {
  let broker: BrokerProcess
  let producer: Producer
  let consumer: Consumer
  before(async () => {
    broker = await BrokerProcess.start({ overrides: ['num.partitions=2'] })
    const common = {
      clientId: 'e2e-platformatic',
      bootstrapBrokers: [broker.bootstrap],
      retries: 3,
      retryDelay: 100
    }
    producer = new Producer({ ...common, autocreateTopics: true })
    // The group id is required by the constructor only; nothing here joins a group.
    consumer = new Consumer({ ...common, groupId: 'unused-no-group-apis' })
  })
  after(async () => {
    await producer?.close()
    await consumer?.close(true)
    await broker?.stop()
  })

  /** Fetches one partition from `offset` up to the high watermark, batch after batch. */
  async function fetchAll(topic: string, partition: number, offset = 0n): Promise<FetchedRecord[]> {
    const md = await consumer.metadata({ topics: [topic], forceUpdate: true })
    const topicId = md.topics.get(topic)?.id
    assert.ok(topicId, `metadata names ${topic} with a topic id`)
    const out: FetchedRecord[] = []
    let next = offset
    for (let round = 0; round < 50; round++) {
      const response: FetchResponse = await consumer.fetch({
        node: 1,
        maxWaitTime: 100,
        topics: [
          {
            topicId,
            partitions: [
              {
                partition,
                fetchOffset: next,
                currentLeaderEpoch: -1,
                lastFetchedEpoch: -1,
                partitionMaxBytes: 1 << 20
              }
            ]
          }
        ]
      })
      const p = response.responses[0]?.partitions[0]
      assert.ok(p, 'a fetch response for the partition')
      assert.equal(p.errorCode, 0)
      for (const batch of p.records ?? []) {
        for (const r of batch.records) {
          const o = batch.firstOffset + BigInt(r.offsetDelta)
          if (o < next) continue
          out.push({
            offset: o,
            timestamp: batch.firstTimestamp + r.timestampDelta,
            key: r.key,
            value: r.value,
            headers: r.headers.map(([k, v]) => [k?.toString() ?? '', v?.toString() ?? ''])
          })
        }
      }
      const last = out.at(-1)
      if (last) next = last.offset + 1n
      if (next >= p.highWatermark) return out
    }
    throw new Error(`did not reach the high watermark of ${topic}-${partition}`)
  }

  it('reads metadata v12 with the broker, the controller and topic ids', async () => {
    await kcatProduce(broker.bootstrap, 'pk-meta', [{ key: null, value: Buffer.from('x') }], { partition: 0 })
    const md = await consumer.metadata({ topics: ['pk-meta'], forceUpdate: true })
    assert.deepEqual(
      [...md.brokers.entries()].map(([id, b]) => [id, b.host, b.port]),
      [[1, '127.0.0.1', broker.port]]
    )
    assert.equal(md.controllerId, 1)
    const topic = md.topics.get('pk-meta')
    assert.ok(topic)
    // The client shows topic ids in UUID form.
    assert.match(topic.id, /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/)
    assert.notEqual(topic.id, '00000000-0000-0000-0000-000000000000')
    assert.equal(topic.partitionsCount, 2)
    assert.deepEqual(
      topic.partitions.map((p) => ({ leader: p.leader, replicas: p.replicas, isr: p.isr })),
      [
        { leader: 1, replicas: [1], isr: [1] },
        { leader: 1, replicas: [1], isr: [1] }
      ]
    )
  })

  for (const codec of CODECS) {
    it(`produces and fetches by topic id byte-identical records with compression ${codec}`, async () => {
      const topic = `pk-${codec}`
      const records = sampleRecords(codec)
      const result = await producer.send({
        acks: -1,
        compression: codec,
        messages: records.map((r) => ({
          topic,
          partition: 1,
          key: r.key ?? undefined,
          value: r.value ?? undefined,
          // Without header serializers, header keys must be Buffers too.
          headers: new Map([
            [Buffer.from('trace'), Buffer.from('abc')],
            [Buffer.from('codec'), Buffer.from(codec)]
          ])
        }))
      })
      assert.deepEqual(result.offsets, [{ topic, partition: 1, offset: 0n }])
      const fetched = await fetchAll(topic, 1)
      assert.deepEqual(fetched.map(show), records.map(show))
      assert.deepEqual(
        fetched.map((r) => r.offset),
        records.map((_, i) => BigInt(i))
      )
      for (const r of fetched)
        assert.deepEqual(r.headers, [
          ['trace', 'abc'],
          ['codec', codec]
        ])
      // And another client reads the same bytes.
      const viaKcat = await kcatConsume(broker.bootstrap, topic, { partition: 1 })
      assert.deepEqual(viaKcat.map(show), records.map(show))
    })
  }

  it('fetches from an arbitrary offset inside a compressed batch written by librdkafka', async () => {
    const topic = 'pk-reread'
    const records = Array.from({ length: 30 }, (_, i) => ({
      key: Buffer.from(`k${i}`),
      value: Buffer.from(`v${i}`)
    }))
    await kcatProduce(broker.bootstrap, topic, records.slice(0, 15), { partition: 0, compression: 'lz4' })
    await kcatProduce(broker.bootstrap, topic, records.slice(15), { partition: 0, compression: 'snappy' })
    for (const from of [0, 9, 15, 29]) {
      const got = await fetchAll(topic, 0, BigInt(from))
      assert.deepEqual(got.map(show), records.slice(from).map(show), `from ${from}`)
    }
  })

  for (const acks of [0, 1, -1]) {
    it(`produces with acks=${acks}`, async () => {
      const topic = `pk-acks${acks}`
      const records = Array.from({ length: 20 }, (_, i) => ({
        key: Buffer.from(`k${i}`),
        value: Buffer.from(`acks ${acks} ${i}`)
      }))
      for (let i = 0; i < records.length; i += 5) {
        await producer.send({
          acks,
          messages: records.slice(i, i + 5).map((r) => ({ topic, partition: 0, ...r }))
        })
      }
      const deadline = Date.now() + 5000
      let got = await kcatConsume(broker.bootstrap, topic, { partition: 0 })
      while (got.length < records.length && Date.now() < deadline)
        got = await kcatConsume(broker.bootstrap, topic, { partition: 0 })
      assert.deepEqual(got.map(show), records.map(show))
    })
  }

  it('lists earliest, latest and by-timestamp offsets', async () => {
    const topic = 'pk-times'
    const base = BigInt(Date.now() - 60_000)
    await producer.send({
      messages: [0n, 10n, 20n, 30n].map((d, i) => ({
        topic,
        partition: 0,
        value: Buffer.from(`t${i}`),
        timestamp: base + d
      }))
    })
    const latest = await consumer.listOffsets({ topics: [topic], partitions: { [topic]: [0] } })
    // Answers are arrays indexed by partition.
    assert.equal(latest.get(topic)?.[0], 4n)
    const earliest = await consumer.listOffsets({
      topics: [topic],
      partitions: { [topic]: [0] },
      timestamp: -2n
    })
    assert.equal(earliest.get(topic)?.[0], 0n)
    const byTime = await consumer.listOffsetsWithTimestamps({
      topics: [topic],
      partitions: { [topic]: [0] },
      timestamp: base + 15n
    })
    assert.deepEqual(byTime.get(topic)?.get(0), { offset: 2n, timestamp: base + 20n })
    const fetched = await fetchAll(topic, 0)
    assert.deepEqual(
      fetched.map((r) => r.timestamp),
      [0n, 10n, 20n, 30n].map((d) => base + d)
    )
  })
})
