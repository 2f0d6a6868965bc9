/**
 * python3-confluent-kafka (librdkafka 2.0.2) against a real broker process: per-record headers, null and
 * empty keys and values, every codec, assign-from-offset consumption without groups, offsets_for_times with
 * producer-set timestamps, acks 0/1/all and metadata.
 */

import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { BrokerProcess } from '../helpers/broker-process.js'
import { type PyRecord, pyConsume, pyMetadata, pyOffsets, pyProduce } from './support/confluent.js'
import { sampleRecords, show } from './support/sample-records.js'

const CODECS = ['none', 'gzip', 'snappy', 'lz4', 'zstd'] as const

const headerView = (h: [string, Buffer | null][] | null | undefined) =>
  (h ?? []).map(([k, v]) => [k, v === null ? null : v.toString('hex')])

function withHeaders(tag: string): PyRecord[] {
  const records: PyRecord[] = sampleRecords(tag).map((r, i) => ({
    ...r,
    partition: 0,
    headers:
      i % 2 === 0
        ? [
            ['trace', Buffer.from(`${tag}-${i}`)],
            ['dup', Buffer.from('1')],
            ['dup', Buffer.from('2')]
          ]
        : null
  }))
  // librdkafka can send what kcat cannot: an empty (not null) value and key, and a header with a null value.
  records.push({ key: Buffer.alloc(0), value: Buffer.alloc(0), partition: 0, headers: [['nothing', null]] })
  return records
}

describe('confluent-kafka (python) end to end', () => {
  let broker: BrokerProcess
  before(async () => {
    broker = await BrokerProcess.start({ overrides: ['num.partitions=2'] })
  })
  after(async () => {
    await broker?.stop()
  })

  for (const codec of CODECS) {
    it(`produces and consumes records with headers byte-identical in order with compression ${codec}`, async () => {
      const topic = `py-${codec}`
      const records = withHeaders(codec)
      const { reports, unflushed } = await pyProduce(broker.bootstrap, topic, records, {
        'compression.codec': codec,
        'linger.ms': 20
      })
      assert.equal(unflushed, 0)
      assert.deepEqual(
        reports.map((r) => r.error),
        records.map(() => null)
      )
      assert.deepEqual(
        reports.map((r) => r.offset),
        records.map((_, i) => i)
      )
      const { records: consumed, error } = await pyConsume(broker.bootstrap, topic)
      assert.equal(error, undefined)
      assert.deepEqual(consumed.map(show), records.map(show))
      assert.deepEqual(
        consumed.map((r) => headerView(r.headers)),
        records.map((r) => headerView(r.headers))
      )
    })
  }

  it('re-reads from an arbitrary offset with assign (no group)', async () => {
    const topic = 'py-reread'
    const records: PyRecord[] = Array.from({ length: 25 }, (_, i) => ({
      key: Buffer.from(`k${i}`),
      value: Buffer.from(`v${i}`),
      partition: 1
    }))
    await pyProduce(broker.bootstrap, topic, records.slice(0, 12), { 'compression.codec': 'lz4' })
    await pyProduce(broker.bootstrap, topic, records.slice(12), { 'compression.codec': 'zstd' })
    for (const offset of [0, 7, 12, 18, 24]) {
      const { records: got } = await pyConsume(broker.bootstrap, topic, { partition: 1, offset })
      assert.deepEqual(got.map(show), records.slice(offset).map(show), `from offset ${offset}`)
      assert.deepEqual(
        got.map((r) => r.offset),
        records.slice(offset).map((_, i) => offset + i)
      )
    }
    const { records: atEnd } = await pyConsume(broker.bootstrap, topic, { partition: 1, offset: 25 })
    assert.deepEqual(atEnd, [])
  })

  it('answers offsets_for_times and the watermarks for producer-set timestamps', async () => {
    const topic = 'py-times'
    const base = Date.now() - 60_000
    // Timestamps are not monotonic: offsets_for_times answers the first offset whose timestamp is >= the target.
    const stamps = [0, 10, 20, 15, 30, 40, 40, 50].map((d) => base + d)
    const records: PyRecord[] = stamps.map((t, i) => ({
      key: null,
      value: Buffer.from(`t${i}`),
      timestamp: t,
      partition: 0
    }))
    const { reports } = await pyProduce(broker.bootstrap, topic, records)
    assert.ok(reports.every((r) => r.error === null))
    const { records: consumed } = await pyConsume(broker.bootstrap, topic)
    assert.deepEqual(
      consumed.map((r) => r.timestamp),
      stamps
    )
    const targets = [base - 1, base, base + 5, base + 15, base + 16, base + 40, base + 50, base + 51]
    const { offsetsForTimes, low, high } = await pyOffsets(broker.bootstrap, topic, 0, targets)
    assert.deepEqual(offsetsForTimes, [0, 0, 1, 2, 2, 5, 7, -1])
    assert.equal(low, 0)
    assert.equal(high, 8)
  })

  for (const acks of ['0', '1', 'all'] as const) {
    it(`produces with acks=${acks}`, async () => {
      const topic = `py-acks-${acks}`
      const records: PyRecord[] = Array.from({ length: 40 }, (_, i) => ({
        key: Buffer.from(`k${i}`),
        value: Buffer.from(`acks ${acks} ${i}`),
        partition: 0
      }))
      const { reports } = await pyProduce(broker.bootstrap, topic, records, { acks })
      assert.ok(reports.every((r) => r.error === null))
      if (acks !== '0') {
        // acks=0 has no response to carry an offset; librdkafka reports -1 (OFFSET_INVALID) then.
        assert.deepEqual(
          reports.map((r) => r.offset),
          records.map((_, i) => i)
        )
      }
      const { records: consumed } = await pyConsume(broker.bootstrap, topic)
      assert.deepEqual(consumed.map(show), records.map(show))
    })
  }

  it('lists the broker and topics in metadata', async () => {
    await pyProduce(broker.bootstrap, 'py-meta', [{ key: null, value: Buffer.from('x') }])
    const md = await pyMetadata(broker.bootstrap)
    assert.deepEqual(md.brokers, [{ id: 1, host: '127.0.0.1', port: broker.port }])
    assert.deepEqual(md.topics['py-meta'], { error: null, partitions: [0, 1] })
  })
})
