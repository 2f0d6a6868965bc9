/**
 * A member of a KIP-848 consumer group (Kafka's ConsumerGroupMember): what it subscribes to, its epoch, and
 * the partitions it owns or still has to give back. Values are replaced, never mutated, so a half-applied
 * heartbeat can never leave a member inconsistent.
 */

import { type Assignment, EMPTY_ASSIGNMENT } from './assignment.js'

/** Kafka's MemberState, with its record codes. */
export type MemberState = 'STABLE' | 'UNREVOKED_PARTITIONS' | 'UNRELEASED_PARTITIONS' | 'UNKNOWN'

export const MEMBER_STATE_CODES: Readonly<Record<MemberState, number>> = {
  UNKNOWN: 0,
  STABLE: 1,
  UNREVOKED_PARTITIONS: 2,
  UNRELEASED_PARTITIONS: 3
}

export function memberStateOf(code: number): MemberState {
  for (const [state, c] of Object.entries(MEMBER_STATE_CODES)) if (c === code) return state as MemberState
  return 'UNKNOWN'
}

/** Epoch sent to join, to leave, and by a static member that will come back. */
export const JOIN_GROUP_MEMBER_EPOCH = 0
export const LEAVE_GROUP_MEMBER_EPOCH = -1
export const LEAVE_GROUP_STATIC_MEMBER_EPOCH = -2

export interface ConsumerGroupMember {
  readonly memberId: string
  readonly instanceId: string | null
  readonly rackId: string | null
  readonly clientId: string
  readonly clientHost: string
  readonly subscribedTopicNames: readonly string[]
  readonly subscribedTopicRegex: string | null
  readonly serverAssignor: string | null
  readonly rebalanceTimeoutMs: number
  readonly memberEpoch: number
  readonly previousMemberEpoch: number
  readonly state: MemberState
  readonly assignedPartitions: Assignment
  readonly partitionsPendingRevocation: Assignment
}

export function newMember(memberId: string): ConsumerGroupMember {
  return {
    memberId,
    instanceId: null,
    rackId: null,
    clientId: '',
    clientHost: '',
    subscribedTopicNames: [],
    subscribedTopicRegex: null,
    serverAssignor: null,
    rebalanceTimeoutMs: -1,
    memberEpoch: 0,
    previousMemberEpoch: 0,
    state: 'STABLE',
    assignedPartitions: EMPTY_ASSIGNMENT,
    partitionsPendingRevocation: EMPTY_ASSIGNMENT
  }
}

/** Whether two members differ in what the assignor looks at, which requires a new group epoch. */
export function subscriptionChanged(a: ConsumerGroupMember, b: ConsumerGroupMember): boolean {
  return (
    a.subscribedTopicRegex !== b.subscribedTopicRegex ||
    a.serverAssignor !== b.serverAssignor ||
    a.rackId !== b.rackId ||
    a.subscribedTopicNames.length !== b.subscribedTopicNames.length ||
    a.subscribedTopicNames.some((t, i) => b.subscribedTopicNames[i] !== t)
  )
}
