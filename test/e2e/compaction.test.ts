/**
 * Log compaction against a real broker process: kafkajs creates a cleanup.policy=compact topic with tiny
 * segments and produces many updates per key (and some tombstones); the background LogCleaner compacts it;
 * kcat reads it back from the beginning and sees the latest value of every key, with original offsets.
 */

import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { createRequire } from 'node:module'
import { after, before, describe, it } from 'node:test'
import { setTimeout as sleep } from 'node:timers/promises'
import type { Admin, Kafka as KafkaClient, Producer } from 'kafkajs'
import { BrokerProcess } from '../helpers/broker-process.js'
import { registerKafkajsCodecs } from './support/kafkajs-codecs.js'
import { type ConsumedRecord, kcatConsume } from './support/kcat.js'

const require = createRequire(import.meta.url)
const { Kafka, CompressionTypes, logLevel } = require('kafkajs') as typeof import('kafkajs')

const KEYS = 20
const ROUNDS = 30
const WAIT_MS = 20_000

interface Sent {
  key: string
  value: string | null
}

/** Polls kcat until `done` holds for what it reads, for at most WAIT_MS. */
async function consumeUntil(
  bootstrap: string,
  topic: string,
  done: (records: ConsumedRecord[]) => boolean
): Promise<ConsumedRecord[]> {
  const deadline = Date.now() + WAIT_MS
  let records = await kcatConsume(bootstrap, topic, { partition: 0 })
  while (!done(records) && Date.now() < deadline) {
    await sleep(300)
    records = await kcatConsume(bootstrap, topic, { partition: 0 })
  }
  return records
}

describe('log compaction end to end', () => {
  let broker: BrokerProcess
  let kafka: KafkaClient
  let producer: Producer
  let admin: Admin
  before(async () => {
    registerKafkajsCodecs()
    broker = await BrokerProcess.start({ overrides: ['log.cleaner.backoff.ms=200'] })
    kafka = new Kafka({
      clientId: 'e2e-compaction',
      brokers: [broker.bootstrap],
      logLevel: logLevel.NOTHING,
      retry: { retries: 3 }
    })
    producer = kafka.producer()
    admin = kafka.admin()
    await producer.connect()
    await admin.connect()
  })
  after(async () => {
    await producer?.disconnect()
    await admin?.disconnect()
    await broker?.stop()
  })

  for (const [codec, compression] of [
    ['none', CompressionTypes.None],
    ['gzip', CompressionTypes.GZIP]
  ] as const) {
    it(`keeps one record per key and drops expired tombstones (${codec})`, async () => {
      const topic = `compacted-${codec}`
      await admin.createTopics({
        waitForLeaders: true,
        topics: [
          {
            topic,
            numPartitions: 1,
            configEntries: [
              { name: 'cleanup.policy', value: 'compact' },
              { name: 'segment.bytes', value: '2048' },
              { name: 'delete.retention.ms', value: '0' }
            ]
          }
        ]
      })
      const sent: Sent[] = []
      for (let round = 0; round < ROUNDS; round++) {
        const messages = Array.from({ length: KEYS }, (_, k) => ({
          key: `key-${k}`,
          value: `value-${k}-${round}`
        }))
        await producer.send({ topic, compression, acks: -1, messages })
        sent.push(...messages)
      }
      // Tombstones for the first five keys, then more updates so they leave the active segment.
      const tombstones = Array.from({ length: 5 }, (_, k) => ({ key: `key-${k}`, value: null }))
      await producer.send({ topic, compression, acks: -1, messages: tombstones })
      sent.push(...tombstones)
      for (let round = 0; round < 3; round++) {
        const messages = Array.from({ length: KEYS - 5 }, (_, k) => ({
          key: `key-${k + 5}`,
          // Padded with incompressible bytes so each of these sends fills a segment on its own.
          value: `final-${k + 5}-${round}-${randomBytes(64).toString('base64')}`
        }))
        await producer.send({ topic, compression, acks: -1, messages })
        sent.push(...messages)
      }

      const latest = new Map<string, { offset: number; value: string | null }>()
      for (const [offset, s] of sent.entries()) latest.set(s.key, { offset, value: s.value })
      // Only the last send sits in the active segment, which the cleaner never touches: below it exactly the
      // latest record of each key must remain (its successors in the active segment cannot count yet).
      const tailStart = sent.length - (KEYS - 5)
      const latestBelowTail = new Map<string, { offset: number; value: string | null }>()
      for (const [offset, s] of sent.slice(0, tailStart).entries()) {
        latestBelowTail.set(s.key, { offset, value: s.value })
      }
      const compacted = (records: ConsumedRecord[]) => {
        const head = records.filter((r) => Number(r.offset) < tailStart)
        if (head.length !== KEYS - 5) return false
        return head.every((r) => {
          const want = latestBelowTail.get(r.key!.toString())
          return want !== undefined && want.offset === Number(r.offset) && want.value !== null
        })
      }
      const records = await consumeUntil(broker.bootstrap, topic, compacted)
      assert.ok(
        compacted(records),
        `not compacted within ${WAIT_MS} ms: ${records.length} records of ${sent.length}`
      )

      // Offsets are the original ones, in order, and each survivor is exactly what was produced there.
      const offsets = records.map((r) => Number(r.offset))
      assert.deepEqual(
        offsets,
        [...offsets].sort((a, b) => a - b)
      )
      for (const r of records) {
        const s = sent[Number(r.offset)]!
        assert.equal(r.key?.toString(), s.key)
        assert.equal(r.value?.toString() ?? null, s.value)
      }
      // Every live key's latest value is there; the deleted keys are gone entirely.
      const seen = new Map(records.map((r) => [r.key!.toString(), r.value?.toString() ?? null]))
      for (const [key, want] of latest) {
        if (want.value === null) assert.equal(seen.has(key), false, `${key} was deleted`)
        else assert.equal(seen.get(key), want.value, key)
      }
      assert.equal(offsets.at(-1), sent.length - 1, 'the newest record is still there')
      assert.equal(
        records.length,
        2 * (KEYS - 5),
        'one per live key below the active segment, plus the active segment'
      )
    })
  }
})
