/**
 * kcat (librdkafka 2.0.2) against a real broker process: produce and consume byte-identical records with
 * every compression codec, re-read from arbitrary offsets, offsets by timestamp, acks 0/1/all, metadata.
 */

import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { setTimeout as sleep } from 'node:timers/promises'
import { BrokerProcess } from '../helpers/broker-process.js'
import { kcatConsume, kcatMetadata, kcatProduce, kcatQueryOffset } from './support/kcat.js'
import { sampleRecords, show } from './support/sample-records.js'

const CODECS = ['none', 'gzip', 'snappy', 'lz4', 'zstd'] as const

describe('kcat end to end', () => {
  let broker: BrokerProcess
  before(async () => {
    broker = await BrokerProcess.start({ overrides: ['num.partitions=3'] })
  })
  after(async () => {
    await broker?.stop()
  })

  for (const codec of CODECS) {
    it(`produces and consumes records byte-identical in order with compression ${codec}`, async () => {
      const topic = `kcat-${codec}`
      const records = sampleRecords(codec)
      await kcatProduce(broker.bootstrap, topic, records, {
        compression: codec,
        partition: 1,
        headers: ['trace=abc', 'codec=' + codec]
      })
      const consumed = await kcatConsume(broker.bootstrap, topic, { partition: 1 })
      assert.deepEqual(consumed.map(show), records.map(show))
      assert.deepEqual(
        consumed.map((r) => r.offset),
        records.map((_, i) => BigInt(i))
      )
      for (const r of consumed) {
        assert.equal(r.partition, 1)
        assert.equal(r.headers, `trace=abc,codec=${codec}`)
      }
    })
  }

  it('re-reads a partition from an absolute offset and from the end (-o N, -o -N)', async () => {
    const topic = 'kcat-reread'
    const records = Array.from({ length: 20 }, (_, i) => ({
      key: Buffer.from(`k${i}`),
      value: Buffer.from(`v${i}`)
    }))
    await kcatProduce(broker.bootstrap, topic, records.slice(0, 10), { partition: 0 })
    await kcatProduce(broker.bootstrap, topic, records.slice(10), { partition: 0, compression: 'gzip' })
    // Offset 13 lies inside the second (compressed) batch: the consumer must skip the records before it.
    const fromThirteen = await kcatConsume(broker.bootstrap, topic, { partition: 0, offset: '13' })
    assert.deepEqual(fromThirteen.map(show), records.slice(13).map(show))
    assert.equal(fromThirteen[0]?.offset, 13n)
    const lastFive = await kcatConsume(broker.bootstrap, topic, { partition: 0, offset: '-5' })
    assert.deepEqual(lastFive.map(show), records.slice(15).map(show))
    const three = await kcatConsume(broker.bootstrap, topic, { partition: 0, offset: '4', count: 3 })
    assert.deepEqual(
      three.map((r) => r.offset),
      [4n, 5n, 6n]
    )
  })

  it('spreads keyed records over partitions and reads every one back', async () => {
    const topic = 'kcat-partitions'
    const records = Array.from({ length: 30 }, (_, i) => ({
      key: Buffer.from(`key-${i % 7}`),
      value: Buffer.from(`v${i}`)
    }))
    await kcatProduce(broker.bootstrap, topic, records)
    const consumed = await kcatConsume(broker.bootstrap, topic)
    assert.equal(consumed.length, records.length)
    const partitionOfKey = new Map<string, number>()
    for (const r of consumed) {
      const key = r.key?.toString() ?? ''
      assert.equal(partitionOfKey.get(key) ?? r.partition, r.partition, `key ${key} on one partition`)
      partitionOfKey.set(key, r.partition)
    }
    assert.ok(new Set(partitionOfKey.values()).size > 1, 'keys land on more than one partition')
    // Per partition, records keep their produce order.
    for (const p of [0, 1, 2]) {
      const values = consumed
        .filter((r) => r.partition === p)
        .map((r) => Number(r.value?.toString().slice(1)))
      assert.deepEqual(
        values,
        [...values].sort((a, b) => a - b)
      )
    }
  })

  it('answers offsets by timestamp, earliest and latest (kcat -Q)', async () => {
    const topic = 'kcat-times'
    const first = Array.from({ length: 5 }, (_, i) => ({ key: null, value: Buffer.from(`a${i}`) }))
    const second = Array.from({ length: 4 }, (_, i) => ({ key: null, value: Buffer.from(`b${i}`) }))
    await kcatProduce(broker.bootstrap, topic, first, { partition: 0 })
    await sleep(30) // the second run gets strictly later create times
    await kcatProduce(broker.bootstrap, topic, second, { partition: 0 })
    const consumed = await kcatConsume(broker.bootstrap, topic, { partition: 0 })
    assert.equal(consumed.length, 9)
    const secondTs = consumed[5]!.timestamp
    assert.ok(secondTs > consumed[4]!.timestamp)
    assert.equal(await kcatQueryOffset(broker.bootstrap, topic, 0, secondTs), 5n)
    assert.equal(await kcatQueryOffset(broker.bootstrap, topic, 0, consumed[0]!.timestamp), 0n)
    assert.equal(await kcatQueryOffset(broker.bootstrap, topic, 0, 0), 0n)
    assert.equal(await kcatQueryOffset(broker.bootstrap, topic, 0, -2), 0n)
    assert.equal(await kcatQueryOffset(broker.bootstrap, topic, 0, -1), 9n)
    // Past the newest record there is no offset: Kafka answers -1.
    assert.equal(await kcatQueryOffset(broker.bootstrap, topic, 0, secondTs + 3_600_000n), -1n)
    // Consuming from a timestamp (-o s@ts) starts at that offset.
    const fromTs = await kcatConsume(broker.bootstrap, topic, { partition: 0, offset: `s@${secondTs}` })
    assert.deepEqual(
      fromTs.map((r) => r.value?.toString()),
      ['b0', 'b1', 'b2', 'b3']
    )
  })

  for (const acks of ['0', '1', 'all'] as const) {
    it(`produces with acks=${acks}`, async () => {
      const topic = `kcat-acks-${acks}`
      const records = Array.from({ length: 50 }, (_, i) => ({
        key: Buffer.from(`k${i}`),
        value: Buffer.from(`acks ${acks} ${i}`)
      }))
      await kcatProduce(broker.bootstrap, topic, records, { partition: 2, config: [`acks=${acks}`] })
      const consumed = await kcatConsume(broker.bootstrap, topic, { partition: 2 })
      assert.deepEqual(consumed.map(show), records.map(show))
    })
  }

  it('lists the broker and its topics (kcat -L)', async () => {
    await kcatProduce(broker.bootstrap, 'kcat-meta', [{ key: null, value: Buffer.from('x') }], {
      partition: 0
    })
    const all = await kcatMetadata(broker.bootstrap)
    assert.match(all, new RegExp(`broker 1 at 127\\.0\\.0\\.1:${broker.port}`))
    assert.match(all, /topic "kcat-meta" with 3 partitions:/)
    for (const p of [0, 1, 2]) assert.match(all, new RegExp(`partition ${p}, leader 1, replicas: 1, isrs: 1`))
    const one = await kcatMetadata(broker.bootstrap, 'kcat-meta')
    assert.match(one, / 1 topics:/)
    assert.doesNotMatch(one, /kcat-none/)
  })
})
