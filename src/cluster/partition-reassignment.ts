/**
 * One ongoing partition reassignment (Kafka's PartitionReassignmentReplicas): while it runs the partition's
 * replicas are the target followed by the replicas being removed, so adding replicas fetch and catch up
 * as followers; once every target replica is in the ISR the replicas shrink to the target.
 *
 * The state lives in the partition registration itself, as Kafka keeps it in the PartitionRecord: the merged
 * replicas plus `addingReplicas` and `removingReplicas`. So it is as durable as the registration, and a
 * newly elected controller resumes a reassignment its predecessor started.
 */

import type { PartitionChange, PartitionRegistration } from './metadata-store.js'

export interface PartitionReassignment {
  /** The replicas before the reassignment (a cancellation returns to them): the merged ones minus the adding. */
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

type ReassignmentFields = Pick<PartitionRegistration, 'addingReplicas' | 'removingReplicas'>

/** The partition's ongoing reassignment, from its registration; undefined when none runs. */
export function ongoingReassignment(p: PartitionRegistration): PartitionReassignment | undefined {
  const adding = p.addingReplicas ?? []
  const removing = p.removingReplicas ?? []
  if (adding.length === 0 && removing.length === 0) return undefined
  return {
    original: p.replicas.filter((id) => !adding.includes(id)),
    target: p.replicas.filter((id) => !removing.includes(id))
  }
}

/**
 * The reassignment fields of a registration after `change`, for the metadata stores: the change's sets when
 * it gives them, the current ones otherwise; empty sets are left out, so a partition without a
 * reassignment has neither field.
 */
export function reassignmentFieldsAfter(
  current: ReassignmentFields,
  change: PartitionChange
): ReassignmentFields {
  const adding = change.addingReplicas ?? current.addingReplicas ?? []
  const removing = change.removingReplicas ?? current.removingReplicas ?? []
  return {
    ...(adding.length > 0 ? { addingReplicas: [...adding] } : {}),
    ...(removing.length > 0 ? { removingReplicas: [...removing] } : {})
  }
}
