/**
 * Dynamic broker configs in a 2-broker cluster on etcd: a cluster-wide default set through one broker takes
 * effect on the other (its BROKER resource and its topics' inherited values report it), a per-broker value
 * stays with the broker it names, and a BROKER resource naming another broker is refused by the one that
 * receives it.
 */

import assert from 'node:assert/strict'
import { mkdtemp } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import type { ClusterState } from '../../../src/cli/cluster-command.js'
import type { DescribeConfigsResponse } from '../../../src/protocol/messages/describe-configs.js'
import type { IncrementalAlterConfigsResponse } from '../../../src/protocol/messages/incremental-alter-configs.js'
import { ensureEtcd } from '../../helpers/etcd-process.js'
import { rawCreateTopics, rawRequest } from '../support/raw-requests.js'
import { startCluster, stopCluster, waitFor } from './cluster-kit.js'

const skip = await ensureEtcd()
const BROKER = 4
const TOPIC = 2
const SET = 0
const DYNAMIC_BROKER = 2
const DYNAMIC_DEFAULT_BROKER = 3

const alter = async (port: number, resourceName: string, name: string, value: string) => {
  const res = await rawRequest<IncrementalAlterConfigsResponse>(port, 44, 1, {
    resources: [{ resourceType: BROKER, resourceName, configs: [{ name, configOperation: SET, value }] }],
    validateOnly: false
  })
  return res.responses[0]!
}

const describeOne = async (port: number, resourceType: number, resourceName: string, key: string) => {
  const res = await rawRequest<DescribeConfigsResponse>(port, 32, 4, {
    resources: [{ resourceType, resourceName, configurationKeys: [key] }],
    includeSynonyms: false,
    includeDocumentation: false
  })
  return res.results[0]?.configs[0]
}

describe('dynamic broker configs in a cluster on etcd', { skip, timeout: 120_000 }, () => {
  let dir = ''
  let state: ClusterState | undefined
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'samsa-dynamic-cluster-'))
    state = await startCluster(dir, 2, [])
  })
  after(() => stopCluster(dir, state))

  it('a default set on one broker takes effect on the other; per-broker values stay with their broker', async () => {
    const [one, two] = state!.brokers
    await rawCreateTopics(one!.port, [{ name: 'inherits', numPartitions: 1, replicationFactor: 2 }])

    const set = await alter(one!.port, '', 'log.retention.ms', '3600000')
    assert.equal(set.errorCode, 0, set.errorMessage ?? '')
    const seen = await waitFor('broker 2 applies the default', 10_000, async () => {
      const c = await describeOne(two!.port, BROKER, String(two!.nodeId), 'log.retention.ms')
      return c?.value === '3600000' ? c : undefined
    })
    assert.equal(seen.configSource, DYNAMIC_DEFAULT_BROKER)
    const topic = await waitFor('broker 2 describes the inherited retention', 10_000, async () => {
      const c = await describeOne(two!.port, TOPIC, 'inherits', 'retention.ms')
      return c?.value === '3600000' ? c : undefined
    })
    assert.equal(topic.configSource, DYNAMIC_DEFAULT_BROKER)

    const own = await alter(two!.port, String(two!.nodeId), 'log.retention.ms', '7200000')
    assert.equal(own.errorCode, 0, own.errorMessage ?? '')
    const onTwo = await describeOne(two!.port, BROKER, String(two!.nodeId), 'log.retention.ms')
    assert.deepEqual([onTwo?.value, onTwo?.configSource], ['7200000', DYNAMIC_BROKER])
    await new Promise((r) => setTimeout(r, 500))
    const onOne = await describeOne(one!.port, BROKER, String(one!.nodeId), 'log.retention.ms')
    assert.deepEqual([onOne?.value, onOne?.configSource], ['3600000', DYNAMIC_DEFAULT_BROKER])

    // A request mixing TOPIC and BROKER resources, through the controller and through the other broker: the
    // topic resource is forwarded to the controller, the broker resource is handled where it arrives.
    for (const [i, b] of [one!, two!].entries()) {
      const mixed = await rawRequest<IncrementalAlterConfigsResponse>(b.port, 44, 1, {
        resources: [
          {
            resourceType: TOPIC,
            resourceName: 'inherits',
            configs: [{ name: 'segment.ms', configOperation: SET, value: String(600_000 + i) }]
          },
          {
            resourceType: BROKER,
            resourceName: '',
            configs: [{ name: 'background.threads', configOperation: SET, value: String(4 + i) }]
          }
        ],
        validateOnly: false
      })
      assert.deepEqual(
        mixed.responses.map((r) => [r.resourceType, r.errorCode, r.errorMessage]),
        [
          [TOPIC, 0, null],
          [BROKER, 0, null]
        ]
      )
      const segment = await waitFor('the topic change is visible', 10_000, async () => {
        const c = await describeOne(b.port, TOPIC, 'inherits', 'segment.ms')
        return c?.value === String(600_000 + i) ? c : undefined
      })
      assert.equal(segment.value, String(600_000 + i))
    }

    const elsewhere = await alter(one!.port, String(two!.nodeId), 'log.retention.ms', '1')
    assert.equal(elsewhere.errorCode, 42)
    assert.match(elsewhere.errorMessage ?? '', /Unexpected broker id/)
  })
})
