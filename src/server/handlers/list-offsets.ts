/** ListOffsets (key 2): offsets by timestamp, and the earliest, latest and max-timestamp offsets. */

import { ErrorCode, errorCodeOf } from '../../protocol/error-codes.js'
import {
  ListOffsetsApi,
  type ListOffsetsRequest,
  type ListOffsetsRequestListOffsetsPartition,
  type ListOffsetsResponse,
  type ListOffsetsResponseListOffsetsPartitionResponse
} from '../../protocol/messages/list-offsets.js'
import { AclOperation, ResourceType } from '../../security/authorizer/acl-types.js'
import type { ApiHandler } from '../api-registry.js'
import type { RequestContext } from '../request-context.js'
import type { HandlerDeps } from './handler-deps.js'

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
      // Consumers never see past the high watermark (or the last stable offset when read_committed).
      const found = await partition.fetchOffsetForTimestamp(
        Number(p.timestamp),
        isolationLevel === READ_COMMITTED ? 'txn-committed' : 'high-watermark',
        p.currentLeaderEpoch ?? -1
      )
      return response(BigInt(found.offset), BigInt(found.timestamp), found.leaderEpoch)
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
    async handle(request: ListOffsetsRequest, ctx: RequestContext): Promise<ListOffsetsResponse> {
      const isolation = request.isolationLevel ?? 0
      return {
        throttleTimeMs: 0,
        topics: await Promise.all(
          request.topics.map(async (t) => ({
            name: t.name,
            // Kafka: DESCRIBE on the topic.
            partitions: ctx.authorize(AclOperation.DESCRIBE, ResourceType.TOPIC, t.name)
              ? await Promise.all(t.partitions.map((p) => lookup(t.name, p, isolation)))
              : t.partitions.map((p) => ({
                  partitionIndex: p.partitionIndex,
                  errorCode: ErrorCode.TOPIC_AUTHORIZATION_FAILED,
                  timestamp: -1n,
                  offset: -1n,
                  leaderEpoch: -1
                }))
          }))
        )
      }
    }
  }
}
