/**
 * Reassignment plans in the JSON of kafka-reassign-partitions (`{"version":1,"partitions":[{topic, partition,
 * replicas}]}`), the proposal `generate` makes, and the replication throttles `execute` sets and `verify` removes.
 */

import { readFileSync } from 'node:fs'
import type { Admin } from '@platformatic/kafka'
import { UsageError } from '../cli-errors.js'
import { io } from '../cli-io.js'

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
const INVALID_REQUEST = 42
const RATES = ['leader.replication.throttled.rate', 'follower.replication.throttled.rate']
const REPLICAS = ['leader.replication.throttled.replicas', 'follower.replication.throttled.replicas']

type ConfigResources = Parameters<Admin['incrementalAlterConfigs']>[0]['resources']

function hasApiCode(err: unknown, code: number): boolean {
  if (typeof err !== 'object' || err === null) return false
  if ((err as { apiCode?: number }).apiCode === code) return true
  const nested = (err as { errors?: unknown[] }).errors
  return Array.isArray(nested) && nested.some((e) => hasApiCode(e, code))
}

/**
 * Sets or removes the brokers' throttle rates. A broker that reads them only from its own configuration (as
 * Samsa does) answers INVALID_REQUEST; the move then runs at that configured rate, and this says so.
 */
async function brokerRates(admin: Admin, resources: ConfigResources): Promise<boolean> {
  try {
    await admin.incrementalAlterConfigs({ resources })
    return true
  } catch (err) {
    if (!hasApiCode(err, INVALID_REQUEST)) throw err
    io.err('warning: the brokers take no dynamic replication throttle rate; their configured rate applies\n')
    return false
  }
}

/**
 * Kafka's throttle for a reassignment: the rate on every broker involved, and per topic the replicas that lead
 * (existing) and follow (being added) the moved partitions. Resolves with whether the brokers took the rate.
 */
export async function setThrottles(admin: Admin, plan: Plan, current: Plan, rate: number): Promise<boolean> {
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
    const tag = (b: number) => `${target.partition}:${b}`
    leaders.set(target.topic, [...(leaders.get(target.topic) ?? []), ...existing.map(tag)])
    followers.set(target.topic, [...(followers.get(target.topic) ?? []), ...adding.map(tag)])
  }
  await admin.incrementalAlterConfigs({
    resources: [...leaders.keys()].map((topic) => ({
      resourceType: TOPIC as typeof TOPIC,
      resourceName: topic,
      configs: [
        { name: REPLICAS[0]!, value: leaders.get(topic)!.join(','), configOperation: 0 as const },
        { name: REPLICAS[1]!, value: followers.get(topic)!.join(','), configOperation: 0 as const }
      ]
    }))
  })
  return brokerRates(
    admin,
    [...brokers].map((b) => ({
      resourceType: BROKER as typeof BROKER,
      resourceName: String(b),
      configs: RATES.map((name) => ({ name, value: String(rate), configOperation: 0 as const }))
    }))
  )
}

export async function removeThrottles(admin: Admin, plan: Plan): Promise<void> {
  const topics = [...new Set(plan.partitions.map((p) => p.topic))]
  const brokers = new Set(plan.partitions.flatMap((p) => p.replicas))
  const md = await admin.metadata({ topics: [], forceUpdate: true })
  for (const b of md.brokers.keys()) brokers.add(b)
  await admin.incrementalAlterConfigs({
    resources: topics.map((topic) => ({
      resourceType: TOPIC as typeof TOPIC,
      resourceName: topic,
      configs: REPLICAS.map((name) => ({ name, configOperation: 1 as const }))
    }))
  })
  await brokerRates(
    admin,
    [...brokers].map((b) => ({
      resourceType: BROKER as typeof BROKER,
      resourceName: String(b),
      configs: RATES.map((name) => ({ name, configOperation: 1 as const }))
    }))
  )
}
