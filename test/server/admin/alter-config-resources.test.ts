/**
 * The request flow AlterConfigs and IncrementalAlterConfigs share (src/server/admin/alter-config-resources.ts),
 * against a real broker through raw frames: one result per resource in request order, INVALID_REQUEST for
 * every occurrence of a resource named twice, each other resource altered (or failed) on its own, and
 * validateOnly changing nothing. Forwarding from a non-controller is covered by the 3-broker cluster test.
 */

import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import type { AlterConfigsResponse } from '../../../src/protocol/messages/alter-configs.js'
import type { DescribeConfigsResponse } from '../../../src/protocol/messages/describe-configs.js'
import type { IncrementalAlterConfigsResponse } from '../../../src/protocol/messages/incremental-alter-configs.js'
import { rawCreateTopics, rawRequest } from '../../e2e/support/raw-requests.js'
import { BrokerProcess } from '../../helpers/broker-process.js'

const TOPIC = 2
const INVALID_REQUEST = 42
const INVALID_CONFIG = 40
const UNKNOWN_TOPIC_OR_PARTITION = 3
const SET = 0

type Results = AlterConfigsResponse['responses']

describe('AlterConfigs and IncrementalAlterConfigs: the shared per-resource flow', () => {
  let broker: BrokerProcess

  const retentionOf = async (topic: string): Promise<string | null | undefined> => {
    const res = await rawRequest<DescribeConfigsResponse>(broker.port, 32, 1, {
      resources: [{ resourceType: TOPIC, resourceName: topic, configurationKeys: ['retention.ms'] }],
      includeSynonyms: false
    })
    return res.results[0]?.configs.find((c) => c.name === 'retention.ms')?.value
  }

  /** The same resources for either API: `dup` twice, a valid change, a missing topic, an invalid value. */
  const resources = (config: (value: string) => object, okValue: string) => [
    { resourceType: TOPIC, resourceName: 'dup', configs: [config('1000')] },
    { resourceType: TOPIC, resourceName: 'ok', configs: [config(okValue)] },
    { resourceType: TOPIC, resourceName: 'dup', configs: [config('3000')] },
    { resourceType: TOPIC, resourceName: 'missing', configs: [config('4000')] },
    { resourceType: TOPIC, resourceName: 'ok-too', configs: [config('x')] }
  ]

  const assertResults = (results: Results) => {
    assert.deepEqual(
      results.map((r) => [r.resourceName, r.errorCode]),
      [
        ['dup', INVALID_REQUEST],
        ['ok', 0],
        ['dup', INVALID_REQUEST],
        ['missing', UNKNOWN_TOPIC_OR_PARTITION],
        ['ok-too', INVALID_CONFIG]
      ]
    )
    assert.equal(results[0]?.errorMessage, 'Each resource must appear at most once.')
    assert.equal(results[1]?.errorMessage, null)
    assert.match(results[3]?.errorMessage ?? '', /missing/)
    assert.match(results[4]?.errorMessage ?? '', /retention\.ms/)
  }

  before(async () => {
    broker = await BrokerProcess.start()
    const created = await rawCreateTopics(
      broker.port,
      ['dup', 'ok', 'ok-too'].map((name) => ({ name, numPartitions: 1, replicationFactor: 1 }))
    )
    assert.deepEqual(
      created.map((t) => t.errorCode),
      [0, 0, 0]
    )
  })

  after(async () => {
    await broker?.stop()
  })

  it('AlterConfigs: one result per resource, duplicates rejected, the others altered one by one', async () => {
    const body = (validateOnly: boolean) => ({
      resources: resources((value) => ({ name: 'retention.ms', value }), '2000'),
      validateOnly
    })
    const checked = await rawRequest<AlterConfigsResponse>(broker.port, 33, 1, body(true))
    assertResults(checked.responses)
    assert.equal(await retentionOf('ok'), '604800000', 'validateOnly changes nothing')

    const altered = await rawRequest<AlterConfigsResponse>(broker.port, 33, 1, body(false))
    assertResults(altered.responses)
    assert.equal(await retentionOf('ok'), '2000')
    assert.equal(await retentionOf('dup'), '604800000', 'a duplicated resource is not altered')
  })

  it('IncrementalAlterConfigs: the same flow', async () => {
    const body = (validateOnly: boolean) => ({
      resources: resources((value) => ({ name: 'retention.ms', configOperation: SET, value }), '5000'),
      validateOnly
    })
    const checked = await rawRequest<IncrementalAlterConfigsResponse>(broker.port, 44, 1, body(true))
    assertResults(checked.responses)
    assert.equal(await retentionOf('ok'), '2000', 'validateOnly changes nothing')

    const altered = await rawRequest<IncrementalAlterConfigsResponse>(broker.port, 44, 1, body(false))
    assertResults(altered.responses)
    assert.equal(await retentionOf('ok'), '5000')
    assert.equal(await retentionOf('dup'), '604800000', 'a duplicated resource is not altered')
  })

  it('resource types: BROKER refuses static keys, unknown types are refused, in both APIs', async () => {
    const legacy = (resources: object[]) =>
      rawRequest<AlterConfigsResponse>(broker.port, 33, 1, { resources, validateOnly: false })
    const empty = await legacy([{ resourceType: 4, resourceName: '', configs: [] }])
    assert.equal(empty.responses[0]?.errorCode, 0, 'an empty broker change is accepted')
    const refused = await legacy([
      { resourceType: 4, resourceName: '', configs: [{ name: 'log.dirs', value: '/tmp/x' }] },
      { resourceType: 99, resourceName: 'x', configs: [] }
    ])
    assert.deepEqual(
      refused.responses.map((r) => r.errorCode),
      [INVALID_REQUEST, INVALID_REQUEST]
    )
    assert.match(
      refused.responses[0]?.errorMessage ?? '',
      /^Cannot update these configs dynamically: Set\(log\.dirs\)$/
    )
    assert.equal(refused.responses[1]?.errorMessage, 'Unknown resource type 99')

    const incremental = await rawRequest<IncrementalAlterConfigsResponse>(broker.port, 44, 1, {
      resources: [
        {
          resourceType: 4,
          resourceName: '',
          configs: [{ name: 'log.retention.ms', configOperation: 7, value: '1' }]
        },
        { resourceType: 99, resourceName: 'x', configs: [] }
      ],
      validateOnly: false
    })
    assert.deepEqual(
      incremental.responses.map((r) => r.errorCode),
      [INVALID_REQUEST, INVALID_REQUEST]
    )
    assert.equal(incremental.responses[0]?.errorMessage, 'Unknown operations type 7')
    assert.equal(incremental.responses[1]?.errorMessage, 'Unknown resource type 99')
  })
})
