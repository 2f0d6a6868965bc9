/**
 * Rebuilds consumer groups from their `__consumer_offsets` records while a partition loads. Records of one
 * member arrive separately (metadata, target, current assignment), so members are assembled here and only
 * handed over, complete, when the partition has finished loading.
 */

import type { CoordinatorRecord } from '../group-store.js'
import { ConsumerGroup } from './consumer-group.js'
import { type ConsumerGroupMember, newMember } from './consumer-group-member.js'
import {
  decodeAssignmentEpochValue,
  decodeConsumerGroupKey,
  decodeCurrentAssignmentValue,
  decodeGroupEpochValue,
  decodeMemberMetadataValue,
  decodePartitionMetadataValue,
  decodeTargetAssignmentValue
} from './consumer-group-records.js'

interface PendingGroup {
  group: ConsumerGroup
  members: Map<string, ConsumerGroupMember>
}

export class ConsumerGroupLoader {
  private readonly partitions = new Map<number, Map<string, PendingGroup>>()

  replay(partition: number, record: CoordinatorRecord): void {
    const key = decodeConsumerGroupKey(record.key)
    if (key === null) return
    let groups = this.partitions.get(partition)
    if (groups === undefined) {
      groups = new Map()
      this.partitions.set(partition, groups)
    }
    let pending = groups.get(key.groupId)
    if (pending === undefined) {
      if (record.value === null) return
      pending = { group: new ConsumerGroup(key.groupId), members: new Map() }
      groups.set(key.groupId, pending)
    }
    const { group, members } = pending
    const value = record.value
    const memberId = key.memberId ?? ''
    const member = () => members.get(memberId) ?? newMember(memberId)
    switch (key.type) {
      case 'metadata':
        // The group record is written first and tombstoned last: its tombstone means the group is gone.
        if (value === null) groups.delete(key.groupId)
        else group.groupEpoch = decodeGroupEpochValue(value)
        return
      case 'partitionMetadata':
        group.subscriptionMetadata = new Map(
          (value === null ? [] : decodePartitionMetadataValue(value)).map((t) => [t.name, t])
        )
        return
      case 'targetAssignmentMetadata':
        group.assignmentEpoch = value === null ? 0 : decodeAssignmentEpochValue(value)
        return
      case 'targetAssignmentMember':
        if (value === null) group.targetAssignment.delete(memberId)
        else group.targetAssignment.set(memberId, decodeTargetAssignmentValue(value))
        return
      case 'memberMetadata':
        if (value === null) members.delete(memberId)
        else members.set(memberId, { ...member(), ...decodeMemberMetadataValue(value) })
        return
      case 'currentMemberAssignment':
        if (value !== null) members.set(memberId, { ...member(), ...decodeCurrentAssignmentValue(value) })
        return
    }
  }

  /** The partition's groups, complete; forgets them. */
  take(partition: number): ConsumerGroup[] {
    const groups = this.partitions.get(partition)
    this.partitions.delete(partition)
    if (groups === undefined) return []
    return [...groups.values()].map(({ group, members }) => {
      for (const m of members.values()) group.updateMember(m.memberId, m)
      return group
    })
  }
}
