import assert from 'node:assert/strict'
import { after, before, test } from 'node:test'
import type { FetchRequest, FetchResponse } from '../../../src/protocol/messages/fetch.js'
import type { MetadataResponse } from '../../../src/protocol/messages/metadata.js'
import type { ProduceResponse } from '../../../src/protocol/messages/produce.js'
import { createRecordBatch, encodeRecordBatch } from '../../../src/protocol/records/record-batch.js'
import { BrokerProcess } from '../../helpers/broker-process.js'
import { RawKafkaClient } from '../../helpers/raw-kafka-client.js'

/**
 * A consumer fetch over several partitions reads them concurrently; the answer must still be exactly
 * Kafka's sequential one: partitions in request order share max.bytes, each is capped by its own
 * partition max bytes, and only the first partition with nothing before it may exceed its limit with one
 * whole batch (KIP-74).
 */

const FETCH = 1
const PRODUCE = 0
const METADATA = 3
const TOPIC = 'limits'
const VALUE_BYTES = 300
let broker: BrokerProcess
let client: RawKafkaClient
let correlationId = 0
let batchBytes = 0

async function call<T>(apiKey: number, apiVersion: number, body: unknown): Promise<T> {
  const id = ++correlationId
  client.send(
    { requestApiKey: apiKey, requestApiVersion: apiVersion, correlationId: id, clientId: 'test' },
    body
  )
  const res = await client.nextResponse<T>(apiKey, apiVersion, 10_000)
  assert.equal(res.correlationId, id)
  return res.body
}

async function produce(partition: number, batches: number): Promise<void> {
  for (let i = 0; i < batches; i++) {
    const batch = await encodeRecordBatch(
      createRecordBatch({
        baseTimestamp: BigInt(Date.now()),
        records: [
          {
            attributes: 0,
            timestampDelta: 0n,
            offsetDelta: 0,
            key: null,
            value: Buffer.alloc(VALUE_BYTES, 97 + partition),
            headers: []
          }
        ]
      })
    )
    batchBytes = batch.length
    const res = await call<ProduceResponse>(PRODUCE, 9, {
      transactionalId: null,
      acks: 1,
      timeoutMs: 5000,
      topicData: [{ name: TOPIC, partitionData: [{ index: partition, records: batch }] }]
    })
    assert.equal(res.responses[0]?.partitionResponses[0]?.errorCode, 0)
  }
}

/** Bytes of records returned per partition, in request order. */
async function fetchSizes(
  maxBytes: number,
  partitions: Array<{ partition: number; partitionMaxBytes: number; fetchOffset?: bigint }>
): Promise<number[]> {
  const request: FetchRequest = {
    replicaId: -1,
    maxWaitMs: 0,
    minBytes: 0,
    maxBytes,
    isolationLevel: 0,
    sessionId: 0,
    sessionEpoch: -1,
    topics: [
      {
        topic: TOPIC,
        partitions: partitions.map((p) => ({
          partition: p.partition,
          currentLeaderEpoch: -1,
          fetchOffset: p.fetchOffset ?? 0n,
          lastFetchedEpoch: -1,
          logStartOffset: -1n,
          partitionMaxBytes: p.partitionMaxBytes
        }))
      }
    ],
    forgottenTopicsData: [],
    rackId: ''
  }
  const res = await call<FetchResponse>(FETCH, 11, request)
  assert.equal(res.errorCode, 0)
  const byIndex = new Map(res.responses.flatMap((t) => t.partitions).map((p) => [p.partitionIndex, p]))
  return partitions.map((p) => {
    const data = byIndex.get(p.partition)
    assert.equal(data?.errorCode, 0)
    return data?.records?.length ?? 0
  })
}

before(async () => {
  broker = await BrokerProcess.start({ overrides: ['num.partitions=4'] })
  client = await RawKafkaClient.connect(broker.port)
  const md = await call<MetadataResponse>(METADATA, 12, {
    topics: [{ topicId: 'AAAAAAAAAAAAAAAAAAAAAA', name: TOPIC }],
    allowAutoTopicCreation: true,
    includeTopicAuthorizedOperations: false
  })
  assert.equal(md.topics[0]?.partitions.length, 4)
  // Partitions 0-2 hold three single-record batches each; partition 3 stays empty.
  for (const p of [0, 1, 2]) await produce(p, 3)
})

after(async () => {
  client?.close()
  await broker?.stop()
})

test('with room for everything, every partition returns all its batches', async () => {
  const all = { partitionMaxBytes: 1_000_000 }
  assert.deepEqual(
    await fetchSizes(10_000_000, [
      { partition: 0, ...all },
      { partition: 1, ...all },
      { partition: 2, ...all },
      { partition: 3, ...all }
    ]),
    [3 * batchBytes, 3 * batchBytes, 3 * batchBytes, 0]
  )
})

test('max.bytes is shared in request order: later partitions get what the earlier ones left', async () => {
  const all = { partitionMaxBytes: 1_000_000 }
  // Room for four batches: three from the first partition, one from the second, none from the third.
  const maxBytes = 4 * batchBytes + 10
  assert.deepEqual(
    await fetchSizes(maxBytes, [
      { partition: 2, ...all },
      { partition: 0, ...all },
      { partition: 1, ...all }
    ]),
    [3 * batchBytes, batchBytes, 0]
  )
})

test('each partition is capped by its own partition max bytes', async () => {
  assert.deepEqual(
    await fetchSizes(10_000_000, [
      { partition: 0, partitionMaxBytes: 2 * batchBytes + 5 },
      { partition: 1, partitionMaxBytes: batchBytes },
      { partition: 2, partitionMaxBytes: 3 * batchBytes }
    ]),
    [2 * batchBytes, batchBytes, 3 * batchBytes]
  )
})

test('only the first partition with nothing before it may return an oversized batch (KIP-74)', async () => {
  const tiny = { partitionMaxBytes: 10 }
  // The first partition gets one whole batch despite its limit; the others stay within theirs: nothing.
  assert.deepEqual(
    await fetchSizes(10_000_000, [
      { partition: 0, ...tiny },
      { partition: 1, ...tiny },
      { partition: 2, ...tiny }
    ]),
    [batchBytes, 0, 0]
  )
  // When the first partitions have nothing to return, the right passes to the next one.
  assert.deepEqual(
    await fetchSizes(10_000_000, [
      { partition: 3, ...tiny },
      { partition: 0, ...tiny, fetchOffset: 3n },
      { partition: 1, ...tiny },
      { partition: 2, ...tiny }
    ]),
    [0, 0, batchBytes, 0]
  )
  // And max.bytes smaller than one batch still returns the first batch, and only it.
  assert.deepEqual(
    await fetchSizes(10, [
      { partition: 1, partitionMaxBytes: 1_000_000 },
      { partition: 2, partitionMaxBytes: 1_000_000 }
    ]),
    [batchBytes, 0]
  )
})
