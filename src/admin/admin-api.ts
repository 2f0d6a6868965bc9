/**
 * The read-only JSON admin API under /v1 (documented in docs/admin-api.md): brokers, topics with their
 * partitions and offsets, groups with lag, configs, reassignments and cluster health. Each route names the
 * ACL operation and resource it reads, for the AdminAuthorizer hook.
 */

import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { describeBrokerConfigs } from '../server/admin/broker-config-description.js'
import { staticView } from '../server/admin/broker-config-view.js'
import type { AdminAuthorizer, AdminSources } from './admin-sources.js'
import { clusterHealth } from './health.js'
import { groupLags, groupSummaries } from './metrics/group-metrics.js'

/** The principal the admin listener authenticated (User:<name>), set by its Basic authentication hook. */
export function principalOf(request: FastifyRequest): string {
  return (request as FastifyRequest & { samsaPrincipal?: string }).samsaPrincipal ?? 'User:ANONYMOUS'
}

type Resource = { type: 'CLUSTER' | 'TOPIC' | 'GROUP'; name: string }
type Operation = 'DESCRIBE' | 'DESCRIBE_CONFIGS'

export function registerAdminApi(
  app: FastifyInstance,
  sources: AdminSources,
  authorizer: AdminAuthorizer
): void {
  const permits = (request: FastifyRequest, operation: Operation, resource: Resource) =>
    authorizer.authorize(principalOf(request), operation, resource)
  /** 403 unless the authorizer allows `operation` on `resource` for the request's principal. */
  const allowed = (
    request: FastifyRequest,
    reply: FastifyReply,
    operation: Operation,
    resource: Resource
  ) => {
    if (permits(request, operation, resource)) return true
    void reply.code(403).send({ error: 'not authorized', operation, resource })
    return false
  }
  const cluster: Resource = { type: 'CLUSTER', name: 'kafka-cluster' }
  const cache = (reply: FastifyReply) => {
    const c = sources.metadataCache()
    if (c === undefined) void reply.code(503).send({ error: 'cluster metadata not loaded' })
    return c
  }

  app.get('/v1/cluster/health', async (request, reply) => {
    if (!allowed(request, reply, 'DESCRIBE', cluster)) return reply
    const id = sources.controllerId()
    return clusterHealth(sources, id >= 0 ? id : null)
  })

  app.get('/v1/brokers', async (request, reply) => {
    if (!allowed(request, reply, 'DESCRIBE', cluster)) return reply
    const c = cache(reply)
    if (c === undefined) return reply
    const controllerId = sources.controllerId()
    return c.liveBrokers().map((b) => ({
      nodeId: b.nodeId,
      host: b.host,
      port: b.port,
      rack: b.rack,
      fenced: b.fenced,
      isController: b.nodeId === controllerId,
      listeners: b.listeners
    }))
  })

  app.get('/v1/brokers/config', async (request, reply) => {
    if (!allowed(request, reply, 'DESCRIBE_CONFIGS', cluster)) return reply
    return describeBrokerConfigs(sources.brokerConfigView?.() ?? staticView(sources.config)).map((c) => ({
      name: c.name,
      value: c.value,
      sensitive: c.isSensitive,
      source: c.source
    }))
  })

  app.get('/v1/topics', async (request, reply) => {
    const c = cache(reply)
    if (c === undefined) return reply
    const out = []
    for (const t of c.topics()) {
      if (!permits(request, 'DESCRIBE', { type: 'TOPIC', name: t.name })) continue
      out.push({
        name: t.name,
        topicId: String(t.topicId),
        partitions: t.partitions.length,
        replicationFactor: t.partitions[0]?.replicas.length ?? 0
      })
    }
    return out.sort((a, b) => a.name.localeCompare(b.name))
  })

  app.get<{ Params: { topic: string } }>('/v1/topics/:topic', async (request, reply) => {
    const name = request.params.topic
    if (!allowed(request, reply, 'DESCRIBE', { type: 'TOPIC', name })) return reply
    const c = cache(reply)
    if (c === undefined) return reply
    const t = c.topicByName(name)
    if (t === undefined) return reply.code(404).send({ error: `topic ${name} does not exist` })
    const rm = sources.replicaManager()
    return {
      name: t.name,
      topicId: String(t.topicId),
      configs: c.topicConfigs(t.topicId),
      partitions: t.partitions.map((p) => {
        const local = rm?.onlinePartition(t.name, p.partitionIndex)
        return {
          partition: p.partitionIndex,
          leader: p.leader,
          leaderEpoch: p.leaderEpoch,
          replicas: p.replicas,
          isr: p.isr,
          // Offsets are known where this broker holds a replica; ask the leader's admin listener otherwise.
          offsets:
            local === undefined
              ? null
              : {
                  start: local.logStartOffset,
                  end: local.logEndOffset,
                  highWatermark: local.highWatermark,
                  lastStable: local.lastStableOffset,
                  sizeBytes: local.logSize,
                  fromLeader: local.isLeader
                }
        }
      })
    }
  })

  app.get<{ Params: { topic: string } }>('/v1/topics/:topic/configs', async (request, reply) => {
    const name = request.params.topic
    if (!allowed(request, reply, 'DESCRIBE_CONFIGS', { type: 'TOPIC', name })) return reply
    const c = cache(reply)
    if (c === undefined) return reply
    const t = c.topicByName(name)
    if (t === undefined) return reply.code(404).send({ error: `topic ${name} does not exist` })
    return c.topicConfigs(t.topicId)
  })

  app.get('/v1/groups', async (request) => {
    const lags = groupLags(sources)
    return groupSummaries(sources)
      .filter((g) => permits(request, 'DESCRIBE', { type: 'GROUP', name: g.group }))
      .map((g) => ({
        ...g,
        totalLag: lags.filter((l) => l.group === g.group).reduce((sum, l) => sum + l.lag, 0)
      }))
  })

  app.get<{ Params: { group: string } }>('/v1/groups/:group', async (request, reply) => {
    const group = request.params.group
    if (!allowed(request, reply, 'DESCRIBE', { type: 'GROUP', name: group })) return reply
    const summary = groupSummaries(sources).find((g) => g.group === group)
    if (summary === undefined)
      return reply.code(404).send({ error: `group ${group} is not coordinated by this broker` })
    const offsets = groupLags(sources)
      .filter((l) => l.group === group)
      .map((l) => ({
        topic: l.topic,
        partition: l.partition,
        committedOffset: l.committedOffset,
        highWatermark: l.highWatermark,
        lag: l.lag
      }))
    return { ...summary, offsets }
  })

  app.get('/v1/reassignments', async (request, reply) => {
    if (!allowed(request, reply, 'DESCRIBE', cluster)) return reply
    const c = cache(reply)
    if (c === undefined) return reply
    const out = []
    for (const t of c.topics()) {
      for (const p of t.partitions) {
        if ((p.addingReplicas?.length ?? 0) === 0 && (p.removingReplicas?.length ?? 0) === 0) continue
        out.push({
          topic: t.name,
          partition: p.partitionIndex,
          replicas: p.replicas,
          addingReplicas: p.addingReplicas ?? [],
          removingReplicas: p.removingReplicas ?? []
        })
      }
    }
    return out
  })
}
