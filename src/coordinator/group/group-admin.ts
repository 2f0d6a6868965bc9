/**
 * The group admin APIs of the classic coordinator: ListGroups (with KIP-518 state and KIP-848 type
 * filters), DescribeGroups and DeleteGroups. All synchronous except the tombstone append of DeleteGroups.
 */

import { ErrorCode, errorCodeOf } from '../../protocol/error-codes.js'
import type { DescribeGroupsResponseDescribedGroup } from '../../protocol/messages/describe-groups.js'
import type { ListGroupsResponseListedGroup } from '../../protocol/messages/list-groups.js'
import type { ConsumerGroup } from './consumer/consumer-group.js'
import type { GroupMetadata } from './group-metadata.js'

export const CLASSIC_GROUP_TYPE = 'classic'
/** KIP-848 groups, kept by ConsumerGroupCoordinator; listed and deleted here too. */
export const CONSUMER_GROUP_TYPE = 'consumer'

/** What the group admin APIs need from the loaded groups of both protocols. */
export interface GroupAdminHost {
  isActive(): boolean
  groupError(groupId: string | null | undefined, allowEmptyId: boolean): number
  group(groupId: string): GroupMetadata | undefined
  /** The classic groups of the `__consumer_offsets` partitions this broker serves. */
  ownedGroups(): GroupMetadata[]
  /** Whether a partition is still loading (ListGroups then says more may be coming). */
  isLoading(): boolean
  /** Fails the group's parked calls, cancels its timers and marks it Dead. */
  markDead(group: GroupMetadata): void
  /** Forgets a group marked Dead. */
  forgetGroup(groupId: string): void
  appendTombstones(
    groupId: string,
    offsets: readonly { topic: string; partition: number }[],
    includeGroup: boolean
  ): Promise<void>
  /** The live KIP-848 group of this id. */
  consumerGroup(groupId: string): ConsumerGroup | undefined
  /** Every KIP-848 group held, dead ones included. */
  consumerGroups(): Iterable<ConsumerGroup>
  /** Deletes an Empty KIP-848 group (NON_EMPTY_GROUP otherwise) and tombstones its records. */
  deleteConsumerGroup(group: ConsumerGroup): Promise<void>
}

export class GroupAdmin {
  constructor(private readonly host: GroupAdminHost) {}

  listGroups(
    statesFilter: readonly string[] = [],
    typesFilter: readonly string[] = []
  ): { errorCode: number; groups: ListGroupsResponseListedGroup[] } {
    const c = this.host
    if (!c.isActive()) return { errorCode: ErrorCode.COORDINATOR_NOT_AVAILABLE, groups: [] }
    const states = new Set(statesFilter.map((s) => s.toLowerCase()))
    const types = new Set(typesFilter.map((t) => t.toLowerCase()))
    const wanted = (type: string, state: string) =>
      (types.size === 0 || types.has(type)) && (states.size === 0 || states.has(state.toLowerCase()))
    const groups: ListGroupsResponseListedGroup[] = c
      .ownedGroups()
      // A consumer group's offsets live in a member-less classic group of the same id: not a group of its own.
      .filter((g) => !g.is('Dead') && c.consumerGroup(g.groupId) === undefined)
      .filter((g) => wanted(CLASSIC_GROUP_TYPE, g.state))
      .map((g) => ({
        groupId: g.groupId,
        protocolType: g.protocolType ?? '',
        groupState: g.state,
        groupType: CLASSIC_GROUP_TYPE
      }))
    for (const g of c.consumerGroups()) {
      if (g.dead || !wanted(CONSUMER_GROUP_TYPE, g.state)) continue
      groups.push({
        groupId: g.groupId,
        protocolType: 'consumer',
        groupState: g.state,
        groupType: CONSUMER_GROUP_TYPE
      })
    }
    // Like Kafka, answer with what is loaded and say that more may be coming.
    const errorCode = c.isLoading() ? ErrorCode.COORDINATOR_LOAD_IN_PROGRESS : ErrorCode.NONE
    return { errorCode, groups }
  }

  describeGroups(groupIds: readonly string[]): DescribeGroupsResponseDescribedGroup[] {
    const c = this.host
    return groupIds.map((groupId) => {
      const err = c.groupError(groupId, true)
      if (err !== ErrorCode.NONE) return describedGroup(groupId, err, '')
      const g = c.group(groupId)
      if (g === undefined || g.is('Dead')) return describedGroup(groupId, ErrorCode.NONE, 'Dead')
      // Only a Stable group's metadata and assignments are meaningful; otherwise members are listed bare.
      const protocol = g.is('Stable') ? g.protocolName : null
      return {
        errorCode: ErrorCode.NONE,
        groupId,
        groupState: g.state,
        protocolType: g.protocolType ?? '',
        protocolData: protocol ?? '',
        members: [...g.members.values()].map((m) => ({
          memberId: m.memberId,
          groupInstanceId: m.groupInstanceId,
          clientId: m.clientId,
          clientHost: m.clientHost,
          memberMetadata: protocol === null ? Buffer.alloc(0) : m.metadataFor(protocol),
          memberAssignment: protocol === null ? Buffer.alloc(0) : m.assignment
        }))
      }
    })
  }

  /** Deletes Empty groups with their offsets; a group with members is NON_EMPTY_GROUP. */
  async deleteGroups(groupIds: readonly string[]): Promise<{ groupId: string; errorCode: number }[]> {
    const c = this.host
    return Promise.all(
      groupIds.map(async (groupId) => {
        const err = c.groupError(groupId, true)
        if (err !== ErrorCode.NONE) return { groupId, errorCode: err }
        const consumerGroup = c.consumerGroup(groupId)
        if (consumerGroup !== undefined) {
          try {
            await c.deleteConsumerGroup(consumerGroup)
          } catch (e) {
            return { groupId, errorCode: errorCodeOf(e) }
          }
        }
        const g = c.group(groupId)
        if (consumerGroup !== undefined && (g === undefined || g.is('Dead'))) {
          return { groupId, errorCode: ErrorCode.NONE }
        }
        if (g === undefined || g.is('Dead')) return { groupId, errorCode: ErrorCode.GROUP_ID_NOT_FOUND }
        if (!g.is('Empty')) return { groupId, errorCode: ErrorCode.NON_EMPTY_GROUP }
        const offsets = [...g.offsets].flatMap(([topic, ps]) =>
          [...ps.keys()].map((partition) => ({ topic, partition }))
        )
        // Dead first, so that nothing joins or commits while the tombstones are written.
        c.markDead(g)
        c.forgetGroup(groupId)
        try {
          await c.appendTombstones(groupId, offsets, true)
          return { groupId, errorCode: ErrorCode.NONE }
        } catch (e) {
          return { groupId, errorCode: errorCodeOf(e) }
        }
      })
    )
  }
}

function describedGroup(
  groupId: string,
  errorCode: number,
  state: string
): DescribeGroupsResponseDescribedGroup {
  return { errorCode, groupId, groupState: state, protocolType: '', protocolData: '', members: [] }
}
