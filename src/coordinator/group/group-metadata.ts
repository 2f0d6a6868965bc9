/**
 * A classic group's membership and committed offsets (Kafka's GroupMetadata / ClassicGroup). It knows the
 * rules that are about the group alone: state transitions, protocol agreement and selection, leader choice,
 * member validation. Timers, persistence and replies to clients belong to ClassicGroupCoordinator.
 *
 * Event loop: mutated synchronously by the group coordinator's parts (ClassicGroupCoordinator, the offset
 * APIs) only; never shared across coordinators.
 */

import { ErrorCode, KafkaError } from '../../protocol/error-codes.js'
import { decodeConsumerProtocolSubscription } from '../../protocol/messages/consumer-protocol-subscription.js'
import { Reader } from '../../protocol/reader.js'
import { type GroupState, isValidTransition } from './group-state.js'
import type { GroupProtocol, MemberMetadata } from './member-metadata.js'

export interface OffsetAndMetadata {
  offset: bigint
  leaderEpoch: number
  metadata: string
  commitTimestamp: number
  /** Explicit expiry from OffsetCommit v2-v4 retention; null means "use offsets.retention.minutes". */
  expireTimestamp: number | null
}

export const CONSUMER_PROTOCOL_TYPE = 'consumer'

export class GroupMetadata {
  private currentState: GroupState
  private prevState: GroupState
  /** When the group entered its current state; the base for expiring the offsets of an Empty group. */
  stateTimestamp: number | null
  generationId = 0
  protocolType: string | null = null
  protocolName: string | null = null
  leaderId: string | null = null
  readonly members = new Map<string, MemberMetadata>()
  private readonly staticMembers = new Map<string, string>()
  /** KIP-394: ids handed out with MEMBER_ID_REQUIRED whose owners have not joined with them yet. */
  readonly pendingMembers = new Set<string>()
  readonly pendingSyncMembers = new Set<string>()
  /** A member joined during the initial (delayed) rebalance, which extends the delay once more. */
  newMemberAdded = false
  readonly offsets = new Map<string, Map<number, OffsetAndMetadata>>()

  constructor(
    readonly groupId: string,
    initialState: GroupState,
    now: number | null
  ) {
    this.currentState = initialState
    this.prevState = initialState
    this.stateTimestamp = now
  }

  get state(): GroupState {
    return this.currentState
  }

  get previousState(): GroupState {
    return this.prevState
  }

  is(state: GroupState): boolean {
    return this.currentState === state
  }

  transitionTo(state: GroupState, now: number): void {
    if (!isValidTransition(this.currentState, state)) {
      throw new Error(`group ${this.groupId}: illegal transition ${this.currentState} -> ${state}`)
    }
    this.prevState = this.currentState
    this.currentState = state
    this.stateTimestamp = now
  }

  get size(): number {
    return this.members.size
  }

  get isEmpty(): boolean {
    return this.members.size === 0
  }

  member(memberId: string): MemberMetadata {
    const m = this.members.get(memberId)
    if (m === undefined) throw new KafkaError(ErrorCode.UNKNOWN_MEMBER_ID)
    return m
  }

  has(memberId: string): boolean {
    return this.members.has(memberId)
  }

  isLeader(memberId: string): boolean {
    return this.leaderId === memberId
  }

  staticMemberId(groupInstanceId: string): string | undefined {
    return this.staticMembers.get(groupInstanceId)
  }

  add(member: MemberMetadata): void {
    if (this.members.size === 0) this.protocolType = member.protocolType
    this.members.set(member.memberId, member)
    if (member.groupInstanceId !== null) this.staticMembers.set(member.groupInstanceId, member.memberId)
    this.pendingMembers.delete(member.memberId)
    this.leaderId ??= member.memberId
  }

  remove(memberId: string): void {
    const m = this.members.get(memberId)
    this.pendingMembers.delete(memberId)
    this.pendingSyncMembers.delete(memberId)
    if (m === undefined) return
    this.members.delete(memberId)
    if (m.groupInstanceId !== null) this.staticMembers.delete(m.groupInstanceId)
    if (this.leaderId === memberId) {
      const next = this.members.keys().next()
      this.leaderId = next.done ? null : next.value
    }
  }

  /** KIP-345: the static member takes a new member id and keeps everything else, including its assignment. */
  replaceStaticMember(groupInstanceId: string, oldMemberId: string, newMemberId: string): MemberMetadata {
    const m = this.members.get(oldMemberId)
    if (m === undefined) throw new Error(`static member ${oldMemberId} of ${this.groupId} is missing`)
    // A fenced instance's parked calls are answered so its old session stops cleanly.
    m.completeJoin({
      errorCode: ErrorCode.FENCED_INSTANCE_ID,
      generationId: -1,
      protocolName: null,
      leader: '',
      memberId: oldMemberId,
      members: []
    })
    m.completeSync({ errorCode: ErrorCode.FENCED_INSTANCE_ID, assignment: Buffer.alloc(0) })
    this.members.delete(oldMemberId)
    m.memberId = newMemberId
    this.members.set(newMemberId, m)
    if (this.leaderId === oldMemberId) this.leaderId = newMemberId
    this.staticMembers.set(groupInstanceId, newMemberId)
    if (this.pendingSyncMembers.delete(oldMemberId)) this.pendingSyncMembers.add(newMemberId)
    return m
  }

  /** Kafka's validateMember: static members are checked by instance id first, so a stale id is fenced. */
  validateMember(memberId: string, groupInstanceId: string | null | undefined): void {
    if (groupInstanceId != null) {
      const existing = this.staticMembers.get(groupInstanceId)
      if (existing === undefined) throw new KafkaError(ErrorCode.UNKNOWN_MEMBER_ID)
      if (existing !== memberId) throw new KafkaError(ErrorCode.FENCED_INSTANCE_ID)
    } else if (!this.members.has(memberId)) {
      throw new KafkaError(ErrorCode.UNKNOWN_MEMBER_ID)
    }
  }

  get numAwaitingJoin(): number {
    let n = 0
    for (const m of this.members.values()) if (m.isAwaitingJoin) n++
    return n
  }

  hasAllMembersJoined(): boolean {
    return this.numAwaitingJoin === this.members.size && this.pendingMembers.size === 0
  }

  notYetRejoinedMembers(): MemberMetadata[] {
    return [...this.members.values()].filter((m) => !m.isAwaitingJoin)
  }

  /** The longest rebalance timeout of any member: how long the join phase may wait for all of them. */
  get rebalanceTimeoutMs(): number {
    let max = 0
    for (const m of this.members.values()) max = Math.max(max, m.rebalanceTimeoutMs)
    return max
  }

  /** Protocols every current member supports. */
  private candidateProtocols(): Set<string> {
    const counts = new Map<string, number>()
    for (const m of this.members.values()) {
      for (const p of m.protocols) counts.set(p.name, (counts.get(p.name) ?? 0) + 1)
    }
    const all = new Set<string>()
    for (const [name, n] of counts) if (n === this.members.size) all.add(name)
    return all
  }

  /** Whether a member with these protocols can join without breaking agreement on at least one protocol. */
  supportsProtocols(protocolType: string, protocols: readonly GroupProtocol[]): boolean {
    if (this.isEmpty) return protocolType.length > 0 && protocols.length > 0
    if (this.protocolType !== protocolType) return false
    const candidates = this.candidateProtocols()
    return protocols.some((p) => candidates.has(p.name))
  }

  /** Each member votes for its preferred candidate; the most votes win, ties going to the earlier vote. */
  selectProtocol(): string {
    if (this.isEmpty) throw new Error(`cannot select a protocol for empty group ${this.groupId}`)
    const candidates = this.candidateProtocols()
    const votes = new Map<string, number>()
    for (const m of this.members.values()) {
      const v = m.vote(candidates)
      votes.set(v, (votes.get(v) ?? 0) + 1)
    }
    let best: string | null = null
    let bestVotes = -1
    for (const [name, n] of votes) {
      if (n > bestVotes) {
        best = name
        bestVotes = n
      }
    }
    return best as string
  }

  /** If the leader has not rejoined, any member that has takes over; false when nobody has rejoined. */
  maybeElectNewJoinedLeader(): boolean {
    const leader = this.leaderId === null ? undefined : this.members.get(this.leaderId)
    if (leader?.isAwaitingJoin) return true
    for (const m of this.members.values()) {
      if (m.isAwaitingJoin) {
        this.leaderId = m.memberId
        return true
      }
    }
    return false
  }

  initNextGeneration(now: number): void {
    this.generationId++
    if (!this.isEmpty) {
      this.protocolName = this.selectProtocol()
      this.transitionTo('CompletingRebalance', now)
    } else {
      this.protocolName = null
      this.transitionTo('Empty', now)
    }
    this.pendingSyncMembers.clear()
  }

  /**
   * Topics the members subscribe to, when the group speaks the consumer protocol and every subscription
   * parses; null when unknown, in which case no offset may be treated as unsubscribed.
   */
  subscribedTopics(): Set<string> | null {
    if (this.protocolType !== CONSUMER_PROTOCOL_TYPE || this.protocolName === null) return null
    const topics = new Set<string>()
    for (const m of this.members.values()) {
      try {
        const r = new Reader(m.metadataFor(this.protocolName))
        const version = r.readInt16()
        const sub = decodeConsumerProtocolSubscription(r, Math.min(Math.max(version, 0), 3))
        for (const t of sub.topics) topics.add(t)
      } catch {
        return null
      }
    }
    return topics
  }

  offset(topic: string, partition: number): OffsetAndMetadata | undefined {
    return this.offsets.get(topic)?.get(partition)
  }

  setOffset(topic: string, partition: number, value: OffsetAndMetadata): void {
    let byPartition = this.offsets.get(topic)
    if (byPartition === undefined) {
      byPartition = new Map()
      this.offsets.set(topic, byPartition)
    }
    byPartition.set(partition, value)
  }

  removeOffset(topic: string, partition: number): boolean {
    const byPartition = this.offsets.get(topic)
    if (byPartition === undefined) return false
    const removed = byPartition.delete(partition)
    if (byPartition.size === 0) this.offsets.delete(topic)
    return removed
  }

  get hasOffsets(): boolean {
    return this.offsets.size > 0
  }

  /** The static and dynamic members' protocol metadata for the leader's JoinGroup reply. */
  currentMembersForLeader(): { memberId: string; groupInstanceId: string | null; metadata: Buffer }[] {
    const protocol = this.protocolName
    if (protocol === null) return []
    return [...this.members.values()].map((m) => ({
      memberId: m.memberId,
      groupInstanceId: m.groupInstanceId,
      metadata: m.metadataFor(protocol)
    }))
  }
}
