/**
 * AddPartitionsToTxn (key 24): a producer adds partitions to its ongoing transaction before producing to
 * them. v0-3 carry one transaction (from clients); v4+ a batch of transactions (from brokers), each of which
 * may be verifyOnly (KIP-890: is the partition already part of the transaction?).
 */

import type { TransactionCoordination } from '../../coordinator/runtime/transaction-coordination.js'
import type { TopicPartition } from '../../coordinator/transaction/transaction-metadata.js'
import { ErrorCode } from '../../protocol/error-codes.js'
import {
  AddPartitionsToTxnApi,
  type AddPartitionsToTxnRequest,
  type AddPartitionsToTxnRequestAddPartitionsToTxnTopic,
  type AddPartitionsToTxnResponse,
  type AddPartitionsToTxnResponseAddPartitionsToTxnTopicResult
} from '../../protocol/messages/add-partitions-to-txn.js'
import { AclOperation, ResourceType } from '../../security/authorizer/acl-types.js'
import type { ApiHandler } from '../api-registry.js'
import type { RequestContext } from '../request-context.js'

const BATCHED_VERSION = 4
/** PRODUCER_FENCED exists from v2; older clients understand only INVALID_PRODUCER_EPOCH. */
const PRODUCER_FENCED_VERSION = 2

type TopicResult = AddPartitionsToTxnResponseAddPartitionsToTxnTopicResult

export function createAddPartitionsToTxnHandler(
  txn: TransactionCoordination,
  partitionExists: (topic: string, partition: number) => boolean
): ApiHandler<AddPartitionsToTxnRequest, AddPartitionsToTxnResponse> {
  const results = (
    topics: readonly AddPartitionsToTxnRequestAddPartitionsToTxnTopic[],
    code: (tp: TopicPartition, i: number) => number
  ): TopicResult[] => {
    let i = 0
    return topics.map((t) => ({
      name: t.name,
      resultsByPartition: t.partitions.map((p) => ({
        partitionIndex: p,
        partitionErrorCode: code({ topic: t.name, partition: p }, i++)
      }))
    }))
  }

  const addOne = async (
    transactionalId: string,
    producerId: bigint,
    producerEpoch: number,
    topics: readonly AddPartitionsToTxnRequestAddPartitionsToTxnTopic[],
    verifyOnly: boolean,
    apiVersion: number,
    ctx: RequestContext
  ): Promise<TopicResult[]> => {
    // Kafka: WRITE on the transactional id, then on each topic (the other topics are not attempted).
    if (!verifyOnly) {
      if (!ctx.authorize(AclOperation.WRITE, ResourceType.TRANSACTIONAL_ID, transactionalId))
        return results(topics, () => ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED)
      const denied = new Set(
        topics
          .filter((t) => !ctx.authorize(AclOperation.WRITE, ResourceType.TOPIC, t.name))
          .map((t) => t.name)
      )
      if (denied.size > 0)
        return results(topics, (tp) =>
          denied.has(tp.topic) ? ErrorCode.TOPIC_AUTHORIZATION_FAILED : ErrorCode.OPERATION_NOT_ATTEMPTED
        )
    }
    const partitions = topics.flatMap((t) => t.partitions.map((p) => ({ topic: t.name, partition: p })))
    // Unknown partitions fail the whole request; the others are reported as not attempted, as in Kafka.
    const unknown = new Set(
      partitions
        .filter((tp) => !partitionExists(tp.topic, tp.partition))
        .map((tp) => `${tp.topic}:${tp.partition}`)
    )
    if (unknown.size > 0) {
      return results(topics, (tp) =>
        unknown.has(`${tp.topic}:${tp.partition}`)
          ? ErrorCode.UNKNOWN_TOPIC_OR_PARTITION
          : ErrorCode.OPERATION_NOT_ATTEMPTED
      )
    }
    if (verifyOnly) {
      const verified = txn.coordinator.handleVerifyPartitions(
        transactionalId,
        producerId,
        producerEpoch,
        partitions
      )
      return results(topics, (_, i) =>
        typeof verified === 'number' ? verified : (verified[i] ?? ErrorCode.NONE)
      )
    }
    let code = await txn.coordinator.handleAddPartitions(
      transactionalId,
      producerId,
      producerEpoch,
      partitions
    )
    if (code === ErrorCode.PRODUCER_FENCED && apiVersion < PRODUCER_FENCED_VERSION)
      code = ErrorCode.INVALID_PRODUCER_EPOCH
    return results(topics, () => code)
  }

  return {
    api: AddPartitionsToTxnApi,
    minVersion: 0,
    maxVersion: 5,
    async handle(request, ctx) {
      if (ctx.apiVersion < BATCHED_VERSION) {
        const resultsByTopicV3AndBelow = await addOne(
          request.v3AndBelowTransactionalId ?? '',
          request.v3AndBelowProducerId ?? -1n,
          request.v3AndBelowProducerEpoch ?? -1,
          request.v3AndBelowTopics ?? [],
          false,
          ctx.apiVersion,
          ctx
        )
        return { throttleTimeMs: 0, resultsByTopicV3AndBelow }
      }
      // From v4 only brokers send this request (KIP-890): CLUSTER_ACTION.
      if (!ctx.authorizeCluster(AclOperation.CLUSTER_ACTION))
        return {
          throttleTimeMs: 0,
          errorCode: ErrorCode.CLUSTER_AUTHORIZATION_FAILED,
          resultsByTransaction: []
        }
      const resultsByTransaction = await Promise.all(
        (request.transactions ?? []).map(async (t) => ({
          transactionalId: t.transactionalId,
          topicResults: await addOne(
            t.transactionalId,
            t.producerId,
            t.producerEpoch,
            t.topics,
            t.verifyOnly,
            ctx.apiVersion,
            ctx
          )
        }))
      )
      return { throttleTimeMs: 0, errorCode: ErrorCode.NONE, resultsByTransaction }
    }
  }
}
