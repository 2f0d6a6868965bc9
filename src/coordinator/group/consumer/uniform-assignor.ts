/**
 * Kafka's default server-side assignor, `uniform`: sticky, and balanced by partition count. Members keep
 * their previous partitions where they still subscribe to them, unowned partitions go to the least loaded
 * eligible member, then partitions move from loaded to lighter eligible members until no move narrows the
 * gap. With identical subscriptions that leaves every member within one partition of every other; with
 * different subscriptions it is as even as eligibility allows.
 *
 * Cost: O(P × N) for the initial placement plus one scan per move; each move strictly lowers
 * the sum of squared loads, so the balancing loop terminates (O(moves × P × N) at worst).
 */

import type { Assignment } from './assignment.js'
import type { GroupSpec, PartitionAssignor, SubscribedTopics } from './partition-assignor.js'

export class UniformAssignor implements PartitionAssignor {
  readonly name = 'uniform'

  assign(group: GroupSpec, topics: SubscribedTopics): Map<string, Assignment> {
    const memberIds = [...group.members.keys()].sort()
    const owner = new Map<string, string>()
    const owned = new Map<string, Set<string>>()
    for (const id of memberIds) owned.set(id, new Set())
    const eligible = new Map<string, string[]>()
    for (const [topicId] of topics) {
      eligible.set(
        topicId,
        memberIds.filter((id) => group.members.get(id)?.subscribedTopicIds.has(topicId) === true)
      )
    }
    const give = (key: string, memberId: string) => {
      const prev = owner.get(key)
      if (prev !== undefined) owned.get(prev)?.delete(key)
      owner.set(key, memberId)
      owned.get(memberId)?.add(key)
    }
    // Stickiness: previous targets stay where they are still valid.
    for (const id of memberIds) {
      const spec = group.members.get(id)
      if (spec === undefined) continue
      for (const [topicId, ps] of spec.assignment) {
        const n = topics.get(topicId)
        if (n === undefined || !spec.subscribedTopicIds.has(topicId)) continue
        for (const p of ps) {
          const key = partitionKey(topicId, p)
          if (p < n && !owner.has(key)) give(key, id)
        }
      }
    }
    // Unowned partitions, the most constrained topics first, each to its least loaded eligible member.
    const topicOrder = [...topics.keys()].sort(
      (a, b) => (eligible.get(a)?.length ?? 0) - (eligible.get(b)?.length ?? 0) || (a < b ? -1 : 1)
    )
    for (const topicId of topicOrder) {
      const candidates = eligible.get(topicId) ?? []
      if (candidates.length === 0) continue
      const n = topics.get(topicId) ?? 0
      for (let p = 0; p < n; p++) {
        const key = partitionKey(topicId, p)
        if (owner.has(key)) continue
        give(key, leastLoaded(candidates, owned))
      }
    }
    // Balance: one partition at a time, from the most loaded member that has one some eligible member is
    // at least two short of, so that only the partitions balance requires ever move.
    while (this.moveOne(memberIds, owned, eligible, give)) {}
    return toAssignments(memberIds, owned)
  }

  private moveOne(
    memberIds: readonly string[],
    owned: Map<string, Set<string>>,
    eligible: Map<string, string[]>,
    give: (key: string, memberId: string) => void
  ): boolean {
    for (const id of [...memberIds].sort((a, b) => load(owned, b) - load(owned, a))) {
      for (const key of owned.get(id) ?? []) {
        const target = leastLoaded(eligible.get(topicOf(key)) ?? [], owned)
        if (load(owned, target) + 1 < load(owned, id)) {
          give(key, target)
          return true
        }
      }
    }
    return false
  }
}

export function partitionKey(topicId: string, partition: number): string {
  return `${topicId}:${partition}`
}

function topicOf(key: string): string {
  return key.slice(0, key.lastIndexOf(':'))
}

function load(owned: Map<string, Set<string>>, id: string): number {
  return owned.get(id)?.size ?? 0
}

function leastLoaded(candidates: readonly string[], owned: Map<string, Set<string>>): string {
  let best = candidates[0] ?? ''
  for (const c of candidates) if (load(owned, c) < load(owned, best)) best = c
  return best
}

function toAssignments(
  memberIds: readonly string[],
  owned: Map<string, Set<string>>
): Map<string, Assignment> {
  const out = new Map<string, Assignment>()
  for (const id of memberIds) {
    const byTopic = new Map<string, Set<number>>()
    for (const key of owned.get(id) ?? []) {
      const sep = key.lastIndexOf(':')
      const topicId = key.slice(0, sep)
      let ps = byTopic.get(topicId)
      if (ps === undefined) {
        ps = new Set()
        byTopic.set(topicId, ps)
      }
      ps.add(Number(key.slice(sep + 1)))
    }
    out.set(id, byTopic)
  }
  return out
}
