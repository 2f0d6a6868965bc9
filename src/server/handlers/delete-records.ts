/**
 * DeleteRecords (key 21): moves partitions' log start offsets up (offset -1 means the high watermark);
 * OFFSET_OUT_OF_RANGE beyond the high watermark. Answers with the new low watermark. A cluster of one has
 * no follower to wait for, so the answer is immediate.
 */

import { ErrorCode, errorCodeOf } from '../../protocol/error-codes.js'
import {
  DeleteRecordsApi,
  type DeleteRecordsRequest,
  type DeleteRecordsRequestDeleteRecordsPartition,
  type DeleteRecordsResponse,
  type DeleteRecordsResponseDeleteRecordsPartitionResult
} from '../../protocol/messages/delete-records.js'
import { AclOperation, ResourceType } from '../../security/authorizer/acl-types.js'
import type { ApiHandler } from '../api-registry.js'
import type { RequestContext } from '../request-context.js'
import type { HandlerDeps } from './handler-deps.js'

export function createDeleteRecordsHandler(
  deps: HandlerDeps
): ApiHandler<DeleteRecordsRequest, DeleteRecordsResponse> {
  async function deleteRecords(
    topic: string,
    p: DeleteRecordsRequestDeleteRecordsPartition
  ): Promise<DeleteRecordsResponseDeleteRecordsPartitionResult> {
    try {
      const partition = await deps.replicaManager.getPartition(topic, p.partitionIndex)
      // The leader check, the cleanup policy and the offset (-1: the high watermark) are the partition's.
      const lowWatermark = await partition.deleteRecordsBefore(Number(p.offset))
      return {
        partitionIndex: p.partitionIndex,
        lowWatermark: BigInt(lowWatermark),
        errorCode: ErrorCode.NONE
      }
    } catch (err) {
      return { partitionIndex: p.partitionIndex, lowWatermark: -1n, errorCode: errorCodeOf(err) }
    }
  }

  return {
    api: DeleteRecordsApi,
    minVersion: 0,
    maxVersion: 2,
    async handle(request: DeleteRecordsRequest, ctx: RequestContext): Promise<DeleteRecordsResponse> {
      return {
        throttleTimeMs: 0,
        topics: await Promise.all(
          request.topics.map(async (t) => ({
            name: t.name,
            // Kafka: DELETE on the topic.
            partitions: ctx.authorize(AclOperation.DELETE, ResourceType.TOPIC, t.name)
              ? await Promise.all(t.partitions.map((p) => deleteRecords(t.name, p)))
              : t.partitions.map((p) => ({
                  partitionIndex: p.partitionIndex,
                  lowWatermark: -1n,
                  errorCode: ErrorCode.TOPIC_AUTHORIZATION_FAILED
                }))
          }))
        )
      }
    }
  }
}
