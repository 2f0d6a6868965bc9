/** Committed offsets, log end offsets and lag of a group: what `group describe` shows and reset-offsets moves. */

import type { Admin } from '@platformatic/kafka'

export interface PartitionLag {
  topic: string
  partition: number
  currentOffset: bigint | null
  logEndOffset: bigint | null
  lag: bigint | null
  memberId: string | null
  clientId: string | null
  host: string | null
}

/** Earliest (-2) or latest (-1) offsets, or the first offset at a timestamp, of the given partitions. */
export async function listOffsetsAt(
  admin: Admin,
  partitions: Map<string, number[]>,
  timestamp: bigint
): Promise<Map<string, bigint>> {
  const out = new Map<string, bigint>()
  if (partitions.size === 0) return out
  const listed = await admin.listOffsets({
    topics: [...partitions].map(([name, ps]) => ({
      name,
      partitions: ps.map((partitionIndex) => ({ partitionIndex, timestamp }))
    }))
  })
  for (const t of listed) for (const p of t.partitions) out.set(`${t.name}:${p.partitionIndex}`, p.offset)
  return out
}

export async function committedOffsets(admin: Admin, groupId: string): Promise<Map<string, bigint>> {
  const [group] = await admin.listConsumerGroupOffsets({ groups: [groupId] })
  const out = new Map<string, bigint>()
  for (const t of group?.topics ?? [])
    for (const p of t.partitions)
      if (p.committedOffset >= 0n) out.set(`${t.name}:${p.partitionIndex}`, p.committedOffset)
  return out
}

export async function describeGroup(admin: Admin, groupId: string) {
  const groups = await admin.describeGroups({ groups: [groupId] })
  const group = groups.get(groupId)
  if (!group) throw new Error(`group ${groupId} not found`)
  const owners = new Map<string, { memberId: string; clientId: string; host: string }>()
  const members = [...group.members.values()].map((m) => {
    const assigned = [...(m.assignments?.values() ?? [])].map((a) => ({
      topic: a.topic,
      partitions: a.partitions
    }))
    for (const a of assigned)
      for (const p of a.partitions)
        owners.set(`${a.topic}:${p}`, { memberId: m.id, clientId: m.clientId, host: m.clientHost })
    return {
      memberId: m.id,
      groupInstanceId: m.groupInstanceId,
      clientId: m.clientId,
      host: m.clientHost,
      assigned
    }
  })
  const committed = await committedOffsets(admin, groupId)
  if (group.state === 'DEAD' && committed.size === 0) throw new Error(`group ${groupId} does not exist`)
  // Every partition of the topics the group commits to or is assigned, so a partition it has not reached yet
  // shows (with no current offset and no lag) instead of vanishing.
  const topics = new Set([...committed.keys(), ...owners.keys()].map((k) => k.slice(0, k.lastIndexOf(':'))))
  const byTopic = new Map<string, number[]>()
  if (topics.size > 0) {
    const md = await admin.metadata({ topics: [...topics], forceUpdate: true })
    for (const topic of topics)
      byTopic.set(
        topic,
        Array.from({ length: md.topics.get(topic)?.partitionsCount ?? 0 }, (_, i) => i)
      )
  }
  const ends = await listOffsetsAt(admin, byTopic, -1n)
  const partitions: PartitionLag[] = []
  let totalLag = 0n
  for (const [topic, ps] of [...byTopic].sort(([a], [b]) => a.localeCompare(b)))
    for (const partition of ps.sort((a, b) => a - b)) {
      const key = `${topic}:${partition}`
      const currentOffset = committed.get(key) ?? null
      const logEndOffset = ends.get(key) ?? null
      const lag = currentOffset !== null && logEndOffset !== null ? logEndOffset - currentOffset : null
      if (lag !== null) totalLag += lag
      const owner = owners.get(key)
      partitions.push({
        topic,
        partition,
        currentOffset,
        logEndOffset,
        lag,
        memberId: owner?.memberId ?? null,
        clientId: owner?.clientId ?? null,
        host: owner?.host ?? null
      })
    }
  return { group: groupId, state: group.state, protocol: group.protocol, members, partitions, totalLag }
}
