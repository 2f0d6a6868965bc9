/**
 * A transaction-aware log cleaner against a real broker process: on a compacted topic, kafkajs commits old
 * values, aborts a transaction that overwrites them, then commits a newer value for one key. Once the
 * background cleaner has run, read_committed and read_uncommitted readers (kcat, a fresh consumer each)
 * see only committed values: the newer one where there is one, else the old one, which the aborted record
 * must not shadow.
 */

import assert from 'node:assert/strict'
import { createRequire } from 'node:module'
import { after, before, describe, it } from 'node:test'
import { setTimeout as sleep } from 'node:timers/promises'
import type { Kafka as KafkaClient, Producer } from 'kafkajs'
import { BrokerProcess } from '../../helpers/broker-process.js'
import { type ConsumedRecord, kcatConsume } from '../support/kcat.js'
import { TXN_BROKER_OVERRIDES, waitForTxnCoordinator } from './txn-kit.js'

const require = createRequire(import.meta.url)
const { Kafka, logLevel } = require('kafkajs') as typeof import('kafkajs')

const TOPIC = 'compacted-txn'
const WAIT_MS = 30_000

/** key → value as a reader sees them, in offset order (the last value wins). */
function view(records: readonly ConsumedRecord[]): Record<string, string> {
  const out: Record<string, string> = {}
  for (const r of records) {
    const key = r.key?.toString() ?? '<none>'
    if (key.startsWith('filler')) continue
    out[key] = r.value?.toString() ?? '<null>'
  }
  return out
}

describe('log cleaning of a compacted topic with transactions', () => {
  let broker: BrokerProcess
  let kafka: KafkaClient
  let txnProducer: Producer
  let producer: Producer

  before(async () => {
    broker = await BrokerProcess.start({ overrides: [...TXN_BROKER_OVERRIDES, 'log.cleaner.backoff.ms=200'] })
    kafka = new Kafka({
      clientId: 'e2e-compacted-txn',
      brokers: [broker.bootstrap],
      logLevel: logLevel.NOTHING,
      retry: { retries: 8, initialRetryTime: 100, maxRetryTime: 1000 }
    })
    const admin = kafka.admin()
    await admin.connect()
    try {
      await admin.createTopics({
        waitForLeaders: true,
        topics: [
          {
            topic: TOPIC,
            numPartitions: 1,
            configEntries: [
              { name: 'cleanup.policy', value: 'compact' },
              { name: 'segment.bytes', value: '1024' },
              { name: 'min.cleanable.dirty.ratio', value: '0.01' }
            ]
          }
        ]
      })
    } finally {
      await admin.disconnect()
    }
    await waitForTxnCoordinator(broker.port, 'compacted-txn')
    txnProducer = kafka.producer({
      transactionalId: 'compacted-txn',
      idempotent: true,
      maxInFlightRequests: 1
    })
    producer = kafka.producer()
    await txnProducer.connect()
    await producer.connect()
  })

  after(async () => {
    await txnProducer?.disconnect().catch(() => undefined)
    await producer?.disconnect().catch(() => undefined)
    await broker?.stop()
  })

  it('aborted records are removed and never shadow committed ones', async () => {
    const send = async (messages: { key: string; value: string }[], commit: boolean) => {
      const txn = await txnProducer.transaction()
      await txn.send({ topic: TOPIC, acks: -1, messages })
      if (commit) await txn.commit()
      else await txn.abort()
    }
    await send(
      [
        { key: 'k1', value: 'old-1' },
        { key: 'k2', value: 'old-2' }
      ],
      true
    )
    await send(
      [
        { key: 'k1', value: 'aborted-1' },
        { key: 'k2', value: 'aborted-2' }
      ],
      false
    )
    await send([{ key: 'k1', value: 'new-1' }], true)
    // Non-transactional updates of other keys roll the segments, so the transactions leave the active one.
    for (let i = 0; i < 8; i++) {
      await producer.send({
        topic: TOPIC,
        acks: -1,
        messages: Array.from({ length: 4 }, (_, j) => ({ key: `filler-${j}`, value: 'x'.repeat(100) }))
      })
    }

    const expected = { k1: 'new-1', k2: 'old-2' }
    const uncommitted = { partition: 0, config: ['isolation.level=read_uncommitted'] }
    const committed = { partition: 0, config: ['isolation.level=read_committed'] }
    // The cleaner runs every 200 ms. Cleaned (old-1 is superseded), the aborted records are gone as well, so
    // even read_uncommitted sees committed values only.
    const deadline = Date.now() + WAIT_MS
    let seen: ConsumedRecord[] = []
    while (Date.now() < deadline) {
      seen = await kcatConsume(broker.bootstrap, TOPIC, uncommitted)
      const values = seen.map((r) => r.value?.toString())
      if (!values.includes('aborted-1') && !values.includes('aborted-2') && !values.includes('old-1')) break
      await sleep(300)
    }
    assert.deepEqual(
      seen
        .filter((r) => !r.key?.toString().startsWith('filler'))
        .map((r) => [r.key?.toString(), r.value?.toString()]),
      [
        ['k2', 'old-2'],
        ['k1', 'new-1']
      ],
      'a fresh read_uncommitted consumer after cleaning'
    )
    assert.deepEqual(view(await kcatConsume(broker.bootstrap, TOPIC, committed)), expected)
  })
})
