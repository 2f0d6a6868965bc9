/**
 * The KIP-848 side of the group coordinator (Kafka's GroupMetadataManager.consumerGroupHeartbeat and
 * friends): members join, heartbeat and leave with ConsumerGroupHeartbeat; the group epoch moves whenever
 * membership, subscriptions or subscribed topics change; the server-side assignor computes the target
 * assignment; each member reconciles toward it incrementally (current-assignment-builder.ts). Session and
 * rebalance timeouts fence silent or stuck members. Every change is written as ConsumerGroup* records to
 * `__consumer_offsets` and replayed on load.
 *
 * Event loop: a heartbeat validates and applies its changes synchronously, then awaits only the append of
 * the records describing them; the response is sent once they are durable, as Kafka does. A failed append
 * is reported to the client, which retries with a full heartbeat (the in-memory state is not rolled back).
 */

import { randomUUID } from 'node:crypto'
import { ErrorCode, errorCodeOf, KafkaError } from '../../../protocol/error-codes.js'
import type {
  ConsumerGroupDescribeResponseAssignment,
  ConsumerGroupDescribeResponseDescribedGroup
} from '../../../protocol/messages/consumer-group-describe.js'
import type {
  ConsumerGroupHeartbeatRequest,
  ConsumerGroupHeartbeatResponse
} from '../../../protocol/messages/consumer-group-heartbeat.js'
import { type CoordinatorTime, KeyedTimer } from '../coordinator-time.js'
import type { GroupRequestContext } from '../group-request-context.js'
import type { CoordinatorRecord } from '../group-store.js'
import {
  type Assignment,
  assignmentsEqual,
  EMPTY_ASSIGNMENT,
  fromTopicPartitions,
  toTopicPartitions
} from './assignment.js'
import { assignorNamed, DEFAULT_ASSIGNOR } from './assignors.js'
import { ConsumerGroup, fullMatch, type TopicMetadata } from './consumer-group.js'
import type { ConsumerGroupConfig } from './consumer-group-config.js'
import { throwIfEpochInvalid, validateHeartbeatRequest } from './consumer-group-heartbeat-checks.js'
import { ConsumerGroupLoader } from './consumer-group-loader.js'
import {
  type ConsumerGroupMember,
  JOIN_GROUP_MEMBER_EPOCH,
  LEAVE_GROUP_MEMBER_EPOCH,
  LEAVE_GROUP_STATIC_MEMBER_EPOCH,
  newMember,
  subscriptionChanged
} from './consumer-group-member.js'
import {
  encodeAssignmentEpochValue,
  encodeConsumerGroupKey,
  encodeCurrentAssignmentValue,
  encodeGroupEpochValue,
  encodeMemberMetadataValue,
  encodePartitionMetadataValue,
  encodeTargetAssignmentValue
} from './consumer-group-records.js'
import { reconcile } from './current-assignment-builder.js'
import type { AssignmentMemberSpec } from './partition-assignor.js'
import type { TopicLookup } from './topic-lookup.js'

/** What this module needs from the classic coordinator it lives beside. */
export interface ConsumerGroupHost {
  groupError(groupId: string | null | undefined, allowEmptyId: boolean): number
  /** Whether a classic group with members holds this id (then it is not a consumer group). */
  hasActiveClassicGroup(groupId: string): boolean
  append(groupId: string, records: CoordinatorRecord[]): Promise<void>
  partitionFor(groupId: string): number
}

type HeartbeatResponse = Omit<ConsumerGroupHeartbeatResponse, 'throttleTimeMs'>

export class ConsumerGroupCoordinator {
  readonly groups = new Map<string, ConsumerGroup>()
  private readonly timer: KeyedTimer
  private readonly loader = new ConsumerGroupLoader()

  constructor(
    private readonly host: ConsumerGroupHost,
    private readonly config: ConsumerGroupConfig,
    private readonly topics: TopicLookup,
    time: CoordinatorTime
  ) {
    this.timer = new KeyedTimer(time)
  }

  group(groupId: string): ConsumerGroup | undefined {
    const g = this.groups.get(groupId)
    return g?.dead === false ? g : undefined
  }

  // ---- loading -------------------------------------------------------------------------------------------

  /** Called for each record of a `__consumer_offsets` partition being loaded that the classic side skipped. */
  replay(partition: number, record: CoordinatorRecord): void {
    this.loader.replay(partition, record)
  }

  /** The partition finished loading: publish its groups and give every member a fresh session. */
  onLoaded(partition: number): void {
    for (const group of this.loader.take(partition)) {
      this.groups.set(group.groupId, group)
      for (const m of group.members.values()) this.scheduleSession(group, m.memberId)
    }
  }

  onUnloaded(partition: number): void {
    this.loader.take(partition)
    for (const [id, group] of this.groups) {
      if (this.host.partitionFor(id) !== partition) continue
      this.cancelTimers(group)
      this.groups.delete(id)
    }
  }

  shutdown(): void {
    this.timer.cancelAll()
  }

  // ---- ConsumerGroupHeartbeat ----------------------------------------------------------------------------

  async heartbeat(
    request: ConsumerGroupHeartbeatRequest,
    ctx: GroupRequestContext
  ): Promise<HeartbeatResponse> {
    try {
      validateHeartbeatRequest(request, ctx.apiVersion)
      const err = this.host.groupError(request.groupId, false)
      if (err !== ErrorCode.NONE) throw new KafkaError(err)
      if (this.host.hasActiveClassicGroup(request.groupId)) {
        throw new KafkaError(
          ErrorCode.GROUP_ID_NOT_FOUND,
          `Group ${request.groupId} is not a consumer group.`
        )
      }
      if (
        request.memberEpoch === LEAVE_GROUP_MEMBER_EPOCH ||
        request.memberEpoch === LEAVE_GROUP_STATIC_MEMBER_EPOCH
      ) {
        return await this.leave(request)
      }
      return await this.join(request, ctx)
    } catch (e) {
      return {
        errorCode: errorCodeOf(e),
        errorMessage: e instanceof KafkaError ? e.message : null,
        memberId: null,
        memberEpoch: 0,
        heartbeatIntervalMs: 0,
        assignment: null
      }
    }
  }

  private async join(
    request: ConsumerGroupHeartbeatRequest,
    ctx: GroupRequestContext
  ): Promise<HeartbeatResponse> {
    const joining = request.memberEpoch === JOIN_GROUP_MEMBER_EPOCH
    let group = this.group(request.groupId)
    if (group === undefined) {
      if (!joining) throw new KafkaError(ErrorCode.GROUP_ID_NOT_FOUND, `Group ${request.groupId} not found.`)
      group = new ConsumerGroup(request.groupId)
      this.groups.set(group.groupId, group)
    }
    const memberId = request.memberId === '' ? randomUUID() : request.memberId
    const records: CoordinatorRecord[] = []
    const owned = request.topicPartitions === null ? null : fromTopicPartitions(request.topicPartitions)

    let member = group.members.get(memberId)
    if (joining) {
      if (member === undefined && request.instanceId !== null) {
        member = this.replaceStaticMember(group, request.instanceId, memberId, records)
      }
      if (member === undefined) {
        if (group.members.size >= this.config.maxSize) {
          throw new KafkaError(
            ErrorCode.GROUP_MAX_SIZE_REACHED,
            `The consumer group has reached its maximum capacity of ${this.config.maxSize} members.`
          )
        }
        member = newMember(memberId)
      }
    } else {
      if (member === undefined) {
        throw new KafkaError(
          ErrorCode.UNKNOWN_MEMBER_ID,
          `Member ${memberId} is not a member of group ${group.groupId}.`
        )
      }
      throwIfEpochInvalid(member, request.memberEpoch, owned)
    }

    const isNew = !group.members.has(memberId)
    const updated: ConsumerGroupMember = {
      ...member,
      instanceId: request.instanceId ?? member.instanceId,
      rackId: request.rackId ?? member.rackId,
      clientId: ctx.clientId,
      clientHost: ctx.clientHost,
      rebalanceTimeoutMs:
        request.rebalanceTimeoutMs !== -1 ? request.rebalanceTimeoutMs : member.rebalanceTimeoutMs,
      subscribedTopicNames:
        request.subscribedTopicNames === null
          ? member.subscribedTopicNames
          : [...new Set(request.subscribedTopicNames)].sort(),
      subscribedTopicRegex:
        request.subscribedTopicRegex == null
          ? member.subscribedTopicRegex
          : request.subscribedTopicRegex === ''
            ? null
            : request.subscribedTopicRegex,
      serverAssignor: request.serverAssignor ?? member.serverAssignor
    }
    let bumpGroupEpoch = isNew || subscriptionChanged(member, updated)
    if (isNew || metadataChanged(member, updated)) {
      records.push(memberMetadataRecord(group.groupId, updated))
    }

    // The subscribed topics as they would be with this member's new subscription.
    const subscription = this.subscriptionMetadata(group, updated)
    if (!sameMetadata(subscription, group.subscriptionMetadata)) {
      group.subscriptionMetadata = subscription
      records.push({
        key: encodeConsumerGroupKey('partitionMetadata', group.groupId),
        value: encodePartitionMetadataValue(subscription.values())
      })
      bumpGroupEpoch = true
    }
    // Membership is applied before the assignment so the assignor sees the member.
    group.updateMember(memberId, updated)
    if (bumpGroupEpoch) {
      group.groupEpoch++
      records.push({
        key: encodeConsumerGroupKey('metadata', group.groupId),
        value: encodeGroupEpochValue(group.groupEpoch)
      })
    }
    if (group.groupEpoch > group.assignmentEpoch) this.computeTargetAssignment(group, records)

    const reconciled = reconcile({
      member: updated,
      targetEpoch: group.assignmentEpoch,
      target: group.targetAssignment.get(memberId) ?? EMPTY_ASSIGNMENT,
      ownedTopicPartitions: owned,
      ownerEpoch: (t, p) => {
        const own =
          updated.assignedPartitions.get(t)?.has(p) === true ||
          updated.partitionsPendingRevocation.get(t)?.has(p) === true
        return own ? -1 : group.ownerEpoch(t, p)
      }
    })
    const assignmentChanged =
      isNew ||
      reconciled.memberEpoch !== updated.memberEpoch ||
      reconciled.state !== updated.state ||
      !assignmentsEqual(reconciled.assignedPartitions, updated.assignedPartitions) ||
      !assignmentsEqual(reconciled.partitionsPendingRevocation, updated.partitionsPendingRevocation)
    if (assignmentChanged) {
      group.updateMember(memberId, reconciled)
      records.push(currentAssignmentRecord(group.groupId, reconciled))
    }
    this.scheduleSession(group, memberId)
    if (reconciled.state === 'UNREVOKED_PARTITIONS') {
      if (updated.state !== 'UNREVOKED_PARTITIONS') this.scheduleRebalanceTimeout(group, reconciled)
    } else {
      this.timer.cancel(rebalanceKey(group.groupId, memberId))
    }

    if (records.length > 0) await this.host.append(group.groupId, records)

    const isFullRequest =
      request.rebalanceTimeoutMs !== -1 &&
      (request.subscribedTopicNames !== null || request.subscribedTopicRegex != null) &&
      request.topicPartitions !== null
    const sendAssignment =
      joining || isFullRequest || !assignmentsEqual(reconciled.assignedPartitions, member.assignedPartitions)
    return {
      errorCode: ErrorCode.NONE,
      errorMessage: null,
      memberId,
      memberEpoch: reconciled.memberEpoch,
      heartbeatIntervalMs: this.config.heartbeatIntervalMs,
      assignment: sendAssignment
        ? { topicPartitions: toTopicPartitions(reconciled.assignedPartitions) }
        : null
    }
  }

  /**
   * A static member (instance id) rejoining under a new member id takes over the old member's place and
   * partitions, but only once the old one has left temporarily (epoch -2); otherwise the id is in use.
   */
  private replaceStaticMember(
    group: ConsumerGroup,
    instanceId: string,
    memberId: string,
    records: CoordinatorRecord[]
  ): ConsumerGroupMember | undefined {
    const previous = group.staticMember(instanceId)
    if (previous === undefined) return undefined
    if (previous.memberEpoch !== LEAVE_GROUP_STATIC_MEMBER_EPOCH) {
      throw new KafkaError(
        ErrorCode.UNRELEASED_INSTANCE_ID,
        `Static member ${previous.memberId} with instance id ${instanceId} is not released yet.`
      )
    }
    const target = group.targetAssignment.get(previous.memberId) ?? EMPTY_ASSIGNMENT
    this.removeMemberState(group, previous.memberId, records)
    group.targetAssignment.set(memberId, target)
    records.push({
      key: encodeConsumerGroupKey('targetAssignmentMember', group.groupId, memberId),
      value: encodeTargetAssignmentValue(target)
    })
    // It resumes at the epoch the old instance had reached, so the group needs no new epoch.
    const member: ConsumerGroupMember = {
      ...previous,
      memberId,
      memberEpoch: previous.previousMemberEpoch,
      previousMemberEpoch: previous.previousMemberEpoch
    }
    group.updateMember(memberId, member)
    records.push(memberMetadataRecord(group.groupId, member))
    return member
  }

  private async leave(request: ConsumerGroupHeartbeatRequest): Promise<HeartbeatResponse> {
    const group = this.group(request.groupId)
    if (group === undefined)
      throw new KafkaError(ErrorCode.GROUP_ID_NOT_FOUND, `Group ${request.groupId} not found.`)
    const member =
      group.members.get(request.memberId) ??
      (request.instanceId !== null ? group.staticMember(request.instanceId) : undefined)
    if (member === undefined) {
      throw new KafkaError(
        ErrorCode.UNKNOWN_MEMBER_ID,
        `Member ${request.memberId} is not a member of group ${group.groupId}.`
      )
    }
    const records: CoordinatorRecord[] = []
    if (request.memberEpoch === LEAVE_GROUP_STATIC_MEMBER_EPOCH) {
      // A static member going away temporarily keeps its partitions until it returns or its session ends.
      const parked: ConsumerGroupMember = {
        ...member,
        previousMemberEpoch: member.memberEpoch,
        memberEpoch: LEAVE_GROUP_STATIC_MEMBER_EPOCH
      }
      group.updateMember(member.memberId, parked)
      records.push(currentAssignmentRecord(group.groupId, parked))
      this.timer.cancel(rebalanceKey(group.groupId, member.memberId))
    } else {
      this.removeMember(group, member.memberId, records)
    }
    await this.host.append(group.groupId, records)
    return {
      errorCode: ErrorCode.NONE,
      errorMessage: null,
      memberId: member.memberId,
      memberEpoch: request.memberEpoch,
      heartbeatIntervalMs: 0,
      assignment: null
    }
  }

  /** Removes a member and bumps the group epoch so that its partitions are reassigned. */
  private removeMember(group: ConsumerGroup, memberId: string, records: CoordinatorRecord[]): void {
    this.removeMemberState(group, memberId, records)
    group.subscriptionMetadata = this.subscriptionMetadata(group)
    records.push({
      key: encodeConsumerGroupKey('partitionMetadata', group.groupId),
      value: encodePartitionMetadataValue(group.subscriptionMetadata.values())
    })
    group.groupEpoch++
    records.push({
      key: encodeConsumerGroupKey('metadata', group.groupId),
      value: encodeGroupEpochValue(group.groupEpoch)
    })
  }

  private removeMemberState(group: ConsumerGroup, memberId: string, records: CoordinatorRecord[]): void {
    group.updateMember(memberId, undefined)
    group.targetAssignment.delete(memberId)
    this.timer.cancel(sessionKey(group.groupId, memberId))
    this.timer.cancel(rebalanceKey(group.groupId, memberId))
    // Kafka's order: current assignment, target assignment, then the member itself.
    for (const type of ['currentMemberAssignment', 'targetAssignmentMember', 'memberMetadata'] as const) {
      records.push({ key: encodeConsumerGroupKey(type, group.groupId, memberId), value: null })
    }
  }

  /** Fences a member (session or rebalance timeout) outside any request: best-effort write. */
  private fence(group: ConsumerGroup, memberId: string): void {
    if (this.groups.get(group.groupId) !== group || !group.members.has(memberId)) return
    const records: CoordinatorRecord[] = []
    this.removeMember(group, memberId, records)
    // A lost write only means the member reappears after a reload and times out again.
    this.host.append(group.groupId, records).catch(() => undefined)
  }

  private computeTargetAssignment(group: ConsumerGroup, records: CoordinatorRecord[]): void {
    const assignor = assignorNamed(preferredAssignor(group)) ?? DEFAULT_ASSIGNOR
    const specs = new Map<string, AssignmentMemberSpec>()
    const resolvedRegexes = new Map<string, RegExp>()
    for (const m of group.members.values()) {
      const ids = new Set<string>()
      for (const name of m.subscribedTopicNames) {
        const t = group.subscriptionMetadata.get(name)
        if (t !== undefined) ids.add(t.topicId)
      }
      if (m.subscribedTopicRegex !== null) {
        let re = resolvedRegexes.get(m.subscribedTopicRegex)
        if (re === undefined) {
          re = fullMatch(m.subscribedTopicRegex)
          resolvedRegexes.set(m.subscribedTopicRegex, re)
        }
        for (const t of group.subscriptionMetadata.values()) if (re.test(t.name)) ids.add(t.topicId)
      }
      specs.set(m.memberId, {
        subscribedTopicIds: ids,
        rackId: m.rackId,
        assignment: group.targetAssignment.get(m.memberId) ?? EMPTY_ASSIGNMENT
      })
    }
    const topics = new Map<string, number>()
    for (const t of group.subscriptionMetadata.values()) topics.set(t.topicId, t.numPartitions)
    const next = assignor.assign({ members: specs }, topics)
    for (const [memberId, a] of next) {
      const previous = group.targetAssignment.get(memberId)
      if (previous !== undefined && assignmentsEqual(previous, a)) continue
      group.targetAssignment.set(memberId, a)
      records.push({
        key: encodeConsumerGroupKey('targetAssignmentMember', group.groupId, memberId),
        value: encodeTargetAssignmentValue(a)
      })
    }
    group.assignmentEpoch = group.groupEpoch
    records.push({
      key: encodeConsumerGroupKey('targetAssignmentMetadata', group.groupId),
      value: encodeAssignmentEpochValue(group.assignmentEpoch)
    })
  }

  /** Subscribed topics that exist, optionally with one member's subscription replaced by `updated`. */
  private subscriptionMetadata(
    group: ConsumerGroup,
    updated?: ConsumerGroupMember
  ): Map<string, TopicMetadata> {
    const names = new Set<string>()
    const regexes: RegExp[] = []
    for (const m of group.members.values()) {
      const s = updated !== undefined && m.memberId === updated.memberId ? updated : m
      for (const n of s.subscribedTopicNames) names.add(n)
      if (s.subscribedTopicRegex !== null) regexes.push(fullMatch(s.subscribedTopicRegex))
    }
    if (updated !== undefined && !group.members.has(updated.memberId)) {
      for (const n of updated.subscribedTopicNames) names.add(n)
      if (updated.subscribedTopicRegex !== null) regexes.push(fullMatch(updated.subscribedTopicRegex))
    }
    if (regexes.length > 0)
      for (const n of this.topics.names()) if (regexes.some((r) => r.test(n))) names.add(n)
    const out = new Map<string, TopicMetadata>()
    for (const name of [...names].sort()) {
      const t = this.topics.byName(name)
      if (t !== undefined) out.set(name, { topicId: t.topicId, name, numPartitions: t.numPartitions })
    }
    return out
  }

  // ---- timers --------------------------------------------------------------------------------------------

  private scheduleSession(group: ConsumerGroup, memberId: string): void {
    this.timer.schedule(sessionKey(group.groupId, memberId), this.config.sessionTimeoutMs, () =>
      this.fence(group, memberId)
    )
  }

  /** A member that does not revoke within its rebalance timeout is fenced, so the others can proceed. */
  private scheduleRebalanceTimeout(group: ConsumerGroup, member: ConsumerGroupMember): void {
    const epoch = member.memberEpoch
    const timeout = member.rebalanceTimeoutMs > 0 ? member.rebalanceTimeoutMs : this.config.sessionTimeoutMs
    this.timer.schedule(rebalanceKey(group.groupId, member.memberId), timeout, () => {
      const current = group.members.get(member.memberId)
      if (current?.state === 'UNREVOKED_PARTITIONS' && current.memberEpoch === epoch)
        this.fence(group, member.memberId)
    })
  }

  private cancelTimers(group: ConsumerGroup): void {
    for (const id of group.members.keys()) {
      this.timer.cancel(sessionKey(group.groupId, id))
      this.timer.cancel(rebalanceKey(group.groupId, id))
    }
  }

  // ---- ConsumerGroupDescribe and admin -------------------------------------------------------------------

  describe(
    groupIds: readonly string[],
    authorizedOperations: number
  ): ConsumerGroupDescribeResponseDescribedGroup[] {
    return groupIds.map((groupId) => {
      const base = {
        groupId,
        errorMessage: null,
        groupState: '',
        groupEpoch: 0,
        assignmentEpoch: 0,
        assignorName: '',
        members: [],
        authorizedOperations
      }
      const err = this.host.groupError(groupId, false)
      if (err !== ErrorCode.NONE) return { ...base, errorCode: err }
      const group = this.group(groupId)
      if (group === undefined) {
        return {
          ...base,
          errorCode: ErrorCode.GROUP_ID_NOT_FOUND,
          errorMessage: `Group ${groupId} not found.`
        }
      }
      return {
        ...base,
        errorCode: ErrorCode.NONE,
        groupState: group.state,
        groupEpoch: group.groupEpoch,
        assignmentEpoch: group.assignmentEpoch,
        assignorName: assignorNamed(preferredAssignor(group))?.name ?? DEFAULT_ASSIGNOR.name,
        members: [...group.members.values()].map((m) => ({
          memberId: m.memberId,
          instanceId: m.instanceId,
          rackId: m.rackId,
          memberEpoch: m.memberEpoch,
          clientId: m.clientId,
          clientHost: m.clientHost,
          subscribedTopicNames: [...m.subscribedTopicNames],
          subscribedTopicRegex: m.subscribedTopicRegex,
          assignment: this.describeAssignment(m.assignedPartitions),
          targetAssignment: this.describeAssignment(
            group.targetAssignment.get(m.memberId) ?? EMPTY_ASSIGNMENT
          )
        }))
      }
    })
  }

  private describeAssignment(a: Assignment): ConsumerGroupDescribeResponseAssignment {
    return {
      topicPartitions: toTopicPartitions(a).map((tp) => ({
        ...tp,
        topicName: this.topics.nameOf(tp.topicId) ?? ''
      }))
    }
  }

  /**
   * Kafka's ConsumerGroup.validateOffsetCommit / validateOffsetFetch for members of this protocol: admin
   * tools (no member id, epoch -1) may commit only to an Empty group and may always fetch; members must be
   * known (UNKNOWN_MEMBER_ID) and send their current epoch (STALE_MEMBER_EPOCH).
   */
  validateOffsetRequest(
    group: ConsumerGroup,
    memberId: string,
    memberEpoch: number,
    isCommit: boolean
  ): void {
    if (memberEpoch < 0 && memberId === '') {
      if (!isCommit || group.members.size === 0) return
      throw new KafkaError(ErrorCode.UNKNOWN_MEMBER_ID)
    }
    const member = group.members.get(memberId)
    if (member === undefined) throw new KafkaError(ErrorCode.UNKNOWN_MEMBER_ID)
    if (memberEpoch !== member.memberEpoch) throw new KafkaError(ErrorCode.STALE_MEMBER_EPOCH)
  }

  /** DeleteGroups for a consumer group: only an Empty one may go; its records are tombstoned. */
  async deleteGroup(group: ConsumerGroup): Promise<void> {
    if (group.members.size > 0) throw new KafkaError(ErrorCode.NON_EMPTY_GROUP)
    group.dead = true
    this.groups.delete(group.groupId)
    await this.host.append(group.groupId, [
      { key: encodeConsumerGroupKey('targetAssignmentMetadata', group.groupId), value: null },
      { key: encodeConsumerGroupKey('partitionMetadata', group.groupId), value: null },
      { key: encodeConsumerGroupKey('metadata', group.groupId), value: null }
    ])
  }
}

/** The assignor most members ask for (ties by name), or the default. */
function preferredAssignor(group: ConsumerGroup): string {
  const votes = new Map<string, number>()
  for (const m of group.members.values()) {
    if (m.serverAssignor !== null) votes.set(m.serverAssignor, (votes.get(m.serverAssignor) ?? 0) + 1)
  }
  let best = DEFAULT_ASSIGNOR.name
  let bestVotes = 0
  for (const [name, n] of [...votes].sort(([a], [b]) => (a < b ? -1 : 1))) {
    if (n > bestVotes) {
      best = name
      bestVotes = n
    }
  }
  return best
}

function metadataChanged(a: ConsumerGroupMember, b: ConsumerGroupMember): boolean {
  return (
    subscriptionChanged(a, b) ||
    a.instanceId !== b.instanceId ||
    a.clientId !== b.clientId ||
    a.clientHost !== b.clientHost ||
    a.rebalanceTimeoutMs !== b.rebalanceTimeoutMs
  )
}

function sameMetadata(a: ReadonlyMap<string, TopicMetadata>, b: ReadonlyMap<string, TopicMetadata>): boolean {
  if (a.size !== b.size) return false
  for (const [name, t] of a) {
    const o = b.get(name)
    if (o === undefined || o.topicId !== t.topicId || o.numPartitions !== t.numPartitions) return false
  }
  return true
}

function memberMetadataRecord(groupId: string, m: ConsumerGroupMember): CoordinatorRecord {
  return {
    key: encodeConsumerGroupKey('memberMetadata', groupId, m.memberId),
    value: encodeMemberMetadataValue(m)
  }
}

function currentAssignmentRecord(groupId: string, m: ConsumerGroupMember): CoordinatorRecord {
  return {
    key: encodeConsumerGroupKey('currentMemberAssignment', groupId, m.memberId),
    value: encodeCurrentAssignmentValue(m)
  }
}

function sessionKey(groupId: string, memberId: string): string {
  return `cg-session\u0000${groupId}\u0000${memberId}`
}

function rebalanceKey(groupId: string, memberId: string): string {
  return `cg-rebalance\u0000${groupId}\u0000${memberId}`
}
