/** ListOffsets (key 2): offsets by timestamp, and the earliest, latest and max-timestamp offsets. */

import { ErrorCode, errorCodeOf, KafkaError } from '../../protocol/error-codes.js'
import {
  ListOffsetsApi,
  type ListOffsetsRequest,
  type ListOffsetsRequestListOffsetsPartition,
  type ListOffsetsResponse,
  type ListOffsetsResponseListOffsetsPartitionResponse
} from '../../protocol/messages/list-offsets.js'
import type { ApiHandler } from '../api-registry.js'
import type { RequestContext } from '../request-context.js'
import type { HandlerDeps } from './handler-deps.js'

const LATEST = -1n
const EARLIEST = -2n
const MAX_TIMESTAMP = -3n
const EARLIEST_LOCAL = -4n
const LATEST_TIERED = -5n
const READ_COMMITTED = 1

type PartitionResponse = ListOffsetsResponseListOffsetsPartitionResponse

export function createListOffsetsHandler(
  deps: HandlerDeps
): ApiHandler<ListOffsetsRequest, ListOffsetsResponse> {
  async function lookup(
    topic: string,
    p: ListOffsetsRequestListOffsetsPartition,
    isolationLevel: number
  ): Promise<PartitionResponse> {
    const response = (offset: bigint, timestamp: bigint, leaderEpoch: number): PartitionResponse => ({
      partitionIndex: p.partitionIndex,
      errorCode: ErrorCode.NONE,
      timestamp,
      offset,
      leaderEpoch
    })
    try {
      const partition = await deps.replicaManager.getPartition(topic, p.partitionIndex)
      if (!partition.isLeader) {
        throw new KafkaError(
          ErrorCode.NOT_LEADER_OR_FOLLOWER,
          `not the leader of ${topic}-${p.partitionIndex}`
        )
      }
      partition.checkLeaderEpoch(p.currentLeaderEpoch ?? -1)
      const log = partition.log
      // Consumers never see past the high watermark (or the last stable offset when read_committed).
      const visibleEnd =
        isolationLevel === READ_COMMITTED ? partition.lastStableOffset : partition.highWatermark
      const ts = p.timestamp
      if (ts === LATEST || ts === LATEST_TIERED)
        return response(BigInt(visibleEnd), -1n, partition.leaderEpoch)
      if (ts === EARLIEST || ts === EARLIEST_LOCAL) {
        return response(
          BigInt(log.logStartOffset),
          -1n,
          log.leaderEpochCache.epochForOffset(log.logStartOffset) ?? -1
        )
      }
      if (ts < MAX_TIMESTAMP) {
        throw new KafkaError(ErrorCode.UNSUPPORTED_VERSION, `unknown special timestamp ${ts}`)
      }
      const found = await log.fetchOffsetByTimestamp(Number(ts))
      if (found === undefined || found.offset >= visibleEnd) return response(-1n, -1n, -1)
      return response(BigInt(found.offset), BigInt(found.timestamp), found.leaderEpoch ?? -1)
    } catch (err) {
      return {
        partitionIndex: p.partitionIndex,
        errorCode: errorCodeOf(err),
        timestamp: -1n,
        offset: -1n,
        leaderEpoch: -1
      }
    }
  }

  return {
    api: ListOffsetsApi,
    minVersion: 1,
    maxVersion: 10,
    async handle(request: ListOffsetsRequest, _ctx: RequestContext): Promise<ListOffsetsResponse> {
      const isolation = request.isolationLevel ?? 0
      return {
        throttleTimeMs: 0,
        topics: await Promise.all(
          request.topics.map(async (t) => ({
            name: t.name,
            partitions: await Promise.all(t.partitions.map((p) => lookup(t.name, p, isolation)))
          }))
        )
      }
    }
  }
}
