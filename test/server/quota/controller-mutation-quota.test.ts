/**
 * The KIP-599 wrappers around a stand-in controller handler (the wrapper is what is tested): which topics
 * reach the controller, what the others are answered, what is counted, and the throttle.
 */

import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { createLogger } from '../../../src/common/logger.js'
import { KafkaConfig } from '../../../src/config/kafka-config.js'
import { ZERO_UUID } from '../../../src/protocol/codec-runtime.js'
import { ErrorCode } from '../../../src/protocol/error-codes.js'
import {
  CreatePartitionsApi,
  type CreatePartitionsRequest,
  type CreatePartitionsResponse
} from '../../../src/protocol/messages/create-partitions.js'
import {
  DeleteTopicsApi,
  type DeleteTopicsRequest,
  type DeleteTopicsResponse
} from '../../../src/protocol/messages/delete-topics.js'
import { ApiRegistry } from '../../../src/server/api-registry.js'
import { ClientQuotaManager } from '../../../src/server/quota/client-quota-manager.js'
import {
  withCreatePartitionsMutationQuota,
  withDeleteTopicsMutationQuota
} from '../../../src/server/quota/controller-mutation-quota.js'
import { RequestContext } from '../../../src/server/request-context.js'

const WINDOW = { samples: 11, windowMs: 1000 }
const PARTITIONS = new Map([
  ['a', 30],
  ['b', 2],
  ['c', 4]
])
const IDS = new Map([['id-of-b', 'b']])
const lookup = {
  partitionCount: (t: { name?: string | null; topicId?: string }) =>
    PARTITIONS.get(t.name ?? IDS.get(t.topicId ?? '') ?? ''),
  defaultNumPartitions: 1
}

function context(apiKey: number, version: number, throttles: number[]): RequestContext {
  return new RequestContext(
    { requestApiKey: apiKey, requestApiVersion: version, correlationId: 1, clientId: 'app' },
    {
      connectionId: 'c',
      listenerName: 'PLAINTEXT',
      clientAddress: '127.0.0.1',
      clientPort: 1,
      throttle: (ms) => throttles.push(ms)
    },
    { config: new KafkaConfig(), logger: createLogger('silent'), apiRegistry: new ApiRegistry() }
  )
}

function quota(): ClientQuotaManager {
  const q = new ClientQuotaManager('controller_mutation_rate', WINDOW, () => 0)
  q.update([{ entity: { 'client-id': 'app' }, values: { controller_mutation_rate: 1 } }])
  return q
}

describe('controller mutation quota wrappers', () => {
  it('DeleteTopics v6: topics by id and by name, refused once over the quota, failed ones given back', async () => {
    const seen: DeleteTopicsRequest[] = []
    const inner = {
      api: DeleteTopicsApi,
      minVersion: 0,
      maxVersion: 6,
      handle: (request: DeleteTopicsRequest): DeleteTopicsResponse => {
        seen.push(request)
        // The controller answers by name, failures last, as the real handler does.
        return {
          throttleTimeMs: 0,
          responses: (request.topics ?? []).map((t) => ({
            name: t.name ?? IDS.get(t.topicId) ?? null,
            topicId: t.topicId,
            errorCode: t.name === 'c' ? ErrorCode.UNKNOWN_TOPIC_OR_PARTITION : ErrorCode.NONE,
            errorMessage: null
          }))
        }
      }
    }
    const q = quota()
    const throttles: number[] = []
    const handler = withDeleteTopicsMutationQuota(inner, q, lookup)
    // c fails at the controller and gives its 4 back; b (by id, 2) is within; a (30) is then over.
    const first = (await handler.handle(
      {
        topics: [
          { name: 'c', topicId: ZERO_UUID },
          { name: null, topicId: 'id-of-b' }
        ],
        timeoutMs: 1000
      },
      context(DeleteTopicsApi.apiKey, 6, throttles)
    )) as DeleteTopicsResponse
    assert.deepEqual(
      first.responses.map((r) => r.errorCode),
      [ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, ErrorCode.NONE]
    )
    assert.equal(Math.round(q.measuredRate('ANONYMOUS', 'app') * 10), 2, 'only b counts: 2 over 10 s')
    const second = (await handler.handle(
      {
        topics: [
          { name: 'a', topicId: ZERO_UUID },
          { name: 'b', topicId: ZERO_UUID }
        ],
        timeoutMs: 1000
      },
      context(DeleteTopicsApi.apiKey, 6, throttles)
    )) as DeleteTopicsResponse
    assert.deepEqual(
      second.responses.map((r) => [r.name, r.errorCode]),
      [
        ['a', ErrorCode.NONE],
        ['b', ErrorCode.THROTTLING_QUOTA_EXCEEDED]
      ]
    )
    assert.deepEqual(
      seen.at(-1)?.topics?.map((t) => t.name),
      ['a'],
      'the refused topic never reaches the controller'
    )
    assert.ok((second.throttleTimeMs ?? 0) > 0)
    assert.equal(throttles.at(-1), second.throttleTimeMs, 'the connection is muted for the throttle')
  })

  it('CreatePartitions before v3 serves every topic and only throttles; new partitions are what counts', async () => {
    const inner = {
      api: CreatePartitionsApi,
      minVersion: 0,
      maxVersion: 3,
      handle: (request: CreatePartitionsRequest): CreatePartitionsResponse => ({
        throttleTimeMs: 0,
        results: request.topics.map((t) => ({ name: t.name, errorCode: ErrorCode.NONE, errorMessage: null }))
      })
    }
    const q = quota()
    const handler = withCreatePartitionsMutationQuota(inner, q, lookup)
    const request = (count: number): CreatePartitionsRequest => ({
      topics: [{ name: 'b', count, assignments: null }],
      timeoutMs: 1000,
      validateOnly: false
    })
    await handler.handle(request(22), context(CreatePartitionsApi.apiKey, 2, []))
    assert.equal(Math.round(q.measuredRate('ANONYMOUS', 'app') * 10), 20, '22 - 2 new partitions')
    const again = (await handler.handle(
      request(23),
      context(CreatePartitionsApi.apiKey, 2, [])
    )) as CreatePartitionsResponse
    assert.deepEqual(
      again.results.map((r) => r.errorCode),
      [ErrorCode.NONE]
    )
    assert.ok(again.throttleTimeMs > 0)
    const validateOnly = (await handler.handle(
      { ...request(40), validateOnly: true },
      context(CreatePartitionsApi.apiKey, 3, [])
    )) as CreatePartitionsResponse
    assert.deepEqual(
      validateOnly.results.map((r) => r.errorCode),
      [ErrorCode.NONE],
      'validate_only is not counted nor refused'
    )
  })
})
