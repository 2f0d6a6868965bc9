/** `samsa topic create|list|describe|delete|alter-config|add-partitions`, as rpk topic and kafka-topics. */

import type { Admin } from '@platformatic/kafka'
import type { Command } from 'commander'
import { withAdmin } from '../kafka-session.js'
import { print, printRows } from '../output.js'
import { collect, type Flags, formatOf, intOption, keyValues, leaf } from './command-kit.js'

const TOPIC = 2

export function registerTopic(program: Command): void {
  const topic = program.command('topic').description('create, list, describe, alter and delete topics')

  leaf(topic, 'create <names...>', 'create topics')
    .option('-p, --partitions <n>', 'partitions (default: the broker default)')
    .option('-r, --replicas <n>', 'replication factor (default: the broker default)')
    .option('-c, --config <key=value>', 'topic config, repeatable', collect)
    .action(
      async (
        names: string[],
        flags: Flags & { partitions?: string; replicas?: string; config?: string[] }
      ) => {
        const format = formatOf(flags)
        const partitions = intOption(flags.partitions, '--partitions', 1) ?? -1
        const replicas = intOption(flags.replicas, '--replicas', 1) ?? -1
        const configs = keyValues(flags.config, '--config').map(([name, value]) => ({ name, value }))
        const created = await withAdmin(flags, (admin) =>
          admin.createTopics({ topics: names, partitions, replicas, configs })
        )
        printRows(
          format,
          created.map((t) => ({ topic: t.name, id: t.id, partitions: t.partitions, replicas: t.replicas }))
        )
      }
    )

  leaf(topic, 'list', 'list topics with their partition counts')
    .option('-i, --internal', 'include internal topics')
    .action(async (flags: Flags & { internal?: boolean }) => {
      const format = formatOf(flags)
      const rows = await withAdmin(flags, async (admin) => {
        const names = await admin.listTopics({ includeInternals: flags.internal === true })
        if (names.length === 0) return []
        const md = await admin.metadata({ topics: names, forceUpdate: true })
        return names.sort().map((name) => {
          const t = md.topics.get(name)
          return {
            name,
            partitions: t?.partitionsCount ?? 0,
            replicas: t?.partitions[0]?.replicas.length ?? 0
          }
        })
      })
      printRows(format, rows, ['name', 'partitions', 'replicas'])
    })

  leaf(topic, 'describe <name>', 'partitions with leader, replicas, ISR, offsets and size').action(
    async (name: string, flags: Flags) => {
      const format = formatOf(flags)
      const described = await withAdmin(flags, (admin) => describeTopic(admin, name))
      print(format, {
        data: described,
        tables: [
          { rows: [{ name: described.name, id: described.id, partitions: described.partitions.length }] },
          { rows: described.partitions }
        ]
      })
    }
  )

  leaf(topic, 'delete <names...>', 'delete topics').action(async (names: string[], flags: Flags) => {
    const format = formatOf(flags)
    await withAdmin(flags, (admin) => admin.deleteTopics({ topics: names }))
    printRows(
      format,
      names.map((n) => ({ topic: n, status: 'deleted' }))
    )
  })

  leaf(topic, 'alter-config <name>', 'set or delete topic configs (IncrementalAlterConfigs)')
    .option('-s, --set <key=value>', 'config to set, repeatable', collect)
    .option('-d, --delete <key>', 'config to remove (back to the default), repeatable', collect)
    .action(async (name: string, flags: Flags & { set?: string[]; delete?: string[] }) => {
      const format = formatOf(flags)
      const sets = keyValues(flags.set, '--set')
      await withAdmin(flags, (admin) =>
        admin.incrementalAlterConfigs({
          resources: [
            {
              resourceType: TOPIC,
              resourceName: name,
              configs: [
                ...sets.map(([n, value]) => ({ name: n, value, configOperation: 0 as const })),
                ...(flags.delete ?? []).map((n) => ({ name: n, configOperation: 1 as const }))
              ]
            }
          ]
        })
      )
      printRows(format, [
        ...sets.map(([key, value]) => ({ topic: name, key, value, status: 'set' })),
        ...(flags.delete ?? []).map((key) => ({ topic: name, key, value: null, status: 'deleted' }))
      ])
    })

  leaf(topic, 'add-partitions <name>', 'add partitions to a topic')
    .requiredOption('-n, --num <n>', 'how many partitions to add')
    .action(async (name: string, flags: Flags & { num: string }) => {
      const format = formatOf(flags)
      const add = intOption(flags.num, '--num', 1)!
      const total = await withAdmin(flags, async (admin) => {
        const md = await admin.metadata({ topics: [name], forceUpdate: true })
        const count = (md.topics.get(name)?.partitionsCount ?? 0) + add
        await admin.createPartitions({ topics: [{ name, count }] })
        return count
      })
      printRows(format, [{ topic: name, partitions: total }])
    })
}

export interface DescribedPartition {
  partition: number
  leader: number
  leaderEpoch: number
  replicas: number[]
  isr: number[]
  startOffset: bigint | null
  endOffset: bigint | null
  size: bigint | null
}

export async function describeTopic(admin: Admin, name: string) {
  const md = await admin.metadata({ topics: [name], forceUpdate: true })
  const t = md.topics.get(name)
  if (!t) throw new Error(`topic ${name} not found`)
  const indexes = t.partitions.map((_, i) => i)
  const offsets = async (timestamp: bigint) => {
    const listed = await admin.listOffsets({
      topics: [{ name, partitions: indexes.map((partitionIndex) => ({ partitionIndex, timestamp })) }]
    })
    return new Map(listed.flatMap((lt) => lt.partitions.map((p) => [p.partitionIndex, p.offset] as const)))
  }
  const [start, end] = await Promise.all([offsets(-2n), offsets(-1n)])
  // Each broker reports the size of the replicas it holds; the leader's is the partition's size.
  const sizes = new Map<string, bigint>()
  const logDirs = await admin.describeLogDirs({ topics: [{ name, partitions: indexes }] }).catch(() => [])
  for (const b of logDirs)
    for (const r of b.results)
      for (const lt of r.topics)
        for (const p of lt.partitions)
          if (!p.isFutureKey) sizes.set(`${b.broker}:${p.partitionIndex}`, p.partitionSize)
  const partitions: DescribedPartition[] = t.partitions.map((p, partition) => ({
    partition,
    leader: p.leader,
    leaderEpoch: p.leaderEpoch,
    replicas: p.replicas,
    isr: p.isr,
    startOffset: start.get(partition) ?? null,
    endOffset: end.get(partition) ?? null,
    size: sizes.get(`${p.leader}:${partition}`) ?? null
  }))
  return { name, id: t.id, partitions }
}
