/** DescribeProducers (key 61): the active producers of partitions this broker leads, from the log's producer state. */

import { ErrorCode, errorCodeOf, errorInfo } from '../../protocol/error-codes.js'
import {
  DescribeProducersApi,
  type DescribeProducersRequest,
  type DescribeProducersResponse,
  type DescribeProducersResponsePartitionResponse
} from '../../protocol/messages/describe-producers.js'
import type { ReplicaManager } from '../../replica/replica-manager.js'
import { AclOperation, ResourceType } from '../../security/authorizer/acl-types.js'
import type { ApiHandler } from '../api-registry.js'

export function createDescribeProducersHandler(
  replicaManager: () => ReplicaManager
): ApiHandler<DescribeProducersRequest, DescribeProducersResponse> {
  const describe = async (
    topic: string,
    partitionIndex: number
  ): Promise<DescribeProducersResponsePartitionResponse> => {
    const failed = (errorCode: number) => ({
      partitionIndex,
      errorCode,
      errorMessage: errorInfo(errorCode).message,
      activeProducers: []
    })
    try {
      const p = await replicaManager().getPartition(topic, partitionIndex)
      if (!p.isLeader) return failed(ErrorCode.NOT_LEADER_OR_FOLLOWER)
      const producers = p.activeProducers
      return {
        partitionIndex,
        errorCode: ErrorCode.NONE,
        errorMessage: null,
        activeProducers: producers.map((e) => ({
          producerId: e.producerId,
          producerEpoch: e.producerEpoch,
          lastSequence: e.lastSeq,
          lastTimestamp: BigInt(e.lastTimestamp),
          coordinatorEpoch: e.coordinatorEpoch,
          currentTxnStartOffset: BigInt(e.currentTxnFirstOffset ?? -1)
        }))
      }
    } catch (err) {
      return failed(errorCodeOf(err))
    }
  }
  return {
    api: DescribeProducersApi,
    minVersion: 0,
    maxVersion: 0,
    async handle(request, ctx) {
      return {
        throttleTimeMs: 0,
        topics: await Promise.all(
          request.topics.map(async (t) => ({
            name: t.name,
            // Kafka: READ on the topic.
            partitions: ctx.authorize(AclOperation.READ, ResourceType.TOPIC, t.name)
              ? await Promise.all(t.partitionIndexes.map((p) => describe(t.name, p)))
              : t.partitionIndexes.map((partitionIndex) => ({
                  partitionIndex,
                  errorCode: ErrorCode.TOPIC_AUTHORIZATION_FAILED,
                  errorMessage: null,
                  activeProducers: []
                }))
          }))
        )
      }
    }
  }
}
