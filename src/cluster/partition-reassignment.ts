/**
 * One ongoing partition reassignment (Kafka's PartitionReassignmentReplicas): while it runs the partition's
 * replicas are the target followed by the replicas being removed, so adding replicas fetch and catch up
 * as followers; once every target replica is in the ISR the replicas shrink to the target.
 */

export interface PartitionReassignment {
  /** The replicas before the first reassignment of this partition; a cancellation returns to them. */
  readonly original: readonly number[]
  readonly target: readonly number[]
}

export function addingReplicas(r: PartitionReassignment): number[] {
  return r.target.filter((id) => !r.original.includes(id))
}

export function removingReplicas(r: PartitionReassignment): number[] {
  return r.original.filter((id) => !r.target.includes(id))
}

/** The replica list while the reassignment runs: the target first, then the replicas being removed. */
export function mergedReplicas(r: PartitionReassignment): number[] {
  return [...r.target, ...removingReplicas(r)]
}

/** Whether every target replica has caught up (is in the ISR), so the old ones can go. */
export function isReassignmentComplete(r: PartitionReassignment, isr: readonly number[]): boolean {
  return r.target.every((id) => isr.includes(id))
}
