/**
 * Consumer groups this broker coordinates: lag in records (the high watermark minus the committed offset, as
 * Kafka's tools and MSK's SumOffsetLag compute it), lag in time (MSK's EstimatedTimeLag: how long ago the
 * first record the group has not consumed was appended), members, and groups by state.
 *
 * A group's lag is reported for the partitions whose replica this broker holds: it needs their high
 * watermark, and a record read for the time lag. In a cluster, partitions led elsewhere are absent here.
 */

import type { Registry } from 'prom-client'
import type { Partition } from '../../replica/partition.js'
import type { AdminSources } from '../admin-sources.js'
import { registerCollected, type Sample } from './collected-metric.js'

/** Byte offset of baseTimestamp in a record batch v2 header. */
const BASE_TIMESTAMP_OFFSET = 27
const BATCH_HEADER_BYTES = 61
const MAX_CACHED_TIMESTAMPS = 100_000

export interface GroupLag {
  readonly group: string
  readonly topic: string
  readonly partition: number
  readonly committedOffset: number
  readonly highWatermark: number
  readonly lag: number
}

/** Every committed offset of the groups this broker coordinates, with its lag where the partition is local. */
export function groupLags(sources: AdminSources): GroupLag[] {
  const rm = sources.replicaManager()
  const lags: GroupLag[] = []
  for (const g of sources.groups.manager.ownedGroups()) {
    for (const [topic, partitions] of g.offsets) {
      for (const [partition, committed] of partitions) {
        const p = rm?.onlinePartition(topic, partition)
        if (p === undefined) continue
        const committedOffset = Number(committed.offset)
        const highWatermark = p.highWatermark
        const lag = Math.max(0, highWatermark - committedOffset)
        lags.push({ group: g.groupId, topic, partition, committedOffset, highWatermark, lag })
      }
    }
  }
  return lags
}

/** Members and state of each group: KIP-848 consumer groups first, classic groups for the rest. */
export function groupSummaries(sources: AdminSources): { group: string; state: string; members: number }[] {
  const out: { group: string; state: string; members: number }[] = []
  const consumer = sources.groups.consumerGroups.groups
  for (const [group, g] of consumer) out.push({ group, state: g.state, members: g.members.size })
  for (const g of sources.groups.manager.ownedGroups()) {
    if (!consumer.has(g.groupId)) out.push({ group: g.groupId, state: g.state, members: g.members.size })
  }
  return out
}

/**
 * The append time of the batch holding `offset`, read once and remembered: a committed offset's record does
 * not change, so a steady scrape reads the log only when a group commits.
 */
class AppendTimeCache {
  private readonly times = new Map<string, number>()

  async timestampAt(p: Partition, offset: number): Promise<number | undefined> {
    const key = `${p.topic}\u0000${p.partitionIndex}\u0000${offset}`
    const known = this.times.get(key)
    if (known !== undefined) return known
    const read = await p.read(offset, 1, 'high-watermark', true)
    const records = read.info.records
    if (records.length < BATCH_HEADER_BYTES) return undefined
    const ts = Number(records.readBigInt64BE(BASE_TIMESTAMP_OFFSET))
    if (this.times.size >= MAX_CACHED_TIMESTAMPS) this.times.clear()
    this.times.set(key, ts)
    return ts
  }
}

export function registerGroupMetrics(registry: Registry, sources: AdminSources): void {
  const appendTimes = new AppendTimeCache()
  registerCollected(
    registry,
    'samsa_consumer_group_lag',
    'High watermark minus the committed offset, per group and partition',
    'gauge',
    () =>
      groupLags(sources).map((l) => ({
        labels: { group: l.group, topic: l.topic, partition: l.partition },
        value: l.lag
      }))
  )
  registerCollected(
    registry,
    'samsa_consumer_group_lag_seconds',
    'Estimated time lag: seconds since the first unconsumed record was appended (0 when caught up)',
    'gauge',
    async () => {
      const rm = sources.replicaManager()
      const now = Date.now()
      const samples: Sample[] = []
      for (const l of groupLags(sources)) {
        let seconds = 0
        const p = rm?.onlinePartition(l.topic, l.partition)
        if (l.lag > 0 && p !== undefined) {
          try {
            const ts = await appendTimes.timestampAt(p, l.committedOffset)
            if (ts !== undefined && ts > 0) seconds = Math.max(0, (now - ts) / 1000)
          } catch {
            // Retention may have removed the committed offset's record: no estimate for it.
            continue
          }
        }
        samples.push({ labels: { group: l.group, topic: l.topic, partition: l.partition }, value: seconds })
      }
      return samples
    }
  )
  registerCollected(registry, 'samsa_consumer_group_members', 'Members of each group', 'gauge', () =>
    groupSummaries(sources).map((g) => ({ labels: { group: g.group }, value: g.members }))
  )
  registerCollected(registry, 'samsa_consumer_groups', 'Groups coordinated here, by state', 'gauge', () => {
    const byState = new Map<string, number>()
    for (const g of groupSummaries(sources)) byState.set(g.state, (byState.get(g.state) ?? 0) + 1)
    return [...byState].map(([state, value]) => ({ labels: { state }, value }))
  })
}
