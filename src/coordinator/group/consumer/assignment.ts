/**
 * A KIP-848 assignment: partitions by topic id. Treated as immutable values: every helper returns a new map
 * and never mutates its arguments, so members and target assignments can share them safely.
 */

export type Assignment = ReadonlyMap<string, ReadonlySet<number>>

export const EMPTY_ASSIGNMENT: Assignment = new Map()

export function assignmentOf(entries: Iterable<readonly [string, Iterable<number>]>): Assignment {
  const out = new Map<string, Set<number>>()
  for (const [topicId, partitions] of entries) {
    const set = new Set(partitions)
    if (set.size > 0) out.set(topicId, set)
  }
  return out
}

export function partitionCount(a: Assignment): number {
  let n = 0
  for (const ps of a.values()) n += ps.size
  return n
}

export function assignmentsEqual(a: Assignment, b: Assignment): boolean {
  if (a.size !== b.size) return false
  for (const [t, ps] of a) {
    const other = b.get(t)
    if (other === undefined || other.size !== ps.size) return false
    for (const p of ps) if (!other.has(p)) return false
  }
  return true
}

/** Whether every partition of `a` is in `b`. */
export function isSubset(a: Assignment, b: Assignment): boolean {
  for (const [t, ps] of a) {
    const other = b.get(t)
    for (const p of ps) if (other?.has(p) !== true) return false
  }
  return true
}

export function hasAnyOf(a: Assignment, b: Assignment): boolean {
  for (const [t, ps] of b) {
    const own = a.get(t)
    if (own === undefined) continue
    for (const p of ps) if (own.has(p)) return true
  }
  return false
}

/** The wire shape shared by ConsumerGroupHeartbeat and ConsumerGroupDescribe. */
export function toTopicPartitions(a: Assignment): { topicId: string; partitions: number[] }[] {
  return [...a].map(([topicId, ps]) => ({ topicId, partitions: [...ps].sort((x, y) => x - y) }))
}

export function fromTopicPartitions(
  tps: readonly { topicId: string; partitions: readonly number[] }[]
): Assignment {
  return assignmentOf(tps.map((tp) => [tp.topicId, tp.partitions] as const))
}
