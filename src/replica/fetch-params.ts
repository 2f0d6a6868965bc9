import type { AbortedTxn } from '../storage/transaction-index.js'
import type { FetchIsolation } from './partition.js'

/** One Fetch request as the data plane sees it (Kafka's FetchParams), protocol versions already resolved. */
export interface FetchParams {
  /** The fetching follower's broker id; negative for a consumer. */
  replicaId: number
  maxWaitMs: number
  minBytes: number
  /** The response's byte budget, shared by the partitions in request order. */
  maxBytes: number
  isolation: FetchIsolation
  /**
   * Kafka's ClientMetadata rack: set (maybe empty) for a consumer on Fetch v11+, which may then read from a
   * follower and be sent to a preferred read replica (KIP-392); undefined otherwise.
   */
  clientRack: string | undefined
}

/** One partition of a fetch (Kafka's FetchRequest.PartitionData). */
export interface FetchPartitionRequest {
  /** Undefined when the request named a topic id this broker does not know: UNKNOWN_TOPIC_ID. */
  topic: string | undefined
  partition: number
  fetchOffset: number
  partitionMaxBytes: number
  /** The fetcher's view of the leader epoch (KIP-320); -1 when it does not know. */
  currentLeaderEpoch: number
  /** The epoch of the last batch the fetcher holds; -1 when unknown. */
  lastFetchedEpoch: number
}

/** What a fetch answers for one partition (Kafka's FetchPartitionData); offsets are -1 when unknown. */
export interface FetchPartitionData {
  partition: number
  errorCode: number
  highWatermark: number
  lastStableOffset: number
  logStartOffset: number
  /** KIP-320: where the fetcher's history leaves the leader's; it must truncate there. */
  divergingEpoch?: { epoch: number; endOffset: number }
  /** For read_committed reads: the aborted transactions overlapping the returned batches. */
  abortedTransactions: AbortedTxn[] | null
  /** KIP-392: the replica the consumer should read from instead; -1 for this one. */
  preferredReadReplica: number
  /** Whole batches; large reads view a buffer leased from the fetch read pool (see fetchMessages). */
  records: Buffer
}
