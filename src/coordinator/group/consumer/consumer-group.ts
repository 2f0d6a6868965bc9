/**
 * A KIP-848 consumer group (Kafka's ConsumerGroup): the group epoch (bumped whenever membership,
 * subscriptions or subscribed topic metadata change), the target assignment and its epoch, the members,
 * and which member epoch owns each partition so that reconciliation never hands out a partition twice.
 *
 * Event loop: mutated synchronously by ConsumerGroupCoordinator only.
 */

import type { Assignment } from './assignment.js'
import type { ConsumerGroupMember } from './consumer-group-member.js'

export type ConsumerGroupState = 'Empty' | 'Assigning' | 'Reconciling' | 'Stable' | 'Dead'

/** What the group last saw of a subscribed topic; a difference means a new group epoch. */
export interface TopicMetadata {
  readonly topicId: string
  readonly name: string
  readonly numPartitions: number
}

export class ConsumerGroup {
  groupEpoch = 0
  assignmentEpoch = 0
  readonly members = new Map<string, ConsumerGroupMember>()
  readonly targetAssignment = new Map<string, Assignment>()
  /** Subscribed topics by name, as of the last group epoch. */
  subscriptionMetadata = new Map<string, TopicMetadata>()
  dead = false
  /** topicId → partition → epoch of the member owning it (assigned or pending revocation). */
  private readonly partitionEpochs = new Map<string, Map<number, number>>()

  constructor(readonly groupId: string) {}

  get state(): ConsumerGroupState {
    if (this.dead) return 'Dead'
    if (this.members.size === 0) return 'Empty'
    if (this.groupEpoch > this.assignmentEpoch) return 'Assigning'
    for (const m of this.members.values()) {
      if (m.memberEpoch !== this.assignmentEpoch || m.state !== 'STABLE') return 'Reconciling'
    }
    return 'Stable'
  }

  staticMember(instanceId: string): ConsumerGroupMember | undefined {
    for (const m of this.members.values()) if (m.instanceId === instanceId) return m
    return undefined
  }

  /** Epoch of the member owning the partition, or -1 when nobody owns it. */
  ownerEpoch(topicId: string, partition: number): number {
    return this.partitionEpochs.get(topicId)?.get(partition) ?? -1
  }

  /** Replaces (or adds, or with `next` undefined removes) a member, keeping partition ownership in step. */
  updateMember(memberId: string, next: ConsumerGroupMember | undefined): void {
    const prev = this.members.get(memberId)
    if (prev !== undefined) {
      this.release(prev.assignedPartitions)
      this.release(prev.partitionsPendingRevocation)
    }
    if (next === undefined) {
      this.members.delete(memberId)
      return
    }
    this.members.set(next.memberId, next)
    this.own(next.assignedPartitions, next.memberEpoch)
    this.own(next.partitionsPendingRevocation, next.memberEpoch)
  }

  private own(a: Assignment, epoch: number): void {
    for (const [t, ps] of a) {
      let byPartition = this.partitionEpochs.get(t)
      if (byPartition === undefined) {
        byPartition = new Map()
        this.partitionEpochs.set(t, byPartition)
      }
      for (const p of ps) byPartition.set(p, epoch)
    }
  }

  private release(a: Assignment): void {
    for (const [t, ps] of a) {
      const byPartition = this.partitionEpochs.get(t)
      if (byPartition === undefined) continue
      for (const p of ps) byPartition.delete(p)
      if (byPartition.size === 0) this.partitionEpochs.delete(t)
    }
  }
}

/**
 * Kafka matches subscription regexes (RE2/J syntax) against whole topic names. JavaScript's RegExp accepts
 * the common subset; throws SyntaxError for an invalid pattern.
 */
export function fullMatch(regex: string): RegExp {
  return new RegExp(`^(?:${regex})$`)
}
