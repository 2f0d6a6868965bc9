/**
 * KIP-392 fetch from the closest replica: which replica a consumer should read a partition from, chosen by
 * the leader from the client's rack (Fetch v11+ `rackId`). Kafka's `replica.selector.class`; only its
 * RackAwareReplicaSelector exists here, and without one every consumer reads from the leader.
 */

export const RACK_AWARE_REPLICA_SELECTOR = 'org.apache.kafka.common.replica.RackAwareReplicaSelector'

/** A replica the consumer could read from: live, in the ISR, holding the fetch offset. */
export interface ReplicaView {
  readonly brokerId: number
  readonly rack: string | null
  readonly logEndOffset: number
}

export interface ReplicaSelector {
  /** The replica to read from; the leader when no other is closer. */
  select(clientRack: string, leader: ReplicaView, candidates: readonly ReplicaView[]): ReplicaView
}

/**
 * Kafka's RackAwareReplicaSelector: a client with a rack reads from a replica in that rack, the leader
 * when it is there, otherwise the most caught-up one; a client without a rack (or with no replica in its
 * rack) reads from the leader.
 */
export class RackAwareReplicaSelector implements ReplicaSelector {
  select(clientRack: string, leader: ReplicaView, candidates: readonly ReplicaView[]): ReplicaView {
    if (clientRack === '') return leader
    if (leader.rack === clientRack) return leader
    let best: ReplicaView | undefined
    for (const r of candidates) {
      if (r.rack !== clientRack) continue
      if (best === undefined || r.logEndOffset > best.logEndOffset) best = r
    }
    return best ?? leader
  }
}

/** The selector `replica.selector.class` names, or undefined when it is unset (the config validates it). */
export function replicaSelectorFor(className: string | null): ReplicaSelector | undefined {
  return className === RACK_AWARE_REPLICA_SELECTOR ? new RackAwareReplicaSelector() : undefined
}
