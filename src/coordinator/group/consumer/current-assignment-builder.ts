/**
 * Incremental reconciliation (Kafka's CurrentAssignmentBuilder): moves a member from the partitions it owns
 * toward its target assignment without ever letting two members own a partition at once.
 *
 * - Partitions it owns but is no longer targeted for are revoked first: the member stays at its epoch in
 *   UNREVOKED_PARTITIONS until a heartbeat shows it no longer owns them.
 * - Then it moves to the target epoch and receives the target partitions nobody else owns any more; those
 *   still owned by another member are withheld (UNRELEASED_PARTITIONS) until they are released.
 *
 * Pure: no clock, no I/O; `ownerEpoch` answers for the rest of the group.
 */

import { type Assignment, hasAnyOf } from './assignment.js'
import type { ConsumerGroupMember } from './consumer-group-member.js'

export interface ReconcileInput {
  readonly member: ConsumerGroupMember
  readonly targetEpoch: number
  readonly target: Assignment
  /** The partitions the member reported in this heartbeat; null when it did not send them. */
  readonly ownedTopicPartitions: Assignment | null
  /** Epoch of the member currently owning a partition, or -1 when it is free (or owned by this member). */
  readonly ownerEpoch: (topicId: string, partition: number) => number
}

export function reconcile(input: ReconcileInput): ConsumerGroupMember {
  const { member, targetEpoch } = input
  switch (member.state) {
    case 'STABLE':
      // Already at the target: nothing to do until the group gets a new target assignment.
      if (member.memberEpoch === targetEpoch) return member
      return computeNextAssignment(input)
    case 'UNREVOKED_PARTITIONS':
      // Without proof that the revoked partitions are gone the member must keep waiting.
      if (
        input.ownedTopicPartitions === null ||
        hasAnyOf(input.ownedTopicPartitions, member.partitionsPendingRevocation)
      ) {
        return member
      }
      return computeNextAssignment(input)
    case 'UNRELEASED_PARTITIONS':
    case 'UNKNOWN':
      return computeNextAssignment(input)
  }
}

function computeNextAssignment(input: ReconcileInput): ConsumerGroupMember {
  const { member, target, targetEpoch, ownerEpoch } = input
  const assigned = new Map<string, Set<number>>()
  const revoking = new Map<string, Set<number>>()
  const newlyAssignable = new Map<string, Set<number>>()
  let hasUnreleased = false
  const add = (m: Map<string, Set<number>>, t: string, p: number) => {
    let s = m.get(t)
    if (s === undefined) {
      s = new Set()
      m.set(t, s)
    }
    s.add(p)
  }
  for (const [topicId, current] of member.assignedPartitions) {
    const wanted = target.get(topicId)
    for (const p of current) add(wanted?.has(p) === true ? assigned : revoking, topicId, p)
  }
  for (const [topicId, wanted] of target) {
    const current = member.assignedPartitions.get(topicId)
    for (const p of wanted) {
      if (current?.has(p) === true) continue
      if (ownerEpoch(topicId, p) === -1) add(newlyAssignable, topicId, p)
      else hasUnreleased = true
    }
  }
  if (revoking.size > 0) {
    // Revoke before anything is assigned; the epoch moves only once the member confirms the revocation.
    return {
      ...member,
      state: 'UNREVOKED_PARTITIONS',
      assignedPartitions: assigned,
      partitionsPendingRevocation: revoking
    }
  }
  for (const [t, ps] of newlyAssignable) for (const p of ps) add(assigned, t, p)
  return {
    ...member,
    state: hasUnreleased ? 'UNRELEASED_PARTITIONS' : 'STABLE',
    // A re-run at the same epoch must keep the previous epoch that a lost response may still carry.
    previousMemberEpoch: member.memberEpoch === targetEpoch ? member.previousMemberEpoch : member.memberEpoch,
    memberEpoch: targetEpoch,
    assignedPartitions: assigned,
    partitionsPendingRevocation: new Map()
  }
}
