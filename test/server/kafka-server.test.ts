import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { setTimeout as sleep } from 'node:timers/promises'
import { createBrokerBufferPools, MIN_POOLED_BYTES } from '../../src/common/buffer-pool.js'
import {
  ApiVersionsApi,
  type ApiVersionsRequest,
  type ApiVersionsResponse
} from '../../src/protocol/messages/api-versions.js'
import { FetchApi, type FetchRequest, type FetchResponse } from '../../src/protocol/messages/fetch.js'
import {
  HeartbeatApi,
  type HeartbeatRequest,
  type HeartbeatResponse
} from '../../src/protocol/messages/heartbeat.js'
import { ProduceApi, type ProduceRequest } from '../../src/protocol/messages/produce.js'
import { type ApiHandler, NO_RESPONSE } from '../../src/server/api-registry.js'
import { apiVersionsHandler } from '../../src/server/handlers/api-versions.js'
import type { BrokerComponent } from '../../src/server/kafka-server.js'
import { startInProcessBroker } from '../helpers/in-process-broker.js'
import { RawKafkaClient } from '../helpers/raw-kafka-client.js'

const HEARTBEAT = HeartbeatApi.apiKey
const PRODUCE = ProduceApi.apiKey
const API_VERSIONS = ApiVersionsApi.apiKey

const heartbeat = (correlationId: number) =>
  [
    { requestApiKey: HEARTBEAT, requestApiVersion: 0, correlationId, clientId: 't' },
    { groupId: 'g', generationId: correlationId, memberId: 'm' } satisfies HeartbeatRequest
  ] as const

const apiVersions = (correlationId: number, version = 0) =>
  [{ requestApiKey: API_VERSIONS, requestApiVersion: version, correlationId, clientId: 't' }, {}] as const

/** A Heartbeat handler that answers after `delayMs`, recording the generation ids it saw. */
function slowHeartbeat(
  delayMs: number,
  seen: number[] = []
): ApiHandler<HeartbeatRequest, HeartbeatResponse> {
  return {
    api: HeartbeatApi,
    minVersion: 0,
    maxVersion: 4,
    async handle(req) {
      seen.push(req.generationId)
      await sleep(delayMs)
      return { errorCode: 0, throttleTimeMs: 0 }
    }
  }
}

describe('KafkaServer', () => {
  it('writes responses in request order even when an earlier handler finishes later', async () => {
    const { server, port } = await startInProcessBroker({
      handlers: [apiVersionsHandler, slowHeartbeat(150)]
    })
    const client = await RawKafkaClient.connect(port)
    try {
      client.send(...heartbeat(1))
      client.send(...apiVersions(2))
      client.send(...heartbeat(3))
      client.send(...apiVersions(4))
      const order = []
      order.push((await client.nextResponse(HEARTBEAT, 0)).correlationId)
      order.push((await client.nextResponse(API_VERSIONS, 0)).correlationId)
      order.push((await client.nextResponse(HEARTBEAT, 0)).correlationId)
      order.push((await client.nextResponse(API_VERSIONS, 0)).correlationId)
      assert.deepEqual(order, [1, 2, 3, 4])
    } finally {
      client.close()
      await server.shutdown()
    }
  })

  it('sends nothing for a request whose handler returns NO_RESPONSE (Produce acks=0)', async () => {
    const produce: ApiHandler<ProduceRequest, unknown> = {
      api: ProduceApi,
      minVersion: 3,
      maxVersion: 7,
      handle: (req) => (req.acks === 0 ? NO_RESPONSE : { responses: [], throttleTimeMs: 0 })
    }
    const { server, port } = await startInProcessBroker({ handlers: [apiVersionsHandler, produce] })
    const client = await RawKafkaClient.connect(port)
    try {
      const body: ProduceRequest = { transactionalId: null, acks: 0, timeoutMs: 1000, topicData: [] }
      client.send({ requestApiKey: PRODUCE, requestApiVersion: 7, correlationId: 1, clientId: 't' }, body)
      client.send(...apiVersions(2))
      client.send(
        { requestApiKey: PRODUCE, requestApiVersion: 7, correlationId: 3, clientId: 't' },
        { ...body, acks: 1 }
      )
      assert.equal((await client.nextResponse(API_VERSIONS, 0)).correlationId, 2)
      assert.equal((await client.nextResponse(PRODUCE, 7)).correlationId, 3)
    } finally {
      client.close()
      await server.shutdown()
    }
  })

  it('leases frames from and returns fetched bytes to the pools it is given', async () => {
    const pools = createBrokerBufferPools()
    const records = Buffer.alloc(MIN_POOLED_BYTES + 1, 7)
    const produce: ApiHandler<ProduceRequest, unknown> = {
      api: ProduceApi,
      minVersion: 3,
      maxVersion: 7,
      handle: () => ({ responses: [], throttleTimeMs: 0 })
    }
    // Stands in for the fetch path: its reads lease from the fetch-read pool the connections were given.
    const fetch: ApiHandler<FetchRequest, FetchResponse> = {
      api: FetchApi,
      minVersion: 4,
      maxVersion: 12,
      handle() {
        const read = pools.fetchReads.acquire(records.length)
        records.copy(read)
        const partition = { partitionIndex: 0, errorCode: 0, highWatermark: 1n, records: read }
        return {
          throttleTimeMs: 0,
          errorCode: 0,
          sessionId: 0,
          responses: [{ topic: 't', partitions: [partition] }]
        }
      }
    }
    const { server, port } = await startInProcessBroker({
      handlers: [apiVersionsHandler, produce, fetch],
      bufferPools: pools
    })
    const client = await RawKafkaClient.connect(port)
    try {
      const body: ProduceRequest = {
        transactionalId: null,
        acks: 1,
        timeoutMs: 1000,
        topicData: [{ name: 't', partitionData: [{ index: 0, records }] }]
      }
      client.send({ requestApiKey: PRODUCE, requestApiVersion: 7, correlationId: 1, clientId: 't' }, body)
      await client.nextResponse(PRODUCE, 7)
      // The Produce frame was assembled in a pooled buffer and given back once answered.
      assert.ok(pools.requestFrames.retainedBytes >= MIN_POOLED_BYTES)
      assert.equal(pools.fetchReads.retainedBytes, 0)

      const fetchRequest: FetchRequest = { replicaId: -1, maxWaitMs: 0, minBytes: 0, topics: [] }
      client.send(
        { requestApiKey: FetchApi.apiKey, requestApiVersion: 12, correlationId: 2, clientId: 't' },
        fetchRequest
      )
      const res = await client.nextResponse<FetchResponse>(FetchApi.apiKey, 12)
      assert.deepEqual(res.body.responses[0]?.partitions[0]?.records, records)
      // Released by the socket write's callback, which may run just after the client has the bytes.
      for (let i = 0; i < 50 && pools.fetchReads.retainedBytes === 0; i++) await sleep(10)
      assert.ok(pools.fetchReads.retainedBytes >= MIN_POOLED_BYTES)
    } finally {
      client.close()
      await server.shutdown()
    }
  })

  it('stops reading at the in-flight limit and resumes as responses are written', async () => {
    const seen: number[] = []
    let release: () => void = () => {}
    const gate = new Promise<void>((resolve) => {
      release = resolve
    })
    const gated: ApiHandler<HeartbeatRequest, HeartbeatResponse> = {
      ...slowHeartbeat(0),
      async handle(req) {
        seen.push(req.generationId)
        await gate
        return { errorCode: 0, throttleTimeMs: 0 }
      }
    }
    const { server, port } = await startInProcessBroker({
      handlers: [apiVersionsHandler, gated],
      limits: { maxInFlightRequests: 4 }
    })
    const client = await RawKafkaClient.connect(port)
    try {
      for (let i = 1; i <= 10; i++) client.send(...heartbeat(i))
      await sleep(200)
      assert.deepEqual(seen, [1, 2, 3, 4])
      release()
      for (let i = 1; i <= 10; i++) assert.equal((await client.nextResponse(HEARTBEAT, 0)).correlationId, i)
      assert.deepEqual(seen, [1, 2, 3, 4, 5, 6, 7, 8, 9, 10])
    } finally {
      client.close()
      await server.shutdown()
    }
  })

  it('lets kafkajs fall back to an older ApiVersions version using the v0 UNSUPPORTED_VERSION reply', async () => {
    const versionsServed: number[] = []
    const oldApiVersions: ApiHandler<ApiVersionsRequest, ApiVersionsResponse> = {
      api: ApiVersionsApi,
      minVersion: 0,
      maxVersion: 1,
      handle(req, ctx) {
        versionsServed.push(ctx.apiVersion)
        return apiVersionsHandler.handle(req, ctx)
      }
    }
    const { server, port } = await startInProcessBroker({ handlers: [oldApiVersions] })
    const { Kafka, logLevel } = await import('kafkajs')
    const admin = new Kafka({
      brokers: [`127.0.0.1:${port}`],
      logLevel: logLevel.NOTHING,
      retry: { retries: 0 }
    }).admin()
    try {
      // kafkajs opens with ApiVersions v2; it only gets to v1 by parsing our UNSUPPORTED_VERSION answer.
      await admin.connect()
      assert.deepEqual(versionsServed, [1])
    } finally {
      await admin.disconnect()
      await server.shutdown()
    }
  })

  it('closes a connection whose handler throws, and keeps serving the others', async () => {
    const failing: ApiHandler = {
      api: HeartbeatApi,
      minVersion: 0,
      maxVersion: 4,
      handle: () => {
        throw new Error('handler bug')
      }
    }
    const { server, port } = await startInProcessBroker({ handlers: [apiVersionsHandler, failing] })
    const bad = await RawKafkaClient.connect(port)
    const good = await RawKafkaClient.connect(port)
    try {
      bad.send(...heartbeat(1))
      assert.equal(await bad.waitForClose(), true)
      good.send(...apiVersions(7))
      assert.equal((await good.nextResponse(API_VERSIONS, 0)).correlationId, 7)
    } finally {
      bad.close()
      good.close()
      await server.shutdown()
    }
  })

  it('finishes in-flight requests on shutdown, then stops components in reverse order', async () => {
    const events: string[] = []
    const component = (name: string): BrokerComponent => ({
      name,
      startup: async () => {
        events.push(`start ${name}`)
      },
      shutdown: async () => {
        events.push(`stop ${name}`)
      }
    })
    const slow: ApiHandler<HeartbeatRequest, HeartbeatResponse> = {
      ...slowHeartbeat(0),
      async handle() {
        await sleep(200)
        events.push('handled')
        return { errorCode: 0, throttleTimeMs: 0 }
      }
    }
    const { server, port } = await startInProcessBroker({
      handlers: [apiVersionsHandler, slow],
      components: [component('log-manager'), component('metadata')]
    })
    const client = await RawKafkaClient.connect(port)
    try {
      client.send(...heartbeat(5))
      await sleep(50)
      const stopping = server.shutdown()
      assert.equal((await client.nextResponse(HEARTBEAT, 0)).correlationId, 5)
      assert.equal(await client.waitForClose(), true)
      await stopping
      assert.deepEqual(events, [
        'start log-manager',
        'start metadata',
        'handled',
        'stop metadata',
        'stop log-manager'
      ])
    } finally {
      client.close()
    }
  })

  it('answers every request of a client that shuts down its sending side, then closes', async () => {
    const { server, port } = await startInProcessBroker({
      handlers: [apiVersionsHandler, slowHeartbeat(100)]
    })
    const client = await RawKafkaClient.connect(port)
    try {
      client.send(...heartbeat(1))
      client.send(...apiVersions(2))
      client.socket.end()
      assert.equal((await client.nextResponse(HEARTBEAT, 0)).correlationId, 1)
      assert.equal((await client.nextResponse(API_VERSIONS, 0)).correlationId, 2)
      assert.equal(await client.waitForClose(), true)
    } finally {
      client.close()
      await server.shutdown()
    }
  })

  it('advertises the bound port when a listener asks for port 0', async () => {
    const { server, port } = await startInProcessBroker()
    try {
      assert.deepEqual(
        server.advertisedEndPoints().map((e) => [e.listenerName, e.host, e.port]),
        [['PLAINTEXT', '127.0.0.1', port]]
      )
    } finally {
      await server.shutdown()
    }
  })
})
