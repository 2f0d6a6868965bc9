/**
 * What the broker checks inside records on produce, against a real broker process: a compacted topic
 * refuses records without a key (INVALID_RECORD with record errors, compressed batches too, as Kafka's
 * LogValidator), and a compressed batch that would inflate past the decompression bound (a "zip bomb")
 * is refused without the broker stalling or failing: it keeps serving the same connection and others.
 */

import assert from 'node:assert/strict'
import { createRequire } from 'node:module'
import { after, before, describe, it } from 'node:test'
import type { Kafka as KafkaClient, Producer } from 'kafkajs'
import { ErrorCode } from '../../src/protocol/error-codes.js'
import type { CreateTopicsResponse } from '../../src/protocol/messages/create-topics.js'
import { MAX_DECOMPRESSED_BATCH_BYTES } from '../../src/protocol/records/compression-limits.js'
import { CompressionType } from '../../src/protocol/records/compression-type.js'
import { createRecordBatch, encodeRecordBatch } from '../../src/protocol/records/record-batch.js'
import { BrokerProcess } from '../helpers/broker-process.js'
import { kcatConsume } from './support/kcat.js'
import { rawProduce, rawRequest } from './support/raw-requests.js'

const require = createRequire(import.meta.url)
const { Kafka, CompressionTypes, logLevel } = require('kafkajs') as typeof import('kafkajs')

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

async function createTopic(port: number, name: string, policy: 'compact' | 'delete'): Promise<void> {
  const response = await rawRequest<CreateTopicsResponse>(port, 19, 7, {
    topics: [
      {
        name,
        numPartitions: 1,
        replicationFactor: 1,
        assignments: [],
        configs: [{ name: 'cleanup.policy', value: policy }]
      }
    ],
    timeoutMs: 5000,
    validateOnly: false
  })
  assert.equal(response.topics[0]?.errorCode, ErrorCode.NONE, JSON.stringify(response.topics[0]))
}

/** A batch of records with the given keys (null: no key), values `v<i>`. */
function batch(keys: readonly (string | null)[], compression: CompressionType = CompressionType.NONE) {
  return encodeRecordBatch(
    createRecordBatch({
      baseTimestamp: BigInt(Date.now()),
      compression,
      records: keys.map((k, i) => ({
        attributes: 0,
        timestampDelta: 0n,
        offsetDelta: i,
        key: k === null ? null : Buffer.from(k),
        value: Buffer.from(`v${i}`),
        headers: []
      }))
    })
  )
}

describe('produce validation inside records', () => {
  let broker: BrokerProcess
  let kafka: KafkaClient
  let producer: Producer
  before(async () => {
    broker = await BrokerProcess.start()
    await createTopic(broker.port, 'compacted', 'compact')
    await createTopic(broker.port, 'plain', 'delete')
    kafka = new Kafka({
      clientId: 'e2e-produce-validation',
      brokers: [broker.bootstrap],
      logLevel: logLevel.NOTHING,
      retry: { retries: 2 }
    })
    producer = kafka.producer()
    await producer.connect()
  })
  after(async () => {
    await producer?.disconnect()
    await broker?.stop()
  })

  for (const [codec, compression] of [
    ['none', CompressionTypes.None],
    ['gzip', CompressionTypes.GZIP]
  ] as const) {
    it(`kafkajs: a keyless record to a compacted topic fails with INVALID_RECORD (${codec})`, async () => {
      await assert.rejects(
        producer.send({
          topic: 'compacted',
          compression,
          messages: [{ key: 'a', value: 'keyed' }, { value: 'no key' }]
        }),
        (err) => {
          assert.ok(kafkajsErrorTypes(err).includes('INVALID_RECORD'), String(err))
          return true
        }
      )
      const ok = await producer.send({
        topic: 'compacted',
        compression,
        messages: [{ key: 'a', value: 'v' }]
      })
      assert.equal(ok[0]?.errorCode, 0)
      const plain = await producer.send({ topic: 'plain', compression, messages: [{ value: 'no key' }] })
      assert.equal(plain[0]?.errorCode, 0, 'topics that are not compacted take keyless records')
    })
  }

  for (const compression of [CompressionType.NONE, CompressionType.ZSTD, CompressionType.LZ4]) {
    it(`raw produce: record errors name every keyless record of the batch (codec ${compression})`, async () => {
      const before = await kcatConsume(broker.bootstrap, 'compacted', { partition: 0 })
      const p = await rawProduce(
        broker.port,
        'compacted',
        0,
        await batch(['a', null, 'b', null], compression)
      )
      assert.equal(p.errorCode, ErrorCode.INVALID_RECORD)
      assert.deepEqual(
        (p.recordErrors ?? []).map((e) => e.batchIndex),
        [1, 3]
      )
      for (const e of p.recordErrors ?? []) {
        assert.match(e.batchIndexErrorMessage ?? '', /^Compacted topic cannot accept message without key/)
      }
      assert.match(p.errorMessage ?? '', /2 record errors/)
      const after = await kcatConsume(broker.bootstrap, 'compacted', { partition: 0 })
      assert.equal(after.length, before.length, 'nothing of the refused batch was appended')
      const ok = await rawProduce(broker.port, 'compacted', 0, await batch(['a', 'b'], compression))
      assert.equal(ok.errorCode, ErrorCode.NONE)
    })
  }

  // zstd: the codec that runs on the event loop (every codec's bound is unit-tested with a small limit).
  for (const compression of [CompressionType.ZSTD]) {
    it(`a batch inflating past the bound is refused and the broker keeps serving (codec ${compression})`, async () => {
      const huge = Buffer.alloc(MAX_DECOMPRESSED_BATCH_BYTES + 1024 * 1024)
      const bomb = await encodeRecordBatch(
        createRecordBatch({
          baseTimestamp: BigInt(Date.now()),
          compression,
          records: [
            {
              attributes: 0,
              timestampDelta: 0n,
              offsetDelta: 0,
              key: Buffer.from('k'),
              value: huge,
              headers: []
            }
          ]
        })
      )
      assert.ok(bomb.length < 1_000_000, `the bomb is small on the wire (${bomb.length} bytes)`)
      // While the broker handles the bomb, another connection is served.
      const [refused, meanwhile] = await Promise.all([
        rawProduce(broker.port, 'compacted', 0, bomb),
        rawProduce(broker.port, 'plain', 0, await batch([null]))
      ])
      assert.equal(refused.errorCode, ErrorCode.INVALID_RECORD, refused.errorMessage ?? '')
      assert.match(refused.errorMessage ?? '', /inflates past/)
      assert.equal(meanwhile.errorCode, ErrorCode.NONE)
      const ok = await rawProduce(broker.port, 'compacted', 0, await batch(['k'], compression))
      assert.equal(ok.errorCode, ErrorCode.NONE)
      const records = await kcatConsume(broker.bootstrap, 'compacted', { partition: 0 })
      assert.ok(
        records.every((r) => (r.value?.length ?? 0) < 1024),
        'the bomb was not appended'
      )
    })
  }
})
