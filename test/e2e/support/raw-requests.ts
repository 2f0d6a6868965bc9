/** One-shot raw requests over test/helpers/raw-kafka-client.ts, for exact error codes no client exposes. */

import type {
  CreatePartitionsRequest,
  CreatePartitionsResponse
} from '../../../src/protocol/messages/create-partitions.js'
import type {
  CreateTopicsRequest,
  CreateTopicsResponse
} from '../../../src/protocol/messages/create-topics.js'
import type { MetadataRequest, MetadataResponse } from '../../../src/protocol/messages/metadata.js'
import type { ProduceRequest, ProduceResponse } from '../../../src/protocol/messages/produce.js'
import { createRecordBatch, encodeRecordBatch } from '../../../src/protocol/records/record-batch.js'
import { RawKafkaClient } from '../../helpers/raw-kafka-client.js'

let correlation = 0

export async function rawRequest<T>(
  port: number,
  apiKey: number,
  apiVersion: number,
  body: unknown
): Promise<T> {
  const client = await RawKafkaClient.connect(port)
  try {
    const correlationId = ++correlation
    client.send(
      { requestApiKey: apiKey, requestApiVersion: apiVersion, correlationId, clientId: 'e2e-raw' },
      body
    )
    const response = await client.nextResponse<T>(apiKey, apiVersion, 10_000)
    if (response.correlationId !== correlationId) throw new Error('response correlation id mismatch')
    return response.body
  } finally {
    client.close()
  }
}

/** A valid uncompressed v2 batch of `values`, encoded by Samsa's own codec. */
export function batchOf(values: readonly string[]): Promise<Buffer> {
  return encodeRecordBatch(
    createRecordBatch({
      baseTimestamp: BigInt(Date.now()),
      records: values.map((v, i) => ({
        attributes: 0,
        timestampDelta: 0n,
        offsetDelta: i,
        key: null,
        value: Buffer.from(v),
        headers: []
      }))
    })
  )
}

/** Produce v9 (flexible) with acks=-1; answers the one partition's response. */
export async function rawProduce(port: number, topic: string, partition: number, records: Buffer) {
  const body: ProduceRequest = {
    transactionalId: null,
    acks: -1,
    timeoutMs: 5000,
    topicData: [{ name: topic, partitionData: [{ index: partition, records }] }]
  }
  const response = await rawRequest<ProduceResponse>(port, 0, 9, body)
  const p = response.responses[0]?.partitionResponses[0]
  if (!p) throw new Error('produce response without a partition')
  return p
}

export async function rawMetadata(port: number, topics: string[] | null, allowAutoTopicCreation = true) {
  const body: MetadataRequest = {
    topics: topics === null ? null : topics.map((name) => ({ name, topicId: 'AAAAAAAAAAAAAAAAAAAAAA' })),
    allowAutoTopicCreation,
    includeTopicAuthorizedOperations: false
  }
  return rawRequest<MetadataResponse>(port, 3, 12, body)
}

export async function rawCreateTopics(
  port: number,
  topics: { name: string; numPartitions: number; replicationFactor: number }[],
  validateOnly = false
) {
  const body: CreateTopicsRequest = {
    topics: topics.map((t) => ({ ...t, assignments: [], configs: [] })),
    timeoutMs: 5000,
    validateOnly
  }
  return (await rawRequest<CreateTopicsResponse>(port, 19, 7, body)).topics
}

export async function rawCreatePartitions(port: number, name: string, count: number) {
  const body: CreatePartitionsRequest = {
    topics: [{ name, count, assignments: null }],
    timeoutMs: 5000,
    validateOnly: false
  }
  return (await rawRequest<CreatePartitionsResponse>(port, 37, 3, body)).results
}
