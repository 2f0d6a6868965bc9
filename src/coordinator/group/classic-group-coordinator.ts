/**
 * Kafka's classic group protocol: the JoinGroup / SyncGroup / Heartbeat / LeaveGroup state machine
 * (Empty → PreparingRebalance → CompletingRebalance → Stable, and Dead), with KIP-394 member ids, KIP-345
 * static membership, session/rebalance timeouts and the delayed initial rebalance. It reaches the loaded
 * groups and their records only through ClassicGroupHost; GroupCoordinatorService assembles it.
 *
 * Event loop: every state change happens synchronously inside a request or timer callback; parked
 * JoinGroup/SyncGroup calls are promises resolved by later events. Only group record appends are awaited,
 * and their continuations re-check state and generation before acting, as Kafka's append callbacks do.
 */

import { randomUUID } from 'node:crypto'
import { ErrorCode, errorCodeOf } from '../../protocol/error-codes.js'
import type { JoinGroupRequest, JoinGroupResponse } from '../../protocol/messages/join-group.js'
import type {
  LeaveGroupRequestMemberIdentity,
  LeaveGroupResponse
} from '../../protocol/messages/leave-group.js'
import type { SyncGroupRequest, SyncGroupResponse } from '../../protocol/messages/sync-group.js'
import type { CoordinatorTime, KeyedTimer } from './coordinator-time.js'
import type { GroupCoordinatorConfig } from './group-coordinator-config.js'
import type { GroupMetadata } from './group-metadata.js'
import type { GroupRequestContext } from './group-request-context.js'
import { EMPTY_ASSIGNMENT, type GroupProtocol, MemberMetadata } from './member-metadata.js'

/** What the classic protocol needs from the loaded groups, their records and the KIP-848 side. */
export interface ClassicGroupHost {
  /**
   * Group-level checks every API starts with (INVALID_GROUP_ID, COORDINATOR_NOT_AVAILABLE, NOT_COORDINATOR,
   * COORDINATOR_LOAD_IN_PROGRESS); NONE when this broker serves the group.
   */
  groupError(groupId: string | null | undefined, allowEmptyId: boolean): number
  group(groupId: string): GroupMetadata | undefined
  createGroup(groupId: string): GroupMetadata
  /** Persists the group record; rejects with the error code Kafka reports for a failed group write. */
  storeGroup(group: GroupMetadata, assignment?: ReadonlyMap<string, Buffer>): Promise<void>
  /** Whether a KIP-848 consumer group holds this id (then classic members are refused). */
  isConsumerGroup(groupId: string): boolean
}

/** JoinGroup v4+: a member without an id is first handed one (KIP-394). */
const REQUIRES_KNOWN_MEMBER_ID_VERSION = 4
/** JoinGroup v9+: a rejoining static leader of a Stable group is told not to recompute the assignment. */
const SKIP_ASSIGNMENT_VERSION = 9

export class ClassicGroupCoordinator {
  /**
   * `timer` is shared with the rest of the group coordinator, which cancels it all on shutdown; the keys
   * used here (join, sync, heartbeat) never collide with its own.
   */
  constructor(
    private readonly host: ClassicGroupHost,
    private readonly config: GroupCoordinatorConfig,
    private readonly time: CoordinatorTime,
    private readonly timer: KeyedTimer
  ) {}

  private now(): number {
    return this.time.now()
  }

  private groupError(groupId: string | null | undefined, allowEmptyId: boolean): number {
    return this.host.groupError(groupId, allowEmptyId)
  }

  private group(groupId: string): GroupMetadata | undefined {
    return this.host.group(groupId)
  }

  /** A loaded group: arm its members' sessions; rebalance it if group.max.size shrank since it was written. */
  onLoaded(group: GroupMetadata): void {
    for (const m of group.members.values()) this.rescheduleHeartbeat(group, m)
    if (group.size > this.config.maxGroupSize) this.prepareRebalance(group)
  }

  /** An unloaded group (partition lost): its parked calls learn NOT_COORDINATOR, and its timers stop. */
  onUnloaded(group: GroupMetadata): void {
    this.failParked(group, ErrorCode.NOT_COORDINATOR)
    this.cancelGroupTimers(group)
  }

  /** Answers the group's parked JoinGroup and SyncGroup calls with `error` (shutdown, unload, deletion). */
  failParked(group: GroupMetadata, error: number): void {
    for (const m of group.members.values()) {
      m.completeJoin(joinError(m.memberId, error))
      m.completeSync({ errorCode: error, assignment: EMPTY_ASSIGNMENT })
    }
  }

  // ---- JoinGroup ----------------------------------------------------------------------------------------

  joinGroup(request: JoinGroupRequest, ctx: GroupRequestContext): Promise<JoinGroupResponse> {
    const memberId = request.memberId
    const err = this.groupError(request.groupId, false)
    if (err !== ErrorCode.NONE) return Promise.resolve(joinError(memberId, err))
    const session = request.sessionTimeoutMs
    if (session < this.config.minSessionTimeoutMs || session > this.config.maxSessionTimeoutMs) {
      return Promise.resolve(joinError(memberId, ErrorCode.INVALID_SESSION_TIMEOUT))
    }
    const isUnknownMember = memberId === ''
    // A KIP-848 group cannot take classic members (Kafka's upgrade/downgrade policies are not implemented).
    if (this.host.isConsumerGroup(request.groupId)) {
      return Promise.resolve(joinError(memberId, ErrorCode.INCONSISTENT_GROUP_PROTOCOL))
    }
    let group = this.group(request.groupId)
    if (group === undefined) {
      // Only a member without an id may create a group; a known id for a missing group is stale.
      if (!isUnknownMember) return Promise.resolve(joinError(memberId, ErrorCode.UNKNOWN_MEMBER_ID))
      group = this.host.createGroup(request.groupId)
    }
    if (!this.acceptJoiningMember(group, memberId)) {
      this.removeMember(group, memberId, ErrorCode.GROUP_MAX_SIZE_REACHED)
      return Promise.resolve(joinError('', ErrorCode.GROUP_MAX_SIZE_REACHED))
    }
    return isUnknownMember
      ? this.joinNewMember(group, request, ctx)
      : this.joinExistingMember(group, request, ctx)
  }

  private acceptJoiningMember(group: GroupMetadata, memberId: string): boolean {
    const max = this.config.maxGroupSize
    switch (group.state) {
      case 'Empty':
      case 'Dead':
        return true
      case 'PreparingRebalance':
        // Counting those already rejoined, not the size, lets the last rejoiners of an oversized group be cut.
        return group.members.get(memberId)?.isAwaitingJoin === true || group.numAwaitingJoin < max
      case 'CompletingRebalance':
      case 'Stable':
        return group.has(memberId) || group.size < max
    }
  }

  private joinNewMember(
    group: GroupMetadata,
    request: JoinGroupRequest,
    ctx: GroupRequestContext
  ): Promise<JoinGroupResponse> {
    if (group.is('Dead')) return Promise.resolve(joinError('', ErrorCode.COORDINATOR_NOT_AVAILABLE))
    if (!group.supportsProtocols(request.protocolType, protocolsOf(request))) {
      return Promise.resolve(joinError('', ErrorCode.INCONSISTENT_GROUP_PROTOCOL))
    }
    const instanceId = request.groupInstanceId ?? null
    const newMemberId = `${instanceId ?? ctx.clientId}-${randomUUID()}`
    if (instanceId !== null) {
      const existing = group.staticMemberId(instanceId)
      if (existing !== undefined) {
        return this.updateStaticMember(group, request, ctx, instanceId, existing, newMemberId)
      }
      return this.addMemberAndRebalance(group, request, ctx, newMemberId)
    }
    if (ctx.apiVersion >= REQUIRES_KNOWN_MEMBER_ID_VERSION) {
      // The id is reserved until the member comes back with it or its session runs out.
      group.pendingMembers.add(newMemberId)
      this.timer.schedule(heartbeatKey(group.groupId, newMemberId), request.sessionTimeoutMs, () =>
        this.expireHeartbeat(group, newMemberId)
      )
      return Promise.resolve(joinError(newMemberId, ErrorCode.MEMBER_ID_REQUIRED))
    }
    return this.addMemberAndRebalance(group, request, ctx, newMemberId)
  }

  private joinExistingMember(
    group: GroupMetadata,
    request: JoinGroupRequest,
    ctx: GroupRequestContext
  ): Promise<JoinGroupResponse> {
    const memberId = request.memberId
    if (group.is('Dead')) return Promise.resolve(joinError(memberId, ErrorCode.COORDINATOR_NOT_AVAILABLE))
    const protocols = protocolsOf(request)
    if (!group.supportsProtocols(request.protocolType, protocols)) {
      return Promise.resolve(joinError(memberId, ErrorCode.INCONSISTENT_GROUP_PROTOCOL))
    }
    if (group.pendingMembers.has(memberId)) {
      return this.addMemberAndRebalance(group, request, ctx, memberId)
    }
    try {
      group.validateMember(memberId, request.groupInstanceId)
    } catch (err) {
      return Promise.resolve(joinError(memberId, errorCodeOf(err)))
    }
    const member = group.member(memberId)
    switch (group.state) {
      case 'PreparingRebalance':
        return this.updateMemberAndRebalance(group, member, request)
      case 'CompletingRebalance':
        // Same metadata: the member probably lost our JoinGroup reply, so it gets the same one again.
        if (member.matches(protocols)) return Promise.resolve(this.currentJoinResponse(group, member, false))
        return this.updateMemberAndRebalance(group, member, request)
      case 'Stable':
        // The leader rejoining means it wants a new assignment (e.g. topic metadata changed).
        if (group.isLeader(memberId) || !member.matches(protocols)) {
          return this.updateMemberAndRebalance(group, member, request)
        }
        return Promise.resolve({ ...this.currentJoinResponse(group, member, false), members: [] })
      default:
        return Promise.resolve(joinError(memberId, ErrorCode.UNKNOWN_MEMBER_ID))
    }
  }

  private currentJoinResponse(
    group: GroupMetadata,
    member: MemberMetadata,
    skip: boolean
  ): JoinGroupResponse {
    return {
      errorCode: ErrorCode.NONE,
      generationId: group.generationId,
      protocolType: group.protocolType,
      protocolName: group.protocolName,
      leader: group.leaderId ?? '',
      skipAssignment: skip,
      memberId: member.memberId,
      members: group.isLeader(member.memberId) ? group.currentMembersForLeader() : []
    }
  }

  private addMemberAndRebalance(
    group: GroupMetadata,
    request: JoinGroupRequest,
    ctx: GroupRequestContext,
    memberId: string
  ): Promise<JoinGroupResponse> {
    const member = new MemberMetadata(
      memberId,
      request.groupInstanceId ?? null,
      ctx.clientId,
      ctx.clientHost,
      request.rebalanceTimeoutMs ?? request.sessionTimeoutMs,
      request.sessionTimeoutMs,
      request.protocolType,
      protocolsOf(request)
    )
    member.isNew = true
    if (group.is('PreparingRebalance') && group.previousState === 'Empty') group.newMemberAdded = true
    const reply = new Promise<JoinGroupResponse>((resolve) => {
      member.awaitingJoin = resolve
    })
    group.add(member)
    // A new member cannot heartbeat while parked; its join is bounded separately, and it retries if cut.
    this.rescheduleHeartbeat(group, member, this.config.newMemberJoinTimeoutMs)
    this.maybePrepareRebalanceOrCompleteJoin(group)
    return reply
  }

  private updateMember(member: MemberMetadata, request: JoinGroupRequest): Promise<JoinGroupResponse> {
    member.protocols = protocolsOf(request)
    member.rebalanceTimeoutMs = request.rebalanceTimeoutMs ?? request.sessionTimeoutMs
    member.sessionTimeoutMs = request.sessionTimeoutMs
    // A superseded JoinGroup (from a connection the client gave up on) is answered rather than leaked.
    member.completeJoin(joinError(member.memberId, ErrorCode.REBALANCE_IN_PROGRESS))
    return new Promise<JoinGroupResponse>((resolve) => {
      member.awaitingJoin = resolve
    })
  }

  private updateMemberAndRebalance(
    group: GroupMetadata,
    member: MemberMetadata,
    request: JoinGroupRequest
  ): Promise<JoinGroupResponse> {
    const reply = this.updateMember(member, request)
    this.maybePrepareRebalanceOrCompleteJoin(group)
    return reply
  }

  /** KIP-345: a restarted static member takes over its old id; a Stable group keeps its assignment. */
  private updateStaticMember(
    group: GroupMetadata,
    request: JoinGroupRequest,
    ctx: GroupRequestContext,
    instanceId: string,
    oldMemberId: string,
    newMemberId: string
  ): Promise<JoinGroupResponse> {
    const currentLeader = group.leaderId
    const member = group.replaceStaticMember(instanceId, oldMemberId, newMemberId)
    this.timer.cancel(heartbeatKey(group.groupId, oldMemberId))
    this.rescheduleHeartbeat(group, member)
    const old = {
      protocols: member.protocols,
      rebalanceTimeoutMs: member.rebalanceTimeoutMs,
      sessionTimeoutMs: member.sessionTimeoutMs
    }
    const reply = this.updateMember(member, request)
    if (group.is('Stable')) {
      if (group.protocolName === group.selectProtocol()) {
        const generation = group.generationId
        this.host.storeGroup(group).then(
          () => {
            const isLeader = group.isLeader(newMemberId)
            const skip = ctx.apiVersion >= SKIP_ASSIGNMENT_VERSION && isLeader
            const response = this.currentJoinResponse(group, member, skip)
            member.completeJoin(skip ? response : { ...response, members: [], leader: currentLeader ?? '' })
          },
          (err: unknown) => {
            // Could not persist the new id: put the old one back so the group matches the log.
            if (group.staticMemberId(instanceId) === newMemberId) {
              member.protocols = old.protocols
              member.rebalanceTimeoutMs = old.rebalanceTimeoutMs
              member.sessionTimeoutMs = old.sessionTimeoutMs
              const pending = member.awaitingJoin
              member.awaitingJoin = null
              group.replaceStaticMember(instanceId, newMemberId, oldMemberId)
              this.timer.cancel(heartbeatKey(group.groupId, newMemberId))
              this.rescheduleHeartbeat(group, member)
              pending?.({
                ...joinError('', errorCodeOf(err)),
                generationId: generation,
                protocolType: group.protocolType,
                protocolName: group.protocolName,
                leader: currentLeader ?? ''
              })
            }
          }
        )
        return reply
      }
      this.maybePrepareRebalanceOrCompleteJoin(group)
      return reply
    }
    if (group.is('CompletingRebalance')) {
      // The leader may already be assigning to the old id, so the assignment must be redone.
      this.prepareRebalance(group)
      return reply
    }
    this.maybeCompleteJoinPhase(group)
    return reply
  }

  // ---- Rebalance --------------------------------------------------------------------------------------

  private canRebalance(group: GroupMetadata): boolean {
    return group.is('Stable') || group.is('CompletingRebalance') || group.is('Empty')
  }

  private maybePrepareRebalanceOrCompleteJoin(group: GroupMetadata): void {
    if (this.canRebalance(group)) this.prepareRebalance(group)
    else this.maybeCompleteJoinPhase(group)
  }

  /** The delayed initial rebalance completes only from its own timer, never early. */
  private maybeCompleteJoinPhase(group: GroupMetadata): void {
    if (group.is('PreparingRebalance') && group.hasAllMembersJoined() && group.previousState !== 'Empty') {
      this.completeJoin(group)
    }
  }

  private prepareRebalance(group: GroupMetadata): void {
    if (group.is('CompletingRebalance'))
      this.resetAndPropagateAssignmentWithError(group, ErrorCode.REBALANCE_IN_PROGRESS)
    this.removeSyncExpiration(group)
    const initial = group.is('Empty')
    if (initial) {
      const delay = this.config.initialRebalanceDelayMs
      const remaining = Math.max(group.rebalanceTimeoutMs - delay, 0)
      this.timer.schedule(joinKey(group.groupId), delay, () =>
        this.tryCompleteInitialRebalance(group, delay, remaining)
      )
    }
    group.transitionTo('PreparingRebalance', this.now())
    if (!initial) this.maybeCompleteJoinElseSchedule(group)
  }

  private maybeCompleteJoinElseSchedule(group: GroupMetadata): void {
    if (group.hasAllMembersJoined()) this.completeJoin(group)
    else this.timer.schedule(joinKey(group.groupId), group.rebalanceTimeoutMs, () => this.completeJoin(group))
  }

  /** group.initial.rebalance.delay.ms: every new arrival extends the wait, up to the rebalance timeout. */
  private tryCompleteInitialRebalance(group: GroupMetadata, delayMs: number, remainingMs: number): void {
    if (group.newMemberAdded && remainingMs !== 0) {
      group.newMemberAdded = false
      const nextDelay = Math.min(this.config.initialRebalanceDelayMs, remainingMs)
      const nextRemaining = Math.max(remainingMs - delayMs, 0)
      this.timer.schedule(joinKey(group.groupId), nextDelay, () =>
        this.tryCompleteInitialRebalance(group, nextDelay, nextRemaining)
      )
    } else {
      this.completeJoin(group)
    }
  }

  private completeJoin(group: GroupMetadata): void {
    this.timer.cancel(joinKey(group.groupId))
    if (!group.is('PreparingRebalance')) return
    // Dynamic members that did not rejoin in time are gone; static ones keep their place (KIP-345).
    for (const m of group.notYetRejoinedMembers()) {
      if (!m.isStatic) this.removeMember(group, m.memberId, ErrorCode.UNKNOWN_MEMBER_ID)
    }
    if (!group.maybeElectNewJoinedLeader() && !group.isEmpty) {
      // Nobody rejoined: wait another rebalance timeout for sessions to expire the silent members.
      this.timer.schedule(joinKey(group.groupId), group.rebalanceTimeoutMs, () => this.completeJoin(group))
      return
    }
    group.initNextGeneration(this.now())
    if (group.is('Empty')) {
      // Losing this write only resurrects an old generation with no live members, which then times out.
      this.host.storeGroup(group).catch(() => undefined)
      return
    }
    for (const member of group.members.values()) {
      member.completeJoin(this.currentJoinResponse(group, member, false))
      this.rescheduleHeartbeat(group, member)
      member.isNew = false
      group.pendingSyncMembers.add(member.memberId)
    }
    const generation = group.generationId
    this.timer.schedule(syncKey(group.groupId), group.rebalanceTimeoutMs, () =>
      this.expirePendingSync(group, generation)
    )
  }

  private expirePendingSync(group: GroupMetadata, generation: number): void {
    if (generation !== group.generationId) return
    if (!(group.is('CompletingRebalance') || group.is('Stable'))) return
    if (group.pendingSyncMembers.size === 0) return
    for (const memberId of [...group.pendingSyncMembers])
      this.removeMember(group, memberId, ErrorCode.UNKNOWN_MEMBER_ID)
    this.prepareRebalance(group)
  }

  private removeSyncExpiration(group: GroupMetadata): void {
    group.pendingSyncMembers.clear()
    this.timer.cancel(syncKey(group.groupId))
  }

  private rescheduleHeartbeat(group: GroupMetadata, member: MemberMetadata, timeoutMs?: number): void {
    const memberId = member.memberId
    this.timer.schedule(heartbeatKey(group.groupId, memberId), timeoutMs ?? member.sessionTimeoutMs, () =>
      this.expireHeartbeat(group, memberId)
    )
  }

  private expireHeartbeat(group: GroupMetadata, memberId: string): void {
    if (group.is('Dead')) return
    if (group.pendingMembers.has(memberId)) {
      group.remove(memberId)
      if (group.is('PreparingRebalance') && group.hasAllMembersJoined()) this.completeJoin(group)
      return
    }
    const member = group.members.get(memberId)
    if (member === undefined || member.hasSatisfiedHeartbeat) return
    this.removeMemberAndUpdateGroup(group, memberId)
  }

  private removeMemberAndUpdateGroup(group: GroupMetadata, memberId: string): void {
    this.removeMember(group, memberId, ErrorCode.UNKNOWN_MEMBER_ID)
    if (group.is('Stable') || group.is('CompletingRebalance')) this.maybePrepareRebalanceOrCompleteJoin(group)
    else if (group.is('PreparingRebalance') && group.hasAllMembersJoined()) this.completeJoin(group)
  }

  /** Removes a member, answering any parked call of its own so that no request is left hanging. */
  private removeMember(group: GroupMetadata, memberId: string, error: number): void {
    const member = group.members.get(memberId)
    if (member !== undefined) {
      member.completeJoin(joinError('', error))
      member.completeSync({ errorCode: error, assignment: EMPTY_ASSIGNMENT })
    }
    group.remove(memberId)
    this.timer.cancel(heartbeatKey(group.groupId, memberId))
  }

  private resetAndPropagateAssignmentWithError(group: GroupMetadata, error: number): void {
    for (const m of group.members.values()) m.assignment = EMPTY_ASSIGNMENT
    this.propagateAssignment(group, error)
  }

  private propagateAssignment(group: GroupMetadata, error: number): void {
    const ok = error === ErrorCode.NONE
    for (const m of group.members.values()) {
      const answered = m.completeSync({
        errorCode: error,
        protocolType: ok ? group.protocolType : null,
        protocolName: ok ? group.protocolName : null,
        assignment: m.assignment
      })
      // Sessions that lapsed while parked in SyncGroup start counting again from now.
      if (answered) this.rescheduleHeartbeat(group, m)
    }
  }

  private cancelGroupTimers(group: GroupMetadata): void {
    this.timer.cancel(joinKey(group.groupId))
    this.timer.cancel(syncKey(group.groupId))
    for (const id of [...group.members.keys(), ...group.pendingMembers]) {
      this.timer.cancel(heartbeatKey(group.groupId, id))
    }
  }

  /** A deleted group (DeleteGroups): nothing may join it or commit to it any more. */
  markDead(group: GroupMetadata): void {
    this.failParked(group, ErrorCode.COORDINATOR_NOT_AVAILABLE)
    this.cancelGroupTimers(group)
    group.transitionTo('Dead', this.now())
  }

  // ---- SyncGroup --------------------------------------------------------------------------------------

  syncGroup(request: SyncGroupRequest, _ctx?: GroupRequestContext): Promise<SyncGroupResponse> {
    const fail = (errorCode: number) => Promise.resolve({ errorCode, assignment: EMPTY_ASSIGNMENT })
    const err = this.groupError(request.groupId, false)
    if (err !== ErrorCode.NONE) return fail(err)
    const group = this.group(request.groupId)
    if (group === undefined) return fail(ErrorCode.UNKNOWN_MEMBER_ID)
    if (group.is('Dead')) return fail(ErrorCode.COORDINATOR_NOT_AVAILABLE)
    const memberId = request.memberId
    try {
      group.validateMember(memberId, request.groupInstanceId)
    } catch (e) {
      return fail(errorCodeOf(e))
    }
    if (request.generationId !== group.generationId) return fail(ErrorCode.ILLEGAL_GENERATION)
    if (
      isInconsistent(request.protocolType, group.protocolType) ||
      isInconsistent(request.protocolName, group.protocolName)
    ) {
      return fail(ErrorCode.INCONSISTENT_GROUP_PROTOCOL)
    }
    switch (group.state) {
      case 'Empty':
        return fail(ErrorCode.UNKNOWN_MEMBER_ID)
      case 'PreparingRebalance':
        return fail(ErrorCode.REBALANCE_IN_PROGRESS)
      case 'Stable': {
        this.removePendingSyncMember(group, memberId)
        const m = group.member(memberId)
        return Promise.resolve({
          errorCode: ErrorCode.NONE,
          protocolType: group.protocolType,
          protocolName: group.protocolName,
          assignment: m.assignment
        })
      }
      case 'CompletingRebalance':
        return this.syncInCompletingRebalance(group, request)
      default:
        return fail(ErrorCode.COORDINATOR_NOT_AVAILABLE)
    }
  }

  private syncInCompletingRebalance(
    group: GroupMetadata,
    request: SyncGroupRequest
  ): Promise<SyncGroupResponse> {
    const member = group.member(request.memberId)
    member.completeSync({ errorCode: ErrorCode.REBALANCE_IN_PROGRESS, assignment: EMPTY_ASSIGNMENT })
    const reply = new Promise<SyncGroupResponse>((resolve) => {
      member.awaitingSync = resolve
    })
    this.removePendingSyncMember(group, request.memberId)
    if (group.isLeader(request.memberId)) {
      const assignment = new Map<string, Buffer>()
      for (const a of request.assignments) assignment.set(a.memberId, a.assignment)
      for (const id of group.members.keys()) if (!assignment.has(id)) assignment.set(id, EMPTY_ASSIGNMENT)
      const generation = request.generationId
      const stillCurrent = () => group.is('CompletingRebalance') && group.generationId === generation
      this.host.storeGroup(group, assignment).then(
        () => {
          if (!stillCurrent()) return
          for (const m of group.members.values())
            m.assignment = assignment.get(m.memberId) ?? EMPTY_ASSIGNMENT
          this.propagateAssignment(group, ErrorCode.NONE)
          group.transitionTo('Stable', this.now())
        },
        (err: unknown) => {
          if (!stillCurrent()) return
          this.resetAndPropagateAssignmentWithError(group, errorCodeOf(err))
          this.maybePrepareRebalanceOrCompleteJoin(group)
        }
      )
    }
    return reply
  }

  private removePendingSyncMember(group: GroupMetadata, memberId: string): void {
    group.pendingSyncMembers.delete(memberId)
    if (group.pendingSyncMembers.size === 0) this.timer.cancel(syncKey(group.groupId))
  }

  // ---- Heartbeat --------------------------------------------------------------------------------------

  heartbeat(request: {
    groupId: string
    generationId: number
    memberId: string
    groupInstanceId?: string | null
  }): number {
    const err = this.groupError(request.groupId, false)
    if (err !== ErrorCode.NONE) return err
    const group = this.group(request.groupId)
    if (group === undefined) return ErrorCode.UNKNOWN_MEMBER_ID
    if (group.is('Dead')) return ErrorCode.COORDINATOR_NOT_AVAILABLE
    try {
      group.validateMember(request.memberId, request.groupInstanceId)
    } catch (e) {
      return errorCodeOf(e)
    }
    if (request.generationId !== group.generationId) return ErrorCode.ILLEGAL_GENERATION
    switch (group.state) {
      case 'Empty':
        return ErrorCode.UNKNOWN_MEMBER_ID
      case 'PreparingRebalance':
        this.rescheduleHeartbeat(group, group.member(request.memberId))
        return ErrorCode.REBALANCE_IN_PROGRESS
      default:
        // Heartbeats between the JoinGroup reply and the assignment (CompletingRebalance) count too.
        this.rescheduleHeartbeat(group, group.member(request.memberId))
        return ErrorCode.NONE
    }
  }

  // ---- LeaveGroup -------------------------------------------------------------------------------------

  /** Batched form (v3+); older versions are one identity with a null instance id. */
  leaveGroup(groupId: string, identities: readonly LeaveGroupRequestMemberIdentity[]): LeaveGroupResponse {
    const err = this.groupError(groupId, false)
    if (err !== ErrorCode.NONE) return { errorCode: err, members: [] }
    const group = this.group(groupId)
    if (group === undefined) return { errorCode: ErrorCode.UNKNOWN_MEMBER_ID, members: [] }
    if (group.is('Dead')) return { errorCode: ErrorCode.COORDINATOR_NOT_AVAILABLE, members: [] }
    const members: LeaveGroupResponse['members'] = []
    let left = 0
    for (const id of identities) {
      const entry = {
        memberId: id.memberId,
        groupInstanceId: id.groupInstanceId,
        errorCode: ErrorCode.NONE as number
      }
      if (id.memberId === '') {
        // Administrative removal by instance id (KIP-345), e.g. from kafka-consumer-groups --delete.
        const staticId = id.groupInstanceId === null ? undefined : group.staticMemberId(id.groupInstanceId)
        if (staticId === undefined) entry.errorCode = ErrorCode.UNKNOWN_MEMBER_ID
        else {
          this.removeMember(group, staticId, ErrorCode.UNKNOWN_MEMBER_ID)
          left++
        }
      } else if (group.pendingMembers.has(id.memberId)) {
        group.remove(id.memberId)
        this.timer.cancel(heartbeatKey(groupId, id.memberId))
      } else {
        try {
          group.validateMember(id.memberId, id.groupInstanceId)
          this.removeMember(group, id.memberId, ErrorCode.UNKNOWN_MEMBER_ID)
          left++
        } catch (e) {
          entry.errorCode = errorCodeOf(e)
        }
      }
      members?.push(entry)
    }
    if (left > 0) {
      if (group.is('Stable') || group.is('CompletingRebalance'))
        this.maybePrepareRebalanceOrCompleteJoin(group)
      else if (group.is('PreparingRebalance')) this.maybeCompleteJoinPhase(group)
    }
    return { errorCode: ErrorCode.NONE, members }
  }
}

function protocolsOf(request: JoinGroupRequest): GroupProtocol[] {
  return request.protocols.map((p) => ({ name: p.name, metadata: p.metadata }))
}

function joinError(memberId: string, errorCode: number): JoinGroupResponse {
  return {
    errorCode,
    generationId: -1,
    protocolType: null,
    protocolName: null,
    leader: '',
    skipAssignment: false,
    memberId,
    members: []
  }
}

function isInconsistent(requested: string | null | undefined, current: string | null): boolean {
  return requested != null && current !== null && requested !== current
}

function heartbeatKey(groupId: string, memberId: string): string {
  return `heartbeat\u0000${groupId}\u0000${memberId}`
}

function joinKey(groupId: string): string {
  return `join\u0000${groupId}`
}

function syncKey(groupId: string): string {
  return `sync\u0000${groupId}`
}
