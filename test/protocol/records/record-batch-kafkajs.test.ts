/**
 * Interop with a real client: kafkajs 2.2.4's own record batch encoder and decoder, run in-process.
 * Its bytes are what a kafkajs producer sends in a Produce request, so decoding them checks our reader
 * against another implementation, and feeding our bytes to its decoder checks our writer.
 */
import assert from 'node:assert/strict'
import { createRequire } from 'node:module'
import { test } from 'node:test'
import { CompressionType } from '../../../src/protocol/records/compression-type.js'
import { ControlRecordType, createEndTxnMarkerBatch } from '../../../src/protocol/records/control-record.js'
import {
  createRecordBatch,
  decodeRecordBatch,
  encodeRecordBatch,
  recordOffset,
  recordTimestamp
} from '../../../src/protocol/records/record-batch.js'
import { validateRecordBatch } from '../../../src/protocol/records/record-batch-validation.js'

const require = createRequire(import.meta.url)
type Encoder = { buffer: Buffer }
interface KafkajsRecordInput {
  offsetDelta: number
  timestampDelta: number
  key: Buffer | string | null
  value: Buffer | string | null
  headers?: { [key: string]: Buffer | string | Array<Buffer | string> }
}
const { RecordBatch } = require('kafkajs/src/protocol/recordBatch/v0/index.js') as {
  RecordBatch: (init: object) => Promise<Encoder>
}
const KafkajsRecord = require('kafkajs/src/protocol/recordBatch/record/v0/index.js') as (
  r: KafkajsRecordInput
) => Encoder
const kafkajsDecodeBatch = require('kafkajs/src/protocol/recordBatch/v0/decoder.js') as (
  d: unknown
) => Promise<{
  firstOffset: string
  producerId: string
  inTransaction: boolean
  isControlBatch: boolean
  records: Array<{
    offset: string
    timestamp: string
    key: Buffer | null
    value: Buffer | null
    headers: object
  }>
}>
const Decoder = require('kafkajs/src/protocol/decoder.js') as new (b: Buffer) => unknown
const Long = require('kafkajs/src/utils/long.js') as { fromValue: (v: string | number) => unknown }

const firstTimestamp = 1_712_345_678_901

async function kafkajsBatch(compression: number, transactional = false): Promise<Buffer> {
  const inputs: KafkajsRecordInput[] = [
    {
      offsetDelta: 0,
      timestampDelta: 0,
      key: 'key-0',
      value: 'hello',
      headers: { trace: 'abc', multi: ['1', '2'] }
    },
    { offsetDelta: 1, timestampDelta: 15, key: null, value: Buffer.from([0, 1, 2, 255]) },
    { offsetDelta: 2, timestampDelta: 30, key: Buffer.from('k2'), value: null, headers: { ünïcode: 'ü' } },
    { offsetDelta: 3, timestampDelta: 31, key: 'big', value: 'x'.repeat(5000) }
  ]
  const records = inputs.map((r) => KafkajsRecord(r))
  const batch = await RecordBatch({
    compression,
    firstOffset: Long.fromValue(0),
    firstTimestamp,
    maxTimestamp: firstTimestamp + 31,
    partitionLeaderEpoch: 0,
    lastOffsetDelta: records.length - 1,
    transactional,
    producerId: Long.fromValue('123456789012'),
    producerEpoch: 4,
    firstSequence: 17,
    records
  })
  return batch.buffer
}

for (const [name, compression] of [
  ['uncompressed', CompressionType.NONE],
  ['gzip', CompressionType.GZIP]
] as const) {
  test(`decodes a kafkajs-encoded ${name} batch`, async () => {
    const bytes = await kafkajsBatch(compression, compression === CompressionType.GZIP)
    const header = validateRecordBatch(bytes)
    assert.equal(header.magic, 2)
    const batch = await decodeRecordBatch(bytes)
    assert.equal(batch.compression, compression)
    assert.equal(batch.isTransactional, compression === CompressionType.GZIP)
    assert.equal(batch.producerId, 123456789012n)
    assert.equal(batch.producerEpoch, 4)
    assert.equal(batch.baseSequence, 17)
    assert.equal(batch.lastOffsetDelta, 3)
    assert.equal(batch.maxTimestamp, BigInt(firstTimestamp + 31))
    assert.equal(batch.records.length, 4)
    const [r0, r1, r2, r3] = batch.records
    assert.deepEqual(r0!.key, Buffer.from('key-0'))
    assert.deepEqual(r0!.value, Buffer.from('hello'))
    assert.deepEqual(r0!.headers, [
      { key: 'trace', value: Buffer.from('abc') },
      { key: 'multi', value: Buffer.from('1') },
      { key: 'multi', value: Buffer.from('2') }
    ])
    assert.equal(r1!.key, null)
    assert.deepEqual(r1!.value, Buffer.from([0, 1, 2, 255]))
    assert.equal(recordTimestamp(batch, r1!), BigInt(firstTimestamp + 15))
    assert.equal(r2!.value, null)
    assert.deepEqual(r2!.headers, [{ key: 'ünïcode', value: Buffer.from('ü') }])
    assert.equal(r3!.value!.length, 5000)
    assert.equal(recordOffset(batch, r3!), 3n)
  })
}

test('kafkajs decodes batches we encode, including gzip and control batches', async () => {
  const ours = createRecordBatch({
    baseOffset: 1000n,
    compression: CompressionType.GZIP,
    baseTimestamp: BigInt(firstTimestamp),
    producerId: 55n,
    producerEpoch: 1,
    baseSequence: 0,
    records: [
      {
        attributes: 0,
        timestampDelta: 0n,
        offsetDelta: 0,
        key: Buffer.from('a'),
        value: Buffer.from('1'),
        headers: [{ key: 'h', value: Buffer.from('v') }]
      },
      { attributes: 0, timestampDelta: 9n, offsetDelta: 1, key: null, value: null, headers: [] }
    ]
  })
  const decoded = await kafkajsDecodeBatch(new Decoder(await encodeRecordBatch(ours)))
  assert.equal(decoded.firstOffset, '1000')
  assert.equal(decoded.producerId, '55')
  assert.equal(decoded.records.length, 2)
  assert.equal(decoded.records[0]!.offset, '1000')
  assert.deepEqual(decoded.records[0]!.key, Buffer.from('a'))
  assert.deepEqual(decoded.records[0]!.headers, { h: Buffer.from('v') })
  assert.equal(decoded.records[1]!.offset, '1001')
  assert.equal(decoded.records[1]!.timestamp, String(firstTimestamp + 9))
  assert.equal(decoded.records[1]!.value, null)

  const marker = createEndTxnMarkerBatch({
    marker: { type: ControlRecordType.COMMIT, coordinatorEpoch: 2 },
    producerId: 55n,
    producerEpoch: 1,
    timestamp: BigInt(firstTimestamp),
    baseOffset: 1002n
  })
  const control = await kafkajsDecodeBatch(new Decoder(await encodeRecordBatch(marker)))
  assert.equal(control.isControlBatch, true)
  assert.equal(control.inTransaction, true)
  assert.deepEqual(control.records[0]!.key, Buffer.from([0, 0, 0, 1]))
})
