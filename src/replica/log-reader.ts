import type { MetadataCache } from '../cluster/metadata-cache.js'
import type { BufferPool } from '../common/buffer-pool.js'
import { ErrorCode, errorCodeOf, KafkaError } from '../protocol/error-codes.js'
import type { FetchParams, FetchPartitionData, FetchPartitionRequest } from './fetch-params.js'
import type { LeaderReplicationQuota } from './leader-replication-quota.js'
import type { Partition } from './partition.js'
import type { ReplicaSelector, ReplicaView } from './replica-selector.js'

const EMPTY = Buffer.alloc(0)

/** One partition's read (Kafka's LogReadResult). */
export interface LogReadResult {
  data: FetchPartitionData
  bytes: number
  /**
   * The offset this read could reach (log end for a follower, high watermark or last stable offset for a
   * consumer), taken before reading; -1 when it failed. A parked fetch wakes only once it moves.
   */
  endOffset: number
}

export interface LogReadOutcome {
  /** In the order of the requested partitions. */
  reads: LogReadResult[]
  bytes: number
  /** An error, a diverging epoch or a preferred read replica: the fetcher must hear it now, not after max.wait.ms. */
  answerNow: boolean
}

export interface LogReaderDeps {
  metadataCache: MetadataCache
  getPartition(topic: string, partition: number): Promise<Partition>
  leaderReplicationQuota: LeaderReplicationQuota
  /** replica.selector.class; undefined: every consumer reads from the leader. */
  replicaSelector: ReplicaSelector | undefined
  /** Large reads land in these pooled buffers; the connection releases them once the response is written. */
  fetchReadPool: BufferPool
}

/** An error, a diverging epoch or a preferred read replica: the fetcher must hear it now, not after max.wait.ms. */
function mustAnswerNow(one: LogReadResult): boolean {
  const d = one.data
  return d.errorCode !== ErrorCode.NONE || d.divergingEpoch !== undefined || d.preferredReadReplica >= 0
}

/** Releases the pooled buffers of reads that will never be written out. */
export function releaseReads(reads: readonly LogReadResult[], pool: BufferPool): void {
  for (const r of reads) pool.release(r.data.records)
}

/**
 * The reads of one fetch (Kafka's ReplicaManager.readFromLog): each partition's leadership and epoch checks,
 * KIP-320 divergence, the follower's fetch position, KIP-392 preferred read replica, the leader's
 * replication throttle, then whole batches within the byte limits.
 *
 * Ownership: the replica manager's, on the broker's event loop.
 */
export class LogReader {
  constructor(private readonly deps: LogReaderDeps) {}

  async readFromLog(params: FetchParams, targets: readonly FetchPartitionRequest[]): Promise<LogReadOutcome> {
    if (params.replicaId < 0 && targets.length > 1) {
      const together = await this.readTogether(params, targets)
      if (together !== undefined) return together
    }
    const reads: LogReadResult[] = []
    let bytes = 0
    let answerNow = false
    for (const target of targets) {
      const remaining = Math.max(0, params.maxBytes - bytes)
      const one = await this.readOne(params, target, remaining, bytes === 0)
      reads.push(one)
      bytes += one.bytes
      if (mustAnswerNow(one)) answerNow = true
    }
    return { reads, bytes, answerNow }
  }

  /**
   * A consumer's partitions read at once rather than one thread-pool round trip after another (W5: a fetch
   * over 16 partitions waited for 16 sequential reads). Each read may return up to its partition limit with
   * one oversized batch allowed; the result is kept only when it equals what the sequential loop would
   * return (every read fits the budget left after the ones before it, and only a read with nothing before it
   * returned an oversized batch). Otherwise the buffers go back and undefined sends the caller to the loop.
   */
  private async readTogether(
    params: FetchParams,
    targets: readonly FetchPartitionRequest[]
  ): Promise<LogReadOutcome | undefined> {
    const reads = await Promise.all(targets.map((t) => this.readOne(params, t, params.maxBytes, true)))
    let bytes = 0
    let answerNow = false
    let same = true
    targets.forEach((t, i) => {
      const one = reads[i]!
      const limit = Math.min(Math.max(0, params.maxBytes - bytes), t.partitionMaxBytes)
      if (bytes > 0 && one.bytes > limit) same = false
      bytes += one.bytes
      if (mustAnswerNow(one)) answerNow = true
    })
    if (same) return { reads, bytes, answerNow }
    releaseReads(reads, this.deps.fetchReadPool)
    return undefined
  }

  private async readOne(
    params: FetchParams,
    target: FetchPartitionRequest,
    maxBytes: number,
    minOneMessage: boolean
  ): Promise<LogReadResult> {
    if (target.topic === undefined) {
      return {
        data: errorData(target.partition, new KafkaError(ErrorCode.UNKNOWN_TOPIC_ID)),
        bytes: 0,
        endOffset: -1
      }
    }
    const { replicaId, clientRack, isolation } = params
    let partition: Partition | undefined
    try {
      partition = await this.deps.getPartition(target.topic, target.partition)
      // Consumers that know of KIP-392 (Fetch v11+, so clientRack is set) may read from a follower.
      const followerRead = clientRack !== undefined && partition.isFollower
      if (!partition.isLeader && !followerRead) {
        throw new KafkaError(
          ErrorCode.NOT_LEADER_OR_FOLLOWER,
          `not the leader of ${target.topic}-${target.partition}`
        )
      }
      partition.checkLeaderEpoch(target.currentLeaderEpoch)
      if (target.lastFetchedEpoch >= 0) {
        const divergingEpoch = partition.divergingEpoch(target.lastFetchedEpoch, target.fetchOffset)
        // A diverged follower's fetch offset is not its position in the leader's log: it is not recorded.
        if (divergingEpoch !== undefined) return noRecords(target.partition, partition, { divergingEpoch })
      }
      if (replicaId >= 0) partition.updateFollowerFetchState(replicaId, target.fetchOffset)
      const preferred =
        clientRack !== undefined && partition.isLeader
          ? this.preferredReadReplica(partition, clientRack, target.fetchOffset)
          : -1
      if (preferred >= 0) {
        // No records: the consumer goes to the preferred replica for them.
        return noRecords(target.partition, partition, { preferredReadReplica: preferred })
      }
      const quota = this.deps.leaderReplicationQuota
      const limit = quota.fetchLimit(partition, replicaId, Math.min(maxBytes, target.partitionMaxBytes))
      const endOffset = partition.readableEnd(isolation)
      // Large reads land in pooled buffers; the connection releases them once the response is written.
      const result = await partition.read(
        target.fetchOffset,
        limit,
        isolation,
        minOneMessage && limit > 0,
        this.deps.fetchReadPool
      )
      const records = result.info.records
      quota.record(partition, replicaId, records.length)
      return {
        data: {
          partition: target.partition,
          errorCode: ErrorCode.NONE,
          highWatermark: result.highWatermark,
          lastStableOffset: result.lastStableOffset,
          logStartOffset: result.logStartOffset,
          abortedTransactions: result.abortedTransactions ?? null,
          preferredReadReplica: -1,
          records
        },
        bytes: records.length,
        endOffset
      }
    } catch (err) {
      return { data: errorData(target.partition, err, partition), bytes: 0, endOffset: -1 }
    }
  }

  /**
   * KIP-392 (Kafka's ReplicaManager.findPreferredReadReplica): the replica the leader sends this consumer
   * to, or -1 to read here. Candidates are live ISR members whose log already holds the fetch offset.
   */
  private preferredReadReplica(partition: Partition, clientRack: string, fetchOffset: number): number {
    const select = this.deps.replicaSelector
    if (select === undefined || clientRack === '') return -1
    const cache = this.deps.metadataCache
    const local = partition.localBrokerId
    const leader: ReplicaView = {
      brokerId: local,
      rack: cache.broker(local)?.rack ?? null,
      logEndOffset: partition.logEndOffset
    }
    const candidates: ReplicaView[] = []
    for (const id of partition.registration.isr) {
      if (id === local) continue
      const broker = cache.broker(id)
      const logEndOffset = partition.followerLogEndOffset(id)
      if (broker === undefined || broker.fenced || logEndOffset < fetchOffset) continue
      candidates.push({ brokerId: id, rack: broker.rack, logEndOffset })
    }
    const chosen = select.select(clientRack, leader, candidates)
    return chosen.brokerId === local ? -1 : chosen.brokerId
  }
}

function errorData(partitionIndex: number, err: unknown, partition?: Partition): FetchPartitionData {
  const errorCode = errorCodeOf(err)
  // An out-of-range follower learns the leader's log start here, to start over there when it is behind.
  const known = errorCode === ErrorCode.OFFSET_OUT_OF_RANGE && partition !== undefined
  return {
    partition: partitionIndex,
    errorCode,
    highWatermark: known ? partition.highWatermark : -1,
    lastStableOffset: -1,
    logStartOffset: known ? partition.logStartOffset : -1,
    abortedTransactions: null,
    preferredReadReplica: -1,
    records: EMPTY
  }
}

/** A successful answer without records: the partition's offsets plus what tells the fetcher to go elsewhere. */
function noRecords(
  partitionIndex: number,
  partition: Partition,
  extra: Pick<FetchPartitionData, 'divergingEpoch'> | { preferredReadReplica: number }
): LogReadResult {
  return {
    data: {
      partition: partitionIndex,
      errorCode: ErrorCode.NONE,
      highWatermark: partition.highWatermark,
      lastStableOffset: partition.lastStableOffset,
      logStartOffset: partition.logStartOffset,
      abortedTransactions: null,
      preferredReadReplica: -1,
      records: EMPTY,
      ...extra
    },
    bytes: 0,
    endOffset: -1
  }
}
