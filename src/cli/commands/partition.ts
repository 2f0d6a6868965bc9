/**
 * `samsa partition reassign generate|execute|verify` (kafka-reassign-partitions) and `samsa partition
 * elect-leaders` (kafka-leader-election), over AlterPartitionReassignments, ListPartitionReassignments and
 * ElectLeaders.
 */

import { writeFileSync } from 'node:fs'
import type { Admin } from '@platformatic/kafka'
import type { Command } from 'commander'
import { AlterPartitionReassignmentsApi } from '../../protocol/messages/alter-partition-reassignments.js'
import { ElectLeadersApi } from '../../protocol/messages/elect-leaders.js'
import { ListPartitionReassignmentsApi } from '../../protocol/messages/list-partition-reassignments.js'
import { UsageError } from '../cli-errors.js'
import { controllerId, withAdmin } from '../kafka-session.js'
import { print, printRows } from '../output.js'
import { Progress } from '../progress.js'
import { checkErrorCode, rawRequest } from '../raw-request.js'
import { type Flags, formatOf, intOption, leaf, partitionList } from './command-kit.js'
import {
  currentAssignment,
  type Plan,
  proposeAssignment,
  readPlan,
  removeThrottles,
  setThrottles
} from './reassignment-plan.js'

async function ongoing(admin: Admin, node: number): Promise<number> {
  const res = await rawRequest(admin, node, ListPartitionReassignmentsApi, 0, {
    timeoutMs: 30_000,
    topics: null
  })
  checkErrorCode(res.errorCode, res.errorMessage, 'list reassignments')
  return res.topics.reduce((n, t) => n + t.partitions.length, 0)
}

/** Per partition of the plan: complete (replicas as planned, no reassignment running) or not. */
async function verify(admin: Admin, plan: Plan) {
  const topics = [...new Set(plan.partitions.map((p) => p.topic))]
  const node = await controllerId(admin)
  const res = await rawRequest(admin, node, ListPartitionReassignmentsApi, 0, {
    timeoutMs: 30_000,
    topics: null
  })
  checkErrorCode(res.errorCode, res.errorMessage, 'list reassignments')
  const running = new Set(res.topics.flatMap((t) => t.partitions.map((p) => `${t.name}:${p.partitionIndex}`)))
  const current = await currentAssignment(admin, topics)
  const rows = plan.partitions.map((p) => {
    const now =
      current.partitions.find((c) => c.topic === p.topic && c.partition === p.partition)?.replicas ?? []
    const status = running.has(`${p.topic}:${p.partition}`)
      ? 'in progress'
      : now.join(',') === p.replicas.join(',')
        ? 'complete'
        : 'differs'
    return { topic: p.topic, partition: p.partition, target: p.replicas, current: now, status }
  })
  return { complete: rows.every((r) => r.status === 'complete'), partitions: rows }
}

export function registerPartition(program: Command): void {
  const partition = program.command('partition').description('reassign partitions and elect leaders')
  const reassign = partition.command('reassign').description('move partition replicas between brokers')

  leaf(
    reassign,
    'generate',
    'propose a plan spreading topics over brokers (prints the current and proposed plans)'
  )
    .requiredOption('--topics <list>', 'comma-separated topics to move')
    .requiredOption('--broker-ids <list>', 'comma-separated broker ids to place replicas on')
    .option('--output <file>', 'also write the proposed plan to this file')
    .action(async (flags: Flags & { topics: string; brokerIds: string; output?: string }) => {
      const format = formatOf(flags)
      const topics = flags.topics.split(',').filter((t) => t.length > 0)
      const ids = partitionList(flags.brokerIds)!
      const current = await withAdmin(flags, (admin) => currentAssignment(admin, topics))
      const proposed = proposeAssignment(current, ids)
      if (flags.output) writeFileSync(flags.output, `${JSON.stringify(proposed, null, 2)}\n`)
      print(format, {
        data: { current, proposed },
        tables: [
          { title: 'current', rows: current.partitions },
          { title: 'proposed', rows: proposed.partitions }
        ]
      })
    })

  leaf(reassign, 'execute', 'start a reassignment from a plan file')
    .requiredOption('--plan <file>', 'plan JSON (from generate)')
    .option('--throttle <bytes/s>', 'replication throttle while data moves (removed by verify or --wait)')
    .option('--wait', 'wait until the data has moved, showing progress on a terminal')
    .action(async (flags: Flags & { plan: string; throttle?: string; wait?: boolean }) => {
      const format = formatOf(flags)
      const plan = readPlan(flags.plan)
      const throttle = intOption(flags.throttle, '--throttle', 1)
      const result = await withAdmin(flags, async (admin) => {
        const topics = [...new Set(plan.partitions.map((p) => p.topic))]
        const current = await currentAssignment(admin, topics)
        const rateApplied = throttle !== undefined ? await setThrottles(admin, plan, current, throttle) : null
        const node = await controllerId(admin)
        const res = await rawRequest(admin, node, AlterPartitionReassignmentsApi, 0, {
          timeoutMs: 30_000,
          topics: topics.map((name) => ({
            name,
            partitions: plan.partitions
              .filter((p) => p.topic === name)
              .map((p) => ({ partitionIndex: p.partition, replicas: p.replicas }))
          }))
        })
        checkErrorCode(res.errorCode, res.errorMessage, 'reassignment')
        for (const t of res.responses)
          for (const p of t.partitions)
            checkErrorCode(p.errorCode, p.errorMessage, `${t.name}-${p.partitionIndex}`)
        if (!flags.wait) return { started: plan.partitions.length, complete: false, rateApplied }
        const progress = new Progress()
        try {
          for (;;) {
            const left = await ongoing(admin, node)
            progress.update(
              `moving: ${plan.partitions.length - left}/${plan.partitions.length} partitions done`,
              true
            )
            if (left === 0) break
            await new Promise((r) => setTimeout(r, 1000))
          }
        } finally {
          progress.done()
        }
        if (throttle !== undefined) await removeThrottles(admin, plan)
        return {
          started: plan.partitions.length,
          complete: (await verify(admin, plan)).complete,
          rateApplied
        }
      })
      print(format, {
        data: { ...result, throttle: throttle ?? null },
        tables: [{ rows: [{ ...result, throttle }] }]
      })
    })

  leaf(reassign, 'verify', 'check a plan has been carried out; removes the throttles once it has')
    .requiredOption('--plan <file>', 'plan JSON')
    .action(async (flags: Flags & { plan: string }) => {
      const format = formatOf(flags)
      const plan = readPlan(flags.plan)
      const v = await withAdmin(flags, async (admin) => {
        const result = await verify(admin, plan)
        if (result.complete) await removeThrottles(admin, plan)
        return result
      })
      print(format, { data: v, tables: [{ rows: v.partitions }] })
    })

  leaf(partition, 'elect-leaders', 'elect the preferred (or, unclean, any live) replica as leader')
    .option('--topic <topic>', 'only this topic (default: every partition)')
    .option('--partitions <list>', 'only these partitions of --topic')
    .option('--type <type>', 'preferred or unclean', 'preferred')
    .action(async (flags: Flags & { topic?: string; partitions?: string; type: string }) => {
      const format = formatOf(flags)
      const electionType = { preferred: 0, unclean: 1 }[flags.type]
      if (electionType === undefined) throw new UsageError('--type must be preferred or unclean')
      if (flags.partitions !== undefined && flags.topic === undefined)
        throw new UsageError('--partitions needs --topic')
      const rows = await withAdmin(flags, async (admin) => {
        let topicPartitions: { topic: string; partitions: number[] }[] | null = null
        if (flags.topic !== undefined) {
          const md = await admin.metadata({ topics: [flags.topic], forceUpdate: true })
          const count = md.topics.get(flags.topic)?.partitionsCount ?? 0
          topicPartitions = [
            {
              topic: flags.topic,
              partitions: partitionList(flags.partitions) ?? Array.from({ length: count }, (_, i) => i)
            }
          ]
        }
        const res = await rawRequest(admin, await controllerId(admin), ElectLeadersApi, 1, {
          electionType,
          topicPartitions,
          timeoutMs: 30_000
        })
        checkErrorCode(res.errorCode, null, 'elect leaders')
        return res.replicaElectionResults.flatMap((t) =>
          t.partitionResult.map((p) => ({
            topic: t.topic,
            partition: p.partitionId,
            // ELECTION_NOT_NEEDED (84): the preferred replica already leads.
            result:
              p.errorCode === 0 ? 'elected' : p.errorCode === 84 ? 'already leader' : `error ${p.errorCode}`,
            message: p.errorMessage
          }))
        )
      })
      printRows(format, rows, ['topic', 'partition', 'result', 'message'])
    })
}
