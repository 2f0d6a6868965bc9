/**
 * Client quotas in a 2-broker cluster on etcd: a quota altered through one broker is described by, and
 * enforced on, the other (every broker follows the quotas in the metadata store).
 */

import assert from 'node:assert/strict'
import { mkdtemp } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import type { ClusterState } from '../../../src/cli/cluster-command.js'
import { ErrorCode } from '../../../src/protocol/error-codes.js'
import type { AlterClientQuotasResponse } from '../../../src/protocol/messages/alter-client-quotas.js'
import type { ApiVersionsResponse } from '../../../src/protocol/messages/api-versions.js'
import type { DescribeClientQuotasResponse } from '../../../src/protocol/messages/describe-client-quotas.js'
import { ensureEtcd } from '../../helpers/etcd-process.js'
import { RawKafkaClient } from '../../helpers/raw-kafka-client.js'
import { rawRequest } from '../../server/handlers/admin-request.js'
import { startCluster, stopCluster, waitFor } from './cluster-kit.js'

const skip = await ensureEtcd()

async function alter(port: number, clientId: string, key: string, value: number): Promise<number> {
  const response = await rawRequest<AlterClientQuotasResponse>(port, 49, 1, {
    entries: [
      { entity: [{ entityType: 'client-id', entityName: clientId }], ops: [{ key, value, remove: false }] }
    ],
    validateOnly: false
  })
  return response.entries[0]!.errorCode
}

async function quotaAt(port: number, clientId: string): Promise<{ key: string; value: number }[]> {
  const response = await rawRequest<DescribeClientQuotasResponse>(port, 48, 1, {
    components: [{ entityType: 'client-id', matchType: 0, match: clientId }],
    strict: true
  })
  return response.entries?.[0]?.values.map(({ key, value }) => ({ key, value })) ?? []
}

async function apiVersionsThrottle(port: number, clientId: string): Promise<number> {
  const client = await RawKafkaClient.connect(port)
  try {
    client.send(
      { requestApiKey: 18, requestApiVersion: 3, correlationId: 1, clientId },
      { clientSoftwareName: 't', clientSoftwareVersion: '1' }
    )
    return (await client.nextResponse<ApiVersionsResponse>(18, 3)).body.throttleTimeMs ?? 0
  } finally {
    client.close()
  }
}

describe('client quotas in a cluster on etcd', { skip, timeout: 120_000 }, () => {
  let dir = ''
  let state: ClusterState | undefined
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'samsa-quota-cluster-'))
    state = await startCluster(dir, 2, [])
  })
  after(() => stopCluster(dir, state))

  it('a quota altered through one broker is described and enforced by the other', async () => {
    const [first, second] = state!.brokers.map((b) => b.port) as [number, number]
    assert.equal(await alter(first, 'greedy', 'request_percentage', 1e-9), ErrorCode.NONE)
    // The broker that took the write answers once it applies it.
    assert.deepEqual(await quotaAt(first, 'greedy'), [{ key: 'request_percentage', value: 1e-9 }])
    await waitFor('the other broker to follow the quota', 10_000, async () =>
      (await quotaAt(second, 'greedy')).length > 0 ? true : undefined
    )
    assert.ok((await apiVersionsThrottle(second, 'greedy')) > 0, 'the other broker throttles greedy')
    assert.equal(await apiVersionsThrottle(second, 'polite'), 0)

    assert.equal(await alter(second, 'other', 'producer_byte_rate', 1024), ErrorCode.NONE)
    await waitFor('the first broker to follow the second quota', 10_000, async () =>
      (await quotaAt(first, 'other')).length > 0 ? true : undefined
    )
  })
})
