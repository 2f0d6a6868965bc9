/**
 * Transactional offsets waiting for their transaction's marker, as both the load of a `__consumer_offsets`
 * partition (GroupMetadataManager) and TxnOffsetCoordinator keep them.
 */

import type { OffsetAndMetadata } from './group-metadata.js'

export interface PendingOffset {
  topic: string
  partition: number
  value: OffsetAndMetadata
}

/** producer id → group id → `topic\0partition` → the producer's latest pending offset. */
export type PendingTxnOffsets = Map<bigint, Map<string, Map<string, PendingOffset>>>

/** The pending offsets of one producer and group, created empty when missing. */
export function pendingOffsetsOf(
  pending: PendingTxnOffsets,
  producerId: bigint,
  groupId: string
): Map<string, PendingOffset> {
  let groups = pending.get(producerId)
  if (groups === undefined) {
    groups = new Map()
    pending.set(producerId, groups)
  }
  let offsets = groups.get(groupId)
  if (offsets === undefined) {
    offsets = new Map()
    groups.set(groupId, offsets)
  }
  return offsets
}
