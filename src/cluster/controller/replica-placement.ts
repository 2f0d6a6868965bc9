/**
 * Replica placement for new partitions, as Kafka's AdminUtils.assignReplicasToBrokers does it: leaders go
 * round-robin over the broker list from a random start, followers follow at a shift that grows each time
 * the list wraps, and with racks the list alternates racks and followers prefer racks not yet used.
 * Pure (randomness is injected) so the multi-broker controller can reuse it and tests can pin it down.
 */

export interface PlacementBroker {
  readonly nodeId: number
  /** null when the broker has no `broker.rack`. */
  readonly rack: string | null
}

export interface PlacementOptions {
  /** Id of the first partition to place; > 0 when adding partitions to an existing topic. */
  readonly startPartitionId?: number
  /** Pins the start position and follower shift (Kafka passes the first partition's leader index). */
  readonly fixedStartIndex?: number
  /** Returns an integer in [0, bound). Defaults to Math.random. */
  readonly randomInt?: (bound: number) => number
}

export class PlacementError extends Error {
  override readonly name = 'PlacementError'
  constructor(
    readonly reason: 'INVALID_PARTITIONS' | 'INVALID_REPLICATION_FACTOR',
    message: string
  ) {
    super(message)
  }
}

const defaultRandomInt = (bound: number): number => Math.floor(Math.random() * bound)

/** Returns, for each new partition in order, its replica list (the first replica is the preferred leader). */
export function assignReplicasToBrokers(
  brokers: readonly PlacementBroker[],
  numPartitions: number,
  replicationFactor: number,
  options: PlacementOptions = {}
): number[][] {
  if (!Number.isInteger(numPartitions) || numPartitions <= 0) {
    throw new PlacementError('INVALID_PARTITIONS', 'Number of partitions must be larger than 0.')
  }
  if (!Number.isInteger(replicationFactor) || replicationFactor <= 0) {
    throw new PlacementError('INVALID_REPLICATION_FACTOR', 'Replication factor must be larger than 0.')
  }
  if (replicationFactor > brokers.length) {
    throw new PlacementError(
      'INVALID_REPLICATION_FACTOR',
      `Replication factor: ${replicationFactor} larger than available brokers: ${brokers.length}.`
    )
  }
  const rackAware = brokers.some((b) => b.rack !== null)
  const list = rackAware ? rackAlternatedBrokerList(brokers) : brokers.map((b) => b.nodeId).sort(byNumber)
  const rackOf = new Map(brokers.map((b) => [b.nodeId, rackKey(b.rack)]))
  const numRacks = new Set(rackOf.values()).size
  const n = list.length
  const randomInt = options.randomInt ?? defaultRandomInt
  const fixed = options.fixedStartIndex ?? -1
  const startIndex = fixed >= 0 ? fixed : randomInt(n)
  let shift = fixed >= 0 ? fixed : randomInt(n)
  let partitionId = Math.max(0, options.startPartitionId ?? 0)
  const result: number[][] = []
  for (let i = 0; i < numPartitions; i++, partitionId++) {
    if (partitionId > 0 && partitionId % n === 0) shift++
    const first = (partitionId + startIndex) % n
    const replicas = [list[first]!]
    if (!rackAware) {
      for (let j = 0; j < replicationFactor - 1; j++) replicas.push(list[followerIndex(first, shift, j, n)]!)
    } else {
      const racksUsed = new Set([rackOf.get(list[first]!)])
      const brokersUsed = new Set(replicas)
      // Walks the followers' positions; skips brokers on an already-used rack until every rack has a replica.
      for (let k = 0; replicas.length < replicationFactor; k++) {
        const broker = list[followerIndex(first, shift * numRacks, k, n)]!
        const rack = rackOf.get(broker)
        if ((racksUsed.has(rack) && racksUsed.size < numRacks) || brokersUsed.has(broker)) continue
        replicas.push(broker)
        racksUsed.add(rack)
        brokersUsed.add(broker)
      }
    }
    result.push(replicas)
  }
  return result
}

/** Brokers interleaved by rack (racks sorted, brokers sorted within a rack): r1b0, r2b0, r3b0, r1b1, ... */
export function rackAlternatedBrokerList(brokers: readonly PlacementBroker[]): number[] {
  const byRack = new Map<string, number[]>()
  for (const b of brokers) {
    const key = rackKey(b.rack)
    const ids = byRack.get(key)
    if (ids) ids.push(b.nodeId)
    else byRack.set(key, [b.nodeId])
  }
  const racks = [...byRack.keys()].sort()
  for (const ids of byRack.values()) ids.sort(byNumber)
  const result: number[] = []
  for (let round = 0; result.length < brokers.length; round++) {
    for (const rack of racks) {
      const id = byRack.get(rack)![round]
      if (id !== undefined) result.push(id)
    }
  }
  return result
}

// Brokers without a rack form their own group (Kafka's KRaft placer does the same) rather than failing the
// whole placement as the old AdminUtils did; the NUL prefix keeps that group apart from any real rack name.
function rackKey(rack: string | null): string {
  return rack === null ? '\u0000' : `r:${rack}`
}

function followerIndex(first: number, shift: number, j: number, n: number): number {
  return (first + 1 + ((shift + j) % (n - 1))) % n
}

function byNumber(a: number, b: number): number {
  return a - b
}
