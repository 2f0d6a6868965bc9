import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { createLogger } from '../../../src/common/logger.js'
import { KafkaConfig } from '../../../src/config/kafka-config.js'
import { ErrorCode } from '../../../src/protocol/error-codes.js'
import { ApiVersionsApi, type ApiVersionsResponse } from '../../../src/protocol/messages/api-versions.js'
import { MetadataApi } from '../../../src/protocol/messages/metadata.js'
import { ApiRegistry } from '../../../src/server/api-registry.js'
import { apiVersionsHandler } from '../../../src/server/handlers/api-versions.js'
import { RequestContext } from '../../../src/server/request-context.js'

const registry = new ApiRegistry([
  apiVersionsHandler,
  { api: MetadataApi, minVersion: 0, maxVersion: 12, handle: () => ({}) }
])

function ctx(version: number): RequestContext {
  return new RequestContext(
    { requestApiKey: ApiVersionsApi.apiKey, requestApiVersion: version, correlationId: 1, clientId: 'test' },
    { connectionId: 'c', listenerName: 'PLAINTEXT', clientAddress: '127.0.0.1', clientPort: 1 },
    { config: new KafkaConfig(), logger: createLogger('silent'), apiRegistry: registry }
  )
}

describe('apiVersionsHandler', () => {
  it('advertises the ranges of the registered handlers', () => {
    const res = apiVersionsHandler.handle({}, ctx(0)) as ApiVersionsResponse
    assert.equal(res.errorCode, ErrorCode.NONE)
    assert.deepEqual(res.apiKeys, [
      { apiKey: 3, minVersion: 0, maxVersion: 12 },
      { apiKey: 18, minVersion: 0, maxVersion: 4 }
    ])
  })

  it('accepts KIP-511 client software names and rejects malformed ones with INVALID_REQUEST', () => {
    const ok = apiVersionsHandler.handle(
      { clientSoftwareName: 'apache-kafka-java', clientSoftwareVersion: '3.7.0' },
      ctx(3)
    ) as ApiVersionsResponse
    assert.equal(ok.errorCode, ErrorCode.NONE)
    assert.deepEqual(ok.supportedFeatures, [])
    const bad = apiVersionsHandler.handle(
      { clientSoftwareName: 'bad name!', clientSoftwareVersion: '1.0' },
      ctx(3)
    ) as ApiVersionsResponse
    assert.equal(bad.errorCode, ErrorCode.INVALID_REQUEST)
    assert.deepEqual(bad.apiKeys, [])
  })

  it('does not validate software names before v3, where the request has none', () => {
    const res = apiVersionsHandler.handle({}, ctx(2)) as ApiVersionsResponse
    assert.equal(res.errorCode, ErrorCode.NONE)
  })
})
