/** `samsa cluster info|health`: brokers, racks, controller and cluster id; leaderless and under-replicated partitions. */

import type { Admin } from '@platformatic/kafka'
import type { Command } from 'commander'
import { withAdmin } from '../kafka-session.js'
import { print } from '../output.js'
import { type Flags, formatOf, leaf } from './command-kit.js'

export async function clusterHealth(admin: Admin) {
  const topics = await admin.listTopics({ includeInternals: true })
  const md = await admin.metadata({ topics, forceUpdate: true })
  const leaderless: { topic: string; partition: number }[] = []
  const underReplicated: { topic: string; partition: number; replicas: number[]; isr: number[] }[] = []
  for (const topic of topics) {
    // Ask by name: the client's topic map may hold entries it has not filled.
    const t = md.topics.get(topic)
    if (!t) continue
    t.partitions.forEach((p, partition) => {
      if (p.leader < 0) leaderless.push({ topic, partition })
      if (p.isr.length < p.replicas.length)
        underReplicated.push({ topic, partition, replicas: p.replicas, isr: p.isr })
    })
  }
  return {
    healthy: leaderless.length === 0 && underReplicated.length === 0,
    controllerId: md.controllerId,
    brokers: [...md.brokers.keys()].sort((a, b) => a - b),
    leaderlessPartitions: leaderless,
    underReplicatedPartitions: underReplicated
  }
}

export function registerClusterInfo(program: Command): void {
  const cluster = program.command('cluster').description('cluster information and health')

  leaf(cluster, 'info', 'brokers, racks, controller and cluster id').action(async (flags: Flags) => {
    const format = formatOf(flags)
    const md = await withAdmin(flags, (admin) => admin.metadata({ topics: [], forceUpdate: true }))
    const brokers = [...md.brokers]
      .sort(([a], [b]) => a - b)
      .map(([id, b]) => ({
        id,
        host: b.host,
        port: b.port,
        rack: b.rack,
        controller: id === md.controllerId
      }))
    const data = { clusterId: md.id, controllerId: md.controllerId, brokers }
    print(format, {
      data,
      tables: [{ rows: [{ clusterId: md.id, controllerId: md.controllerId }] }, { rows: brokers }]
    })
  })

  leaf(cluster, 'health', 'leaderless and under-replicated partitions, from Metadata').action(
    async (flags: Flags) => {
      const format = formatOf(flags)
      const h = await withAdmin(flags, clusterHealth)
      print(format, {
        data: h,
        tables: [
          {
            rows: [
              {
                healthy: h.healthy,
                controllerId: h.controllerId,
                brokers: h.brokers.join(','),
                leaderless: h.leaderlessPartitions.length,
                underReplicated: h.underReplicatedPartitions.length
              }
            ]
          },
          ...(h.leaderlessPartitions.length ? [{ title: 'leaderless', rows: h.leaderlessPartitions }] : []),
          ...(h.underReplicatedPartitions.length
            ? [{ title: 'under-replicated', rows: h.underReplicatedPartitions }]
            : [])
        ]
      })
    }
  )
}
