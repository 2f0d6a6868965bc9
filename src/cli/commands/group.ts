/** `samsa group list|describe|reset-offsets|delete`, as rpk group and kafka-consumer-groups. */

import type { Command } from 'commander'
import { UsageError } from '../cli-errors.js'
import { io } from '../cli-io.js'
import { withAdmin } from '../kafka-session.js'
import { print, printRows } from '../output.js'
import { collect, type Flags, formatOf, leaf } from './command-kit.js'
import { committedOffsets, describeGroup, listOffsetsAt } from './group-offsets.js'

interface ResetFlags extends Flags {
  topic: string[]
  toEarliest?: boolean
  toLatest?: boolean
  toDatetime?: string
  toOffset?: string
  shiftBy?: string
  dryRun?: boolean
  execute?: boolean
}

type Target =
  | { kind: 'earliest' | 'latest' }
  | { kind: 'time'; ms: bigint }
  | { kind: 'offset' | 'shift'; n: bigint }

function resetTarget(f: ResetFlags): Target {
  const chosen: Target[] = []
  if (f.toEarliest) chosen.push({ kind: 'earliest' })
  if (f.toLatest) chosen.push({ kind: 'latest' })
  if (f.toDatetime !== undefined) {
    const ms = /^\d+$/.test(f.toDatetime) ? Number(f.toDatetime) : Date.parse(f.toDatetime)
    if (Number.isNaN(ms)) throw new UsageError(`--to-datetime ${f.toDatetime} is not a date`)
    chosen.push({ kind: 'time', ms: BigInt(ms) })
  }
  for (const [kind, v] of [
    ['offset', f.toOffset],
    ['shift', f.shiftBy]
  ] as const) {
    if (v === undefined) continue
    if (!/^-?\d+$/.test(v)) throw new UsageError(`--to-offset / --shift-by take an integer, got ${v}`)
    chosen.push({ kind, n: BigInt(v) })
  }
  if (chosen.length !== 1)
    throw new UsageError(
      'give exactly one of --to-earliest, --to-latest, --to-datetime, --to-offset, --shift-by'
    )
  return chosen[0]!
}

export function registerGroup(program: Command): void {
  const group = program.command('group').description('list, describe, reset and delete consumer groups')

  leaf(group, 'list', 'list groups').action(async (flags: Flags) => {
    const format = formatOf(flags)
    const groups = await withAdmin(flags, (admin) => admin.listGroups())
    const rows = [...groups.values()]
      .map((g) => ({ group: g.id, state: g.state, type: g.groupType, protocolType: g.protocolType }))
      .sort((a, b) => a.group.localeCompare(b.group))
    printRows(format, rows, ['group', 'state', 'type', 'protocolType'])
  })

  leaf(group, 'describe <group>', 'state, members, committed offsets, log end offsets and lag').action(
    async (groupId: string, flags: Flags) => {
      const format = formatOf(flags)
      const d = await withAdmin(flags, (admin) => describeGroup(admin, groupId))
      print(format, {
        data: d,
        tables: [
          {
            rows: [
              {
                group: d.group,
                state: d.state,
                protocol: d.protocol,
                members: d.members.length,
                totalLag: d.totalLag
              }
            ]
          },
          {
            rows: d.partitions,
            columns: [
              'topic',
              'partition',
              'currentOffset',
              'logEndOffset',
              'lag',
              'memberId',
              'clientId',
              'host'
            ]
          }
        ]
      })
    }
  )

  leaf(
    group,
    'reset-offsets <group>',
    'move committed offsets (a dry run unless --execute); the group must be empty'
  )
    .requiredOption('-t, --topic <topic>', 'topic whose offsets to reset, repeatable', collect)
    .option('--to-earliest', 'to the log start offset')
    .option('--to-latest', 'to the log end offset')
    .option('--to-datetime <date>', 'to the first offset at or after this time (ISO date or ms)')
    .option('--to-offset <n>', 'to this offset (kept within the log)')
    .option('--shift-by <n>', 'by N from the committed offset (negative goes back)')
    .option('--dry-run', 'show the new offsets without committing them (the default)')
    .option('--execute', 'commit the new offsets')
    .action(async (groupId: string, flags: ResetFlags) => {
      const format = formatOf(flags)
      if (flags.execute && flags.dryRun) throw new UsageError('--dry-run and --execute exclude each other')
      const target = resetTarget(flags)
      const rows = await withAdmin(flags, async (admin) => {
        const md = await admin.metadata({ topics: flags.topic, forceUpdate: true })
        const partitions = new Map(
          flags.topic.map((t) => {
            const topic = md.topics.get(t)
            if (!topic) throw new Error(`topic ${t} not found`)
            return [t, topic.partitions.map((_, i) => i)] as const
          })
        )
        const [starts, ends, committed] = await Promise.all([
          listOffsetsAt(admin, partitions, -2n),
          listOffsetsAt(admin, partitions, -1n),
          committedOffsets(admin, groupId)
        ])
        const atTime = target.kind === 'time' ? await listOffsetsAt(admin, partitions, target.ms) : undefined
        const out = [...partitions].flatMap(([topic, ps]) =>
          ps.map((partition) => {
            const key = `${topic}:${partition}`
            const start = starts.get(key) ?? 0n
            const end = ends.get(key) ?? 0n
            const current = committed.get(key) ?? null
            let next: bigint
            if (target.kind === 'earliest') next = start
            else if (target.kind === 'latest') next = end
            else if (target.kind === 'time') next = (atTime?.get(key) ?? -1n) < 0n ? end : atTime!.get(key)!
            else if (target.kind === 'offset') next = (target as { n: bigint }).n
            else next = (current ?? start) + (target as { n: bigint }).n
            // Kafka's tool keeps a reset within the log rather than committing an out-of-range offset.
            if (next < start) next = start
            if (next > end) next = end
            return { topic, partition, currentOffset: current, newOffset: next }
          })
        )
        if (flags.execute) {
          const state = (await admin.describeGroups({ groups: [groupId] })).get(groupId)?.state
          if (state !== undefined && state !== 'EMPTY' && state !== 'DEAD')
            throw new Error(`group ${groupId} is ${state}: stop its members before resetting offsets`)
          await admin.alterConsumerGroupOffsets({
            groupId,
            topics: [...partitions.keys()].map((name) => ({
              name,
              partitionOffsets: out
                .filter((r) => r.topic === name)
                .map((r) => ({ partition: r.partition, offset: r.newOffset }))
            }))
          })
        }
        return out
      })
      if (!flags.execute && format === 'table') io.err('dry run: pass --execute to commit these offsets\n')
      print(format, {
        data: { group: groupId, executed: flags.execute === true, partitions: rows },
        tables: [{ rows }]
      })
    })

  leaf(group, 'delete <groups...>', 'delete empty groups and their committed offsets').action(
    async (groups: string[], flags: Flags) => {
      const format = formatOf(flags)
      await withAdmin(flags, (admin) => admin.deleteGroups({ groups }))
      printRows(
        format,
        groups.map((g) => ({ group: g, status: 'deleted' }))
      )
    }
  )
}
