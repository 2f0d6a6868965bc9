/**
 * The admin listener on a 3-broker etcd cluster: a SIGKILLed follower shows within seconds in its leader's
 * samsa_partitions_under_replicated and in /v1/cluster/health (node down, partition under-replicated).
 */

import assert from 'node:assert/strict'
import { mkdtemp } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import type { ClusterState } from '../../../src/cli/cluster-command.js'
import { parsePrometheusText, sampleValue } from '../../admin/prometheus-text.js'
import { ensureEtcd } from '../../helpers/etcd-process.js'
import { kcatProduce } from '../support/kcat.js'
import { partitionOf, startReplicatedCluster, stopCluster, waitFor } from './cluster-kit.js'

const TOPIC = 'watched'

interface Health {
  isHealthy: boolean
  nodesDown: number[]
  underReplicatedPartitions: string[]
  unhealthyReasons: string[]
}

describe('admin listener: a killed follower in metrics and cluster health', async () => {
  const skip = await ensureEtcd()
  let dir = ''
  let state: ClusterState | undefined

  before(async () => {
    if (skip) return
    dir = await mkdtemp(join(tmpdir(), 'samsa-admin-health-'))
    state = await startReplicatedCluster(dir, TOPIC, [
      'broker.session.timeout.ms=3000',
      'replica.lag.time.max.ms=2000'
    ])
  })

  after(async () => {
    if (skip) return
    await stopCluster(dir, state)
  })

  it('shows in samsa_partitions_under_replicated and /v1/cluster/health within seconds', {
    skip
  }, async (t) => {
    const adminOf = (nodeId: number) => state!.brokers.find((b) => b.nodeId === nodeId)!.adminUrl!
    const p = await waitFor('every replica in the ISR', 20_000, async () => {
      const q = await partitionOf(state!.bootstrap, TOPIC)
      return q.isrs.length === 3 ? q : undefined
    })
    const leaderAdmin = adminOf(p.leader)
    const healthy = (await (await fetch(`${leaderAdmin}/v1/cluster/health`)).json()) as Health
    assert.equal(healthy.isHealthy, true, JSON.stringify(healthy))
    const metricsBefore = parsePrometheusText(await (await fetch(`${leaderAdmin}/metrics`)).text())
    assert.equal(sampleValue(metricsBefore, 'samsa_partitions_under_replicated'), 0)

    const victim = state!.brokers.find((b) => b.nodeId !== p.leader && b.nodeId !== 0)!
    const killedAt = Date.now()
    process.kill(victim.pid, 'SIGKILL')
    await waitFor('the leader to count the partition under-replicated', 20_000, async () => {
      const samples = parsePrometheusText(await (await fetch(`${leaderAdmin}/metrics`)).text())
      return (sampleValue(samples, 'samsa_partitions_under_replicated') ?? 0) >= 1 ? true : undefined
    })
    const metricsMs = Date.now() - killedAt
    const health = await waitFor('cluster health to report the node down', 20_000, async () => {
      const h = (await (await fetch(`${leaderAdmin}/v1/cluster/health`)).json()) as Health
      return h.nodesDown.includes(victim.nodeId) ? h : undefined
    })
    const healthMs = Date.now() - killedAt
    t.diagnostic(`under-replicated after ${metricsMs} ms, node down in health after ${healthMs} ms`)
    assert.equal(health.isHealthy, false)
    assert.ok(health.underReplicatedPartitions.includes(`${TOPIC}/0`), JSON.stringify(health))
    assert.ok(health.unhealthyReasons.includes('nodes_down'))
    assert.ok(metricsMs < 15_000 && healthMs < 15_000)

    // Records the dead follower misses are its lag, in records and in bytes, as the leader sees it.
    const leaderPort = state!.brokers.find((b) => b.nodeId === p.leader)!.port
    await kcatProduce(
      `127.0.0.1:${leaderPort}`,
      TOPIC,
      Array.from({ length: 5 }, (_, i) => ({ key: null, value: Buffer.from(`missed-${i}`) })),
      { partition: 0 }
    )
    const lagged = { topic: TOPIC, partition: '0', replica: String(victim.nodeId) }
    const samples = parsePrometheusText(await (await fetch(`${leaderAdmin}/metrics`)).text())
    assert.equal(sampleValue(samples, 'samsa_follower_lag_records', lagged), 5)
    const size = sampleValue(samples, 'samsa_log_size_bytes', { topic: TOPIC, partition: '0' })
    assert.equal(sampleValue(samples, 'samsa_follower_lag_bytes', lagged), size)
  })
})
