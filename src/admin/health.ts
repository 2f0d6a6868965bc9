/**
 * Liveness, readiness and cluster health. /healthz answers while the process serves; /readyz only once the
 * broker is registered, its metadata loaded, its logs recovered and its Kafka listeners bound (503 with the
 * reasons until then); /v1/cluster/health is the cluster as this broker's metadata sees it, the fields of
 * `rpk cluster health`.
 */

import type { AdminSources } from './admin-sources.js'

/** Why the broker is not ready; empty when it is. */
export function notReadyReasons(sources: AdminSources): string[] {
  const reasons: string[] = []
  const cache = sources.metadataCache()
  if (cache === undefined) reasons.push('cluster metadata not loaded')
  else {
    const self = cache.broker(sources.config.nodeId)
    if (self === undefined) reasons.push(`broker ${sources.config.nodeId} not registered`)
    else if (self.fenced) reasons.push(`broker ${sources.config.nodeId} is fenced`)
  }
  if (!sources.logsRecovered()) reasons.push('log recovery not finished')
  const state = sources.server()?.lifecycleState
  if (state !== 'running') reasons.push(`Kafka listeners not serving (broker ${state ?? 'not built'})`)
  return reasons
}

export interface ClusterHealth {
  readonly isHealthy: boolean
  readonly controllerId: number | null
  readonly allNodes: number[]
  readonly nodesDown: number[]
  readonly leaderlessPartitions: string[]
  readonly leaderlessCount: number
  readonly underReplicatedPartitions: string[]
  readonly underReplicatedCount: number
  readonly unhealthyReasons: string[]
}

const LISTED = 100

export function clusterHealth(sources: AdminSources, controllerId: number | null): ClusterHealth {
  const cache = sources.metadataCache()
  if (cache === undefined) {
    return {
      isHealthy: false,
      controllerId,
      allNodes: [],
      nodesDown: [],
      leaderlessPartitions: [],
      leaderlessCount: 0,
      underReplicatedPartitions: [],
      underReplicatedCount: 0,
      unhealthyReasons: ['cluster metadata not loaded']
    }
  }
  const nodes = new Set<number>()
  const live = new Set(cache.liveBrokers().map((b) => b.nodeId))
  const leaderless: string[] = []
  const underReplicated: string[] = []
  for (const topic of cache.topics()) {
    for (const p of topic.partitions) {
      for (const r of p.replicas) nodes.add(r)
      const name = `${topic.name}/${p.partitionIndex}`
      if (p.leader < 0) leaderless.push(name)
      if (p.isr.length < p.replicas.length - (p.addingReplicas?.length ?? 0)) underReplicated.push(name)
    }
  }
  for (const id of live) nodes.add(id)
  nodes.add(sources.config.nodeId)
  const down = [...nodes].filter((id) => !live.has(id)).sort((a, b) => a - b)
  const reasons: string[] = []
  if (down.length > 0) reasons.push('nodes_down')
  if (leaderless.length > 0) reasons.push('leaderless_partitions')
  if (underReplicated.length > 0) reasons.push('under_replicated_partitions')
  if (controllerId === null) reasons.push('no_elected_controller')
  return {
    isHealthy: reasons.length === 0,
    controllerId,
    allNodes: [...nodes].sort((a, b) => a - b),
    nodesDown: down,
    leaderlessPartitions: leaderless.slice(0, LISTED),
    leaderlessCount: leaderless.length,
    underReplicatedPartitions: underReplicated.slice(0, LISTED),
    underReplicatedCount: underReplicated.length,
    unhealthyReasons: reasons
  }
}
