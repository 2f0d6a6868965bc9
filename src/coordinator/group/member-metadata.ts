/**
 * One member of a classic group (Kafka's MemberMetadata / ClassicGroupMember). Besides what is persisted it
 * holds the member's parked JoinGroup and SyncGroup replies: a member is "awaiting join" while its JoinGroup
 * is parked until the join phase completes.
 *
 * Event loop: owned by one GroupMetadata and only mutated by ClassicGroupCoordinator, synchronously.
 */

import type { JoinGroupResponse } from '../../protocol/messages/join-group.js'
import type { SyncGroupResponse } from '../../protocol/messages/sync-group.js'

export interface GroupProtocol {
  readonly name: string
  readonly metadata: Buffer
}

export type JoinCallback = (response: JoinGroupResponse) => void
export type SyncCallback = (response: SyncGroupResponse) => void

export const EMPTY_ASSIGNMENT: Buffer = Buffer.alloc(0)

export class MemberMetadata {
  assignment: Buffer = EMPTY_ASSIGNMENT
  awaitingJoin: JoinCallback | null = null
  awaitingSync: SyncCallback | null = null
  /** Joined but has not yet received its first JoinGroup reply, so it cannot heartbeat yet. */
  isNew = false

  constructor(
    public memberId: string,
    readonly groupInstanceId: string | null,
    public clientId: string,
    public clientHost: string,
    public rebalanceTimeoutMs: number,
    public sessionTimeoutMs: number,
    readonly protocolType: string,
    public protocols: readonly GroupProtocol[]
  ) {}

  get isStatic(): boolean {
    return this.groupInstanceId !== null
  }

  get isAwaitingJoin(): boolean {
    return this.awaitingJoin !== null
  }

  get isAwaitingSync(): boolean {
    return this.awaitingSync !== null
  }

  /** A member parked in JoinGroup or SyncGroup cannot heartbeat, so its session must not expire meanwhile. */
  get hasSatisfiedHeartbeat(): boolean {
    return this.isNew ? false : this.isAwaitingJoin || this.isAwaitingSync
  }

  metadataFor(protocol: string): Buffer {
    const p = this.protocols.find((x) => x.name === protocol)
    if (p === undefined) throw new Error(`member ${this.memberId} does not support protocol ${protocol}`)
    return p.metadata
  }

  /** Same protocols, in the same preference order, with identical metadata. */
  matches(protocols: readonly GroupProtocol[]): boolean {
    if (protocols.length !== this.protocols.length) return false
    return protocols.every((p, i) => {
      const mine = this.protocols[i]
      return mine !== undefined && mine.name === p.name && mine.metadata.equals(p.metadata)
    })
  }

  /** The member's first choice among the candidates, as its vote in protocol selection. */
  vote(candidates: ReadonlySet<string>): string {
    const choice = this.protocols.find((p) => candidates.has(p.name))
    if (choice === undefined) throw new Error(`member ${this.memberId} supports none of the candidates`)
    return choice.name
  }

  completeJoin(response: JoinGroupResponse): boolean {
    const cb = this.awaitingJoin
    if (cb === null) return false
    this.awaitingJoin = null
    cb(response)
    return true
  }

  completeSync(response: SyncGroupResponse): boolean {
    const cb = this.awaitingSync
    if (cb === null) return false
    this.awaitingSync = null
    cb(response)
    return true
  }
}
