/**
 * Reassignment plans in the JSON of kafka-reassign-partitions (`{"version":1,"partitions":[{topic, partition,
 * replicas}]}`), the proposal `generate` makes, and the replication throttles `execute` sets and `verify` removes.
 */

import { readFileSync } from 'node:fs'
import type { Admin } from '@platformatic/kafka'
import { UsageError } from '../cli-errors.js'

export interface PlanEntry {
  topic: string
  partition: number
  replicas: number[]
}

export interface Plan {
  version: 1
  partitions: PlanEntry[]
}

export function readPlan(path: string): Plan {
  let doc: unknown
  try {
    doc = JSON.parse(readFileSync(path, 'utf8'))
  } catch (err) {
    throw new UsageError(`cannot read plan ${path}: ${(err as Error).message}`)
  }
  const parts = (doc as { partitions?: unknown }).partitions
  if (!Array.isArray(parts)) throw new UsageError(`plan ${path} has no "partitions" array`)
  for (const p of parts as PlanEntry[])
    if (typeof p.topic !== 'string' || !Number.isInteger(p.partition) || !Array.isArray(p.replicas))
      throw new UsageError(`plan ${path}: each partition needs topic, partition and replicas`)
  return { version: 1, partitions: parts as PlanEntry[] }
}

export async function currentAssignment(admin: Admin, topics: string[]): Promise<Plan> {
  const md = await admin.metadata({ topics, forceUpdate: true })
  const partitions: PlanEntry[] = []
  for (const topic of topics) {
    const t = md.topics.get(topic)
    if (!t) throw new Error(`topic ${topic} not found`)
    t.partitions.forEach((p, partition) => {
      partitions.push({ topic, partition, replicas: p.replicas })
    })
  }
  return { version: 1, partitions }
}

/**
 * Spreads each topic's partitions over the brokers round robin, keeping the replication factor, with the
 * first replica (the preferred leader) rotating so leadership spreads too.
 */
export function proposeAssignment(current: Plan, brokerIds: number[]): Plan {
  const sorted = [...brokerIds].sort((a, b) => a - b)
  let start = 0
  const partitions = current.partitions.map((p) => {
    const rf = p.replicas.length
    if (rf > sorted.length)
      throw new UsageError(`${p.topic} has ${rf} replicas but only ${sorted.length} brokers were given`)
    const replicas = Array.from({ length: rf }, (_, i) => sorted[(start + i) % sorted.length]!)
    start++
    return { topic: p.topic, partition: p.partition, replicas }
  })
  return { version: 1, partitions }
}

const BROKER = 4
const TOPIC = 2

/**
 * Kafka's throttle for a reassignment: the rate on every broker involved, and per topic the replicas that lead
 * (existing) and follow (being added) the moved partitions.
 */
export async function setThrottles(admin: Admin, plan: Plan, current: Plan, rate: number): Promise<void> {
  const brokers = new Set<number>()
  const leaders = new Map<string, string[]>()
  const followers = new Map<string, string[]>()
  for (const target of plan.partitions) {
    const before = current.partitions.find(
      (c) => c.topic === target.topic && c.partition === target.partition
    )
    const existing = before?.replicas ?? []
    const adding = target.replicas.filter((r) => !existing.includes(r))
    for (const b of [...existing, ...target.replicas]) brokers.add(b)
    leaders.set(target.topic, [
      ...(leaders.get(target.topic) ?? []),
      ...existing.map((b) => `${target.partition}:${b}`)
    ])
    followers.set(target.topic, [
      ...(followers.get(target.topic) ?? []),
      ...adding.map((b) => `${target.partition}:${b}`)
    ])
  }
  await admin.incrementalAlterConfigs({
    resources: [
      ...[...brokers].map((b) => ({
        resourceType: BROKER as typeof BROKER,
        resourceName: String(b),
        configs: ['leader.replication.throttled.rate', 'follower.replication.throttled.rate'].map((name) => ({
          name,
          value: String(rate),
          configOperation: 0 as const
        }))
      })),
      ...[...leaders.keys()].map((topic) => ({
        resourceType: TOPIC as typeof TOPIC,
        resourceName: topic,
        configs: [
          {
            name: 'leader.replication.throttled.replicas',
            value: leaders.get(topic)!.join(','),
            configOperation: 0 as const
          },
          {
            name: 'follower.replication.throttled.replicas',
            value: followers.get(topic)!.join(','),
            configOperation: 0 as const
          }
        ]
      }))
    ]
  })
}

export async function removeThrottles(admin: Admin, plan: Plan): Promise<void> {
  const topics = [...new Set(plan.partitions.map((p) => p.topic))]
  const brokers = [...new Set(plan.partitions.flatMap((p) => p.replicas))]
  const md = await admin.metadata({ topics: [], forceUpdate: true })
  for (const b of md.brokers.keys()) if (!brokers.includes(b)) brokers.push(b)
  await admin.incrementalAlterConfigs({
    resources: [
      ...brokers.map((b) => ({
        resourceType: BROKER as typeof BROKER,
        resourceName: String(b),
        configs: ['leader.replication.throttled.rate', 'follower.replication.throttled.rate'].map((name) => ({
          name,
          configOperation: 1 as const
        }))
      })),
      ...topics.map((topic) => ({
        resourceType: TOPIC as typeof TOPIC,
        resourceName: topic,
        configs: ['leader.replication.throttled.replicas', 'follower.replication.throttled.replicas'].map(
          (name) => ({
            name,
            configOperation: 1 as const
          })
        )
      }))
    ]
  })
}
