import assert from 'node:assert/strict'
import { after, before, test } from 'node:test'
import type { FetchRequest, FetchResponse } from '../../../src/protocol/messages/fetch.js'
import type { MetadataResponse } from '../../../src/protocol/messages/metadata.js'
import type { ProduceResponse } from '../../../src/protocol/messages/produce.js'
import { createRecordBatch, encodeRecordBatch } from '../../../src/protocol/records/record-batch.js'
import { BrokerProcess } from '../../helpers/broker-process.js'
import { RawKafkaClient } from '../../helpers/raw-kafka-client.js'

const FETCH = 1
const PRODUCE = 0
const METADATA = 3
let broker: BrokerProcess
let client: RawKafkaClient
let correlationId = 0
let topicId = ''

async function call<T>(apiKey: number, apiVersion: number, body: unknown, timeoutMs = 5000): Promise<T> {
  const id = ++correlationId
  client.send(
    { requestApiKey: apiKey, requestApiVersion: apiVersion, correlationId: id, clientId: 'test' },
    body
  )
  const res = await client.nextResponse<T>(apiKey, apiVersion, timeoutMs)
  assert.equal(res.correlationId, id)
  return res.body
}

async function produce(partition: number, value: string): Promise<void> {
  const batch = await encodeRecordBatch(
    createRecordBatch({
      baseTimestamp: BigInt(Date.now()),
      records: [
        {
          attributes: 0,
          timestampDelta: 0n,
          offsetDelta: 0,
          key: null,
          value: Buffer.from(value),
          headers: []
        }
      ]
    })
  )
  const res = await call<ProduceResponse>(PRODUCE, 9, {
    transactionalId: null,
    acks: -1,
    timeoutMs: 5000,
    topicData: [{ name: 'sessions', partitionData: [{ index: partition, records: batch }] }]
  })
  assert.equal(res.responses[0]?.partitionResponses[0]?.errorCode, 0)
}

function fetchRequest(
  sessionId: number,
  sessionEpoch: number,
  partitions: Array<[number, bigint]>
): FetchRequest {
  return {
    replicaId: -1,
    maxWaitMs: 0,
    minBytes: 0,
    maxBytes: 1_000_000,
    isolationLevel: 0,
    sessionId,
    sessionEpoch,
    topics:
      partitions.length === 0
        ? []
        : [
            {
              topicId,
              partitions: partitions.map(([partition, fetchOffset]) => ({
                partition,
                currentLeaderEpoch: -1,
                fetchOffset,
                lastFetchedEpoch: -1,
                logStartOffset: -1n,
                partitionMaxBytes: 100_000
              }))
            }
          ],
    forgottenTopicsData: [],
    rackId: ''
  }
}

before(async () => {
  broker = await BrokerProcess.start({ overrides: ['num.partitions=3'] })
  client = await RawKafkaClient.connect(broker.port)
  const md = await call<MetadataResponse>(METADATA, 12, {
    topics: [{ topicId: 'AAAAAAAAAAAAAAAAAAAAAA', name: 'sessions' }],
    allowAutoTopicCreation: true,
    includeTopicAuthorizedOperations: false
  })
  topicId = md.topics[0]!.topicId!
  assert.equal(md.topics[0]?.partitions.length, 3)
})

after(async () => {
  client?.close()
  await broker?.stop()
})

test('incremental fetch sessions (KIP-227) return only the partitions that changed', async () => {
  await produce(0, 'a')
  const full = await call<FetchResponse>(
    FETCH,
    13,
    fetchRequest(0, 0, [
      [0, 0n],
      [1, 0n],
      [2, 0n]
    ])
  )
  assert.equal(full.errorCode, 0)
  const sessionId = full.sessionId ?? 0
  assert.ok(sessionId > 0, 'a session was created')
  assert.equal(full.responses[0]?.partitions.length, 3, 'the full fetch lists every partition')

  // Nothing changed since: the incremental response lists no partition at all.
  const quiet = await call<FetchResponse>(FETCH, 13, fetchRequest(sessionId, 1, [[0, 1n]]))
  assert.equal(quiet.errorCode, 0)
  assert.equal(quiet.sessionId, sessionId)
  assert.deepEqual(quiet.responses, [])

  // New data on partition 2 only: exactly that partition comes back, with its record.
  await produce(2, 'b')
  const changed = await call<FetchResponse>(FETCH, 13, fetchRequest(sessionId, 2, []))
  const parts = changed.responses.flatMap((t) => t.partitions)
  assert.deepEqual(
    parts.map((p) => p.partitionIndex),
    [2]
  )
  assert.ok((parts[0]?.records?.length ?? 0) > 0)
  assert.equal(parts[0]?.highWatermark, 1n)
})

test('a stale session epoch and an unknown session get Kafka error codes', async () => {
  const full = await call<FetchResponse>(FETCH, 13, fetchRequest(0, 0, [[0, 0n]]))
  const stale = await call<FetchResponse>(FETCH, 13, fetchRequest(full.sessionId ?? 0, 5, []))
  assert.equal(stale.errorCode, 71, 'INVALID_FETCH_SESSION_EPOCH')
  const unknown = await call<FetchResponse>(FETCH, 13, fetchRequest(987654, 1, []))
  assert.equal(unknown.errorCode, 70, 'FETCH_SESSION_ID_NOT_FOUND')
})

test('a long-poll fetch is answered as soon as an append arrives, before max.wait.ms', async () => {
  const waiting = await RawKafkaClient.connect(broker.port)
  try {
    const request = { ...fetchRequest(0, -1, [[1, 0n]]), maxWaitMs: 20_000, minBytes: 1 }
    waiting.send({ requestApiKey: FETCH, requestApiVersion: 13, correlationId: 1, clientId: 'poll' }, request)
    // No data yet: the fetch must still be parked after a moment.
    assert.equal(await waiting.nextFrame(300).catch(() => null), null)
    const started = Date.now()
    await produce(1, 'wake')
    const res = await waiting.nextResponse<FetchResponse>(FETCH, 13, 10_000)
    assert.ok(Date.now() - started < 10_000, 'answered long before max.wait.ms')
    const part = res.body.responses[0]?.partitions[0]
    assert.equal(part?.partitionIndex, 1)
    assert.ok((part?.records?.length ?? 0) > 0)
  } finally {
    waiting.close()
  }
})
