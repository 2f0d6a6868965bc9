/**
 * The server-side assignor contract (Kafka's ConsumerGroupPartitionAssignor): given every member's
 * subscription and current target, and the partition counts of the subscribed topics, compute the new
 * target assignment of every member. Assignors are pure and synchronous.
 */

import type { Assignment } from './assignment.js'

export interface AssignmentMemberSpec {
  /** Topic ids the member subscribes to that exist in the cluster. */
  readonly subscribedTopicIds: ReadonlySet<string>
  readonly rackId: string | null
  /** The member's previous target assignment, which sticky assignors try to preserve. */
  readonly assignment: Assignment
}

export interface GroupSpec {
  readonly members: ReadonlyMap<string, AssignmentMemberSpec>
}

/** Number of partitions of each subscribed topic id. */
export type SubscribedTopics = ReadonlyMap<string, number>

export interface PartitionAssignor {
  readonly name: string
  assign(group: GroupSpec, topics: SubscribedTopics): Map<string, Assignment>
}
