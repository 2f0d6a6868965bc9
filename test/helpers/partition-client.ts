/**
 * Test kit: raw-protocol operations on one topic-partition of a live broker (create by Metadata auto-create,
 * produce numbered values, list offsets, read the whole partition decoding every batch), plus a broker
 * started on a caller-owned log dir and port so that it can be killed and restarted on the same data.
 */

import type { ApiVersionsResponse } from '../../src/protocol/messages/api-versions.js'
import type { FetchRequest, FetchResponse } from '../../src/protocol/messages/fetch.js'
import type { ListOffsetsRequest, ListOffsetsResponse } from '../../src/protocol/messages/list-offsets.js'
import type { MetadataRequest, MetadataResponse } from '../../src/protocol/messages/metadata.js'
import type { ProduceRequest, ProduceResponse } from '../../src/protocol/messages/produce.js'
import {
  createRecordBatch,
  decodeRecordBatch,
  encodeRecordBatch,
  type KafkaRecord
} from '../../src/protocol/records/index.js'
import { BrokerProcess } from './broker-process.js'
import { RawKafkaClient } from './raw-kafka-client.js'

/**
 * A broker on `logDir` (kept across restarts; the caller removes it) listening on `port` (0: any). The
 * BrokerProcess's own temp dir goes unused: later overrides win.
 */
export function startBrokerOn(
  logDir: string,
  port = 0,
  overrides: readonly string[] = []
): Promise<BrokerProcess> {
  return BrokerProcess.start({
    overrides: [`log.dirs=${logDir}`, `listeners=PLAINTEXT://127.0.0.1:${port}`, ...overrides],
    startTimeoutMs: 20_000
  })
}

let correlation = 1

/** Sends one request on a fresh connection and decodes its response. */
export async function request<T>(
  port: number,
  apiKey: number,
  apiVersion: number,
  body: unknown,
  timeoutMs = 10_000
): Promise<T> {
  const client = await RawKafkaClient.connect(port)
  try {
    const correlationId = correlation++
    client.send(
      { requestApiKey: apiKey, requestApiVersion: apiVersion, correlationId, clientId: 'samsa-test' },
      body
    )
    const res = await client.nextResponse<T>(apiKey, apiVersion, timeoutMs)
    if (res.correlationId !== correlationId)
      throw new Error(`correlation id ${res.correlationId} != ${correlationId}`)
    return res.body
  } finally {
    client.close()
  }
}

/** API keys the broker advertises in ApiVersions. */
export async function supportedApiKeys(port: number): Promise<Set<number>> {
  const res = await request<ApiVersionsResponse>(port, 18, 3, {
    clientSoftwareName: 'samsa-test',
    clientSoftwareVersion: '0'
  })
  return new Set(res.apiKeys.map((k) => k.apiKey))
}

/** Metadata for one topic, auto-creating it; retries while the broker answers LEADER_NOT_AVAILABLE. */
export async function ensureTopic(
  port: number,
  topic: string,
  timeoutMs = 10_000
): Promise<MetadataResponse> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const body: MetadataRequest = {
      topics: [{ name: topic }],
      allowAutoTopicCreation: true,
      includeClusterAuthorizedOperations: false,
      includeTopicAuthorizedOperations: false
    }
    const res = await request<MetadataResponse>(port, 3, 9, body)
    const t = res.topics[0]
    if (t && t.errorCode === 0 && t.partitions.length > 0) return res
    if (Date.now() > deadline) throw new Error(`topic ${topic} not ready: error ${t?.errorCode}`)
    await new Promise((r) => setTimeout(r, 50))
  }
}

/** One uncompressed batch holding `values` as record values (keys null). */
export function valuesBatch(values: readonly string[]): Promise<Buffer> {
  const records: KafkaRecord[] = values.map((v, i) => ({
    attributes: 0,
    timestampDelta: BigInt(i),
    offsetDelta: i,
    key: null,
    value: Buffer.from(v),
    headers: []
  }))
  return encodeRecordBatch(createRecordBatch({ baseTimestamp: BigInt(Date.now()), records }))
}

export interface ProduceResult {
  errorCode: number
  baseOffset: bigint
  errorMessage: string | null
}

/** Produces one batch of `values` (Produce v9, acks=all by default). */
export async function produceValues(
  port: number,
  topic: string,
  partition: number,
  values: readonly string[],
  acks = -1
): Promise<ProduceResult> {
  return produceBatch(port, topic, partition, await valuesBatch(values), acks)
}

/** Produces encoded record batch bytes as they are (Produce v9). */
export async function produceBatch(
  port: number,
  topic: string,
  partition: number,
  records: Buffer,
  acks = -1
): Promise<ProduceResult> {
  const body: ProduceRequest = {
    transactionalId: null,
    acks,
    timeoutMs: 10_000,
    topicData: [{ name: topic, partitionData: [{ index: partition, records }] }]
  }
  const res = await request<ProduceResponse>(port, 0, 9, body)
  const p = res.responses[0]?.partitionResponses[0]
  if (!p) throw new Error('produce response has no partition')
  return { errorCode: p.errorCode, baseOffset: p.baseOffset, errorMessage: p.errorMessage ?? null }
}

/** ListOffsets v7 for one partition: -1 latest (log end offset / high watermark), -2 earliest. */
export async function listOffset(
  port: number,
  topic: string,
  partition: number,
  timestamp = -1n
): Promise<bigint> {
  const body: ListOffsetsRequest = {
    replicaId: -1,
    isolationLevel: 0,
    topics: [{ name: topic, partitions: [{ partitionIndex: partition, currentLeaderEpoch: -1, timestamp }] }]
  }
  const res = await request<ListOffsetsResponse>(port, 2, 7, body)
  const p = res.topics[0]?.partitions[0]
  if (p?.errorCode !== 0 || p.offset === undefined) {
    throw new Error(`ListOffsets failed: error ${p?.errorCode}`)
  }
  return p.offset
}

export interface StoredRecord {
  offset: bigint
  value: string
}

export interface PartitionContents {
  records: StoredRecord[]
  batches: number
  highWatermark: bigint
}

/**
 * Reads the partition from offset 0 to its high watermark with Fetch v12 and decodes every batch (CRC,
 * lengths, record framing): a torn or corrupt batch makes this throw.
 */
export async function readPartition(
  port: number,
  topic: string,
  partition: number
): Promise<PartitionContents> {
  const records: StoredRecord[] = []
  let batches = 0
  let next = 0n
  let highWatermark = -1n
  for (let round = 0; round < 10_000; round++) {
    const body: FetchRequest = {
      replicaId: -1,
      maxWaitMs: 0,
      minBytes: 0,
      maxBytes: 8 * 1024 * 1024,
      isolationLevel: 0,
      sessionId: 0,
      sessionEpoch: -1,
      topics: [
        {
          topic,
          partitions: [
            {
              partition,
              currentLeaderEpoch: -1,
              fetchOffset: next,
              lastFetchedEpoch: -1,
              logStartOffset: -1n,
              partitionMaxBytes: 4 * 1024 * 1024
            }
          ]
        }
      ],
      forgottenTopicsData: [],
      rackId: ''
    }
    const res = await request<FetchResponse>(port, 1, 12, body)
    const p = res.responses[0]?.partitions[0]
    if (!p) throw new Error('fetch response has no partition')
    if (p.errorCode !== 0) throw new Error(`fetch at ${next} failed: error ${p.errorCode}`)
    highWatermark = p.highWatermark
    const data = p.records ?? Buffer.alloc(0)
    let pos = 0
    // A fetch may end in a partial batch (Kafka allows it); everything before it must decode.
    while (pos + 12 <= data.length) {
      const size = data.readInt32BE(pos + 8) + 12
      if (pos + size > data.length) break
      const batch = await decodeRecordBatch(data, pos)
      batches++
      for (const r of batch.records) {
        records.push({ offset: batch.baseOffset + BigInt(r.offsetDelta), value: r.value?.toString() ?? '' })
      }
      next = batch.baseOffset + BigInt(batch.lastOffsetDelta) + 1n
      pos += size
    }
    if (next >= highWatermark) return { records, batches, highWatermark }
    if (pos === 0)
      throw new Error(`fetch at ${next} below high watermark ${highWatermark} returned no whole batch`)
  }
  throw new Error('partition read did not finish')
}
