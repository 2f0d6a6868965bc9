import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { ErrorCode } from '../../../src/protocol/error-codes.js'
import { ApiVersionsApi, type ApiVersionsResponse } from '../../../src/protocol/messages/api-versions.js'
import type { KafkaServer } from '../../../src/server/kafka-server.js'
import { ClientQuotas } from '../../../src/server/quota/client-quotas.js'
import { startInProcessBroker } from '../../helpers/in-process-broker.js'
import { RawKafkaClient } from '../../helpers/raw-kafka-client.js'

const API_VERSIONS = ApiVersionsApi.apiKey
const WINDOW = { samples: 11, windowMs: 1000 }

function apiVersionsRequest(client: RawKafkaClient, correlationId: number, clientId: string): void {
  client.send(
    { requestApiKey: API_VERSIONS, requestApiVersion: 3, correlationId, clientId },
    { clientSoftwareName: 't', clientSoftwareVersion: '1' }
  )
}

describe('requests under a request_percentage quota (KIP-219)', () => {
  let server: KafkaServer
  let port: number
  const quotas = new ClientQuotas(WINDOW, WINDOW)
  before(async () => {
    ;({ server, port } = await startInProcessBroker({ quotas, shutdownGraceMs: 100 }))
    // A quota no request can stay within: every request earns the longest request throttle, one window.
    quotas.apply({
      version: 1n,
      quotas: [{ entity: { 'client-id': 'greedy' }, values: { request_percentage: 1e-9 } }]
    })
  })
  after(async () => {
    await server.shutdown()
  })

  it('answers at once with throttle_time_ms, then reads nothing more from the connection until it passes', async () => {
    const client = await RawKafkaClient.connect(port)
    try {
      const start = Date.now()
      // Pipelined: a client that ignores the throttle sends its next request right away.
      apiVersionsRequest(client, 1, 'greedy')
      const first = await client.nextResponse<ApiVersionsResponse>(API_VERSIONS, 3)
      const firstAfter = Date.now() - start
      assert.equal(first.body.errorCode, ErrorCode.NONE)
      assert.equal(first.body.throttleTimeMs, 1000)
      assert.ok(firstAfter < 500, `the throttled response itself is sent at once (${firstAfter} ms)`)
      apiVersionsRequest(client, 2, 'greedy')
      const second = await client.nextResponse<ApiVersionsResponse>(API_VERSIONS, 3)
      const secondAfter = Date.now() - start
      assert.equal(second.correlationId, 2)
      assert.ok(secondAfter >= 900, `the next request waited for the throttle (${secondAfter} ms)`)
    } finally {
      client.close()
    }
  })

  it('leaves other client ids unthrottled', async () => {
    const client = await RawKafkaClient.connect(port)
    try {
      const start = Date.now()
      for (let i = 0; i < 5; i++) {
        apiVersionsRequest(client, i, 'polite')
        const { body } = await client.nextResponse<ApiVersionsResponse>(API_VERSIONS, 3)
        assert.equal(body.throttleTimeMs, 0)
      }
      assert.ok(Date.now() - start < 900)
    } finally {
      client.close()
    }
  })
})
