/**
 * Kafka's TransactionMarkerChannelManager: delivers a transaction's COMMIT/ABORT markers to the leaders of
 * its partitions. Partitions this broker leads are written locally; the others are grouped by leader and
 * sent as WriteTxnMarkers, one request in flight per destination broker, batching every marker queued for
 * it meanwhile. Failed partitions are returned to the coordinator, which retries them after a backoff with
 * the leaders the metadata cache names by then (it follows the controller's changes, so no explicit
 * refresh is needed).
 *
 * Event loop: grouping and queueing are synchronous; only the local writes and the requests are awaited.
 */

import type { InterBrokerConnections } from '../../network/inter-broker-connections.js'
import { ErrorCode, errorCodeOf } from '../../protocol/error-codes.js'
import {
  WriteTxnMarkersApi,
  type WriteTxnMarkersRequest,
  type WriteTxnMarkersRequestWritableTxnMarker,
  type WriteTxnMarkersResponse
} from '../../protocol/messages/write-txn-markers.js'
import type { TxnMarker } from './transaction-coordinator.js'
import type { TopicPartition } from './transaction-metadata.js'

const WRITE_TXN_MARKERS_VERSION = 1

export type FailedMarkerPartition = { tp: TopicPartition; errorCode: number }

export interface TransactionMarkerChannelDeps {
  readonly localBrokerId: number
  readonly connections: InterBrokerConnections
  /** The partition's leader: -1 without one, undefined when the metadata does not know the partition. */
  readonly leaderOf: (topic: string, partition: number) => number | undefined
  /** Writes the marker to partitions this broker leads (what WriteTxnMarkers does on a leader). */
  readonly writeLocal: (marker: Omit<TxnMarker, 'transactionalId'>) => Promise<FailedMarkerPartition[]>
  /** request.timeout.ms of the inter-broker requests. */
  readonly requestTimeoutMs: number
}

interface QueuedMarker {
  readonly marker: WriteTxnMarkersRequestWritableTxnMarker
  readonly partitions: readonly TopicPartition[]
  readonly done: (failed: FailedMarkerPartition[]) => void
}

export class TransactionMarkerChannelManager {
  private readonly queues = new Map<number, QueuedMarker[]>()
  private readonly sending = new Set<number>()

  constructor(private readonly deps: TransactionMarkerChannelDeps) {}

  /** Writes the marker to every partition's leader; resolves with the partitions that failed. */
  async writeMarkers(marker: TxnMarker): Promise<FailedMarkerPartition[]> {
    const byLeader = new Map<number, TopicPartition[]>()
    const failed: FailedMarkerPartition[] = []
    for (const tp of marker.partitions) {
      const leader = this.deps.leaderOf(tp.topic, tp.partition)
      if (leader === undefined) failed.push({ tp, errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION })
      else if (leader < 0) failed.push({ tp, errorCode: ErrorCode.NOT_LEADER_OR_FOLLOWER })
      else {
        const list = byLeader.get(leader)
        if (list) list.push(tp)
        else byLeader.set(leader, [tp])
      }
    }
    const results = await Promise.all(
      [...byLeader].map(([leader, partitions]) =>
        leader === this.deps.localBrokerId
          ? this.deps
              .writeLocal({ ...marker, partitions })
              .catch((err: unknown) => partitions.map((tp) => ({ tp, errorCode: errorCodeOf(err) })))
          : this.enqueue(leader, marker, partitions)
      )
    )
    return failed.concat(...results)
  }

  private enqueue(
    leader: number,
    marker: TxnMarker,
    partitions: readonly TopicPartition[]
  ): Promise<FailedMarkerPartition[]> {
    return new Promise((done) => {
      const queued: QueuedMarker = {
        marker: {
          producerId: marker.producerId,
          producerEpoch: marker.producerEpoch,
          transactionResult: marker.commit,
          coordinatorEpoch: marker.coordinatorEpoch,
          topics: groupByTopic(partitions)
        },
        partitions,
        done
      }
      const queue = this.queues.get(leader)
      if (queue) queue.push(queued)
      else this.queues.set(leader, [queued])
      this.drain(leader)
    })
  }

  /** Sends everything queued for `leader` as one request, unless one is already in flight to it. */
  private drain(leader: number): void {
    if (this.sending.has(leader)) return
    const batch = this.queues.get(leader)
    if (batch === undefined || batch.length === 0) return
    this.queues.delete(leader)
    this.sending.add(leader)
    void this.send(leader, batch).finally(() => {
      this.sending.delete(leader)
      this.drain(leader)
    })
  }

  private async send(leader: number, batch: readonly QueuedMarker[]): Promise<void> {
    let response: WriteTxnMarkersResponse
    try {
      response = await this.deps.connections.request<WriteTxnMarkersResponse>(
        leader,
        WriteTxnMarkersApi.apiKey,
        WRITE_TXN_MARKERS_VERSION,
        { markers: batch.map((q) => q.marker) } satisfies WriteTxnMarkersRequest,
        this.deps.requestTimeoutMs
      )
    } catch {
      // Unreachable or timed out: the markers may or may not be written; writing one again is harmless.
      for (const q of batch) {
        q.done(q.partitions.map((tp) => ({ tp, errorCode: ErrorCode.NETWORK_EXCEPTION })))
      }
      return
    }
    batch.forEach((q, i) => {
      const result = response.markers[i]
      const codeOf = (tp: TopicPartition): number => {
        if (result === undefined || result.producerId !== q.marker.producerId)
          return ErrorCode.NETWORK_EXCEPTION
        const code =
          result.topics
            .find((t) => t.name === tp.topic)
            ?.partitions.find((p) => p.partitionIndex === tp.partition)?.errorCode ??
          ErrorCode.UNKNOWN_SERVER_ERROR
        // A leader that has not yet opened a partition the metadata knows: retried, not dropped.
        if (
          code === ErrorCode.UNKNOWN_TOPIC_OR_PARTITION &&
          this.deps.leaderOf(tp.topic, tp.partition) !== undefined
        )
          return ErrorCode.NOT_LEADER_OR_FOLLOWER
        return code
      }
      q.done(
        q.partitions
          .map((tp) => ({ tp, errorCode: codeOf(tp) }))
          .filter((f) => f.errorCode !== ErrorCode.NONE)
      )
    })
  }
}

function groupByTopic(partitions: readonly TopicPartition[]) {
  const byTopic = new Map<string, number[]>()
  for (const { topic, partition } of partitions) {
    const list = byTopic.get(topic)
    if (list) list.push(partition)
    else byTopic.set(topic, [partition])
  }
  return [...byTopic].map(([name, partitionIndexes]) => ({ name, partitionIndexes }))
}
