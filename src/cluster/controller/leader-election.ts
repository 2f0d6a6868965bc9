/**
 * Leader election for one partition, the rules of Kafka's PartitionChangeBuilder: keep a current leader that
 * is still in the ISR and acceptable; otherwise take the first replica (in assignment order, so the
 * preferred leader wins when it can) that is in the ISR and acceptable. Only when unclean election is on may
 * a replica outside the ISR lead, and then the ISR shrinks to it alone, since its log is the only truth left.
 */

export const NO_LEADER = -1

export interface PartitionLeaderState {
  readonly replicas: readonly number[]
  /** The target ISR (the caller has already removed replicas that must leave it). */
  readonly isr: readonly number[]
  readonly leader: number
}

export interface ElectionOptions {
  /** A replica may lead only if this says so (for example: its broker is registered and unfenced). */
  readonly isAcceptableLeader: (nodeId: number) => boolean
  /** Move leadership to the preferred (first) replica when it is eligible, even if the current leader could stay. */
  readonly preferred?: boolean
  /** unclean.leader.election.enable, off by default as in Kafka. */
  readonly unclean?: boolean
}

export interface ElectionResult {
  /** NO_LEADER when nobody can lead: the partition is offline. */
  readonly leader: number
  readonly isr: readonly number[]
  readonly unclean: boolean
}

export function electLeader(state: PartitionLeaderState, options: ElectionOptions): ElectionResult {
  const { replicas, isr, leader } = state
  const ok = options.isAcceptableLeader
  const eligible = (r: number): boolean => isr.includes(r) && ok(r)
  const preferredLeader = replicas[0]
  if (options.preferred && preferredLeader !== undefined && eligible(preferredLeader)) {
    return { leader: preferredLeader, isr, unclean: false }
  }
  if (leader !== NO_LEADER && eligible(leader)) return { leader, isr, unclean: false }
  const clean = replicas.find(eligible)
  if (clean !== undefined) return { leader: clean, isr, unclean: false }
  if (options.unclean) {
    const any = replicas.find(ok)
    if (any !== undefined) return { leader: any, isr: [any], unclean: true }
  }
  return { leader: NO_LEADER, isr, unclean: false }
}
