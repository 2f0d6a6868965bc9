/** Produce (key 0): appends record batches to partition leaders. acks=0 gets no response at all. */

import { isInternalTopic } from '../../cluster/topic-name.js'
import { ErrorCode, errorCodeOf, KafkaError } from '../../protocol/error-codes.js'
import {
  ProduceApi,
  type ProduceRequest,
  type ProduceResponse,
  type ProduceResponsePartitionProduceResponse
} from '../../protocol/messages/produce.js'
import { AclOperation, ResourceType } from '../../security/authorizer/acl-types.js'
import { RecordValidationError } from '../../storage/log-validator.js'
import { type ApiHandler, NO_RESPONSE, type NoResponse } from '../api-registry.js'
import { CloseConnectionError } from '../kafka-connection.js'
import type { RequestContext } from '../request-context.js'
import type { HandlerDeps } from './handler-deps.js'

type PartitionResponse = ProduceResponsePartitionProduceResponse

function errorResponse(index: number, err: unknown): PartitionResponse {
  return {
    index,
    errorCode: errorCodeOf(err),
    baseOffset: -1n,
    logAppendTimeMs: -1n,
    logStartOffset: -1n,
    recordErrors:
      err instanceof RecordValidationError
        ? err.recordErrors.map((e) => ({ batchIndex: e.batchIndex, batchIndexErrorMessage: e.message }))
        : [],
    errorMessage: err instanceof Error ? err.message : null
  }
}

/**
 * KIP-890 part 1: checks a transactional produce with the producer's transaction coordinator before the
 * append; throws the error to answer the partition with.
 */
export type TxnProduceVerifier = (
  transactionalId: string,
  topic: string,
  partition: number,
  records: Buffer
) => Promise<void>

/** A v2 batch's producer id (offset 43): idempotent and transactional batches carry one (>= 0). */
const hasProducerId = (records: Buffer | null): boolean =>
  records !== null && records.length >= 51 && records.readBigInt64BE(43) >= 0n

/**
 * What Kafka's handleProduceRequest checks: WRITE on the transactional id for a transactional producer,
 * IDEMPOTENT_WRITE on the cluster or WRITE on some topic (KIP-679) for an idempotent one, WRITE on each
 * topic. Returns the error a topic's partitions answer, or null.
 */
function produceAuthorization(
  request: ProduceRequest,
  ctx: RequestContext
): (topic: string) => number | null {
  const id = request.transactionalId ?? null
  if (id !== null && !ctx.authorize(AclOperation.WRITE, ResourceType.TRANSACTIONAL_ID, id))
    return () => ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED
  const idempotent =
    id === null && request.topicData.some((t) => t.partitionData.some((p) => hasProducerId(p.records)))
  if (
    idempotent &&
    !ctx.authorizeCluster(AclOperation.IDEMPOTENT_WRITE, false) &&
    !ctx.authorizeByResourceType(AclOperation.WRITE, ResourceType.TOPIC)
  )
    return () => ErrorCode.CLUSTER_AUTHORIZATION_FAILED
  return (topic) =>
    ctx.authorize(AclOperation.WRITE, ResourceType.TOPIC, topic) ? null : ErrorCode.TOPIC_AUTHORIZATION_FAILED
}

export function createProduceHandler(
  deps: HandlerDeps,
  verifyTxn?: TxnProduceVerifier
): ApiHandler<ProduceRequest, ProduceResponse> {
  async function appendPartition(
    topic: string,
    index: number,
    records: Buffer | null,
    acks: number,
    timeoutMs: number,
    transactionalId: string | null,
    ctx?: RequestContext
  ) {
    try {
      if (acks !== -1 && acks !== 0 && acks !== 1) {
        throw new KafkaError(ErrorCode.INVALID_REQUIRED_ACKS, `acks must be -1, 0 or 1, not ${acks}`)
      }
      if (isInternalTopic(topic)) {
        throw new KafkaError(ErrorCode.INVALID_TOPIC_EXCEPTION, `cannot append to internal topic ${topic}`)
      }
      if (records === null || records.length === 0) {
        throw new KafkaError(ErrorCode.CORRUPT_MESSAGE, 'produce request carries no record batch')
      }
      if (transactionalId && verifyTxn) await verifyTxn(transactionalId, topic, index, records)
      // acks=all answers once the ISR holds the records, or REQUEST_TIMED_OUT after timeoutMs.
      const info = await deps.replicaManager.appendRecords(
        topic,
        index,
        records,
        acks,
        timeoutMs,
        (start, end) => ctx?.recordWait(start, end)
      )
      const response: PartitionResponse = {
        index,
        errorCode: ErrorCode.NONE,
        baseOffset: BigInt(info.baseOffset),
        logAppendTimeMs: BigInt(info.logAppendTime),
        logStartOffset: BigInt(info.logStartOffset),
        recordErrors: [],
        errorMessage: null
      }
      return response
    } catch (err) {
      return errorResponse(index, err)
    }
  }

  return {
    api: ProduceApi,
    minVersion: 3,
    maxVersion: 11,
    async handle(request: ProduceRequest, ctx: RequestContext): Promise<ProduceResponse | NoResponse> {
      const denied = produceAuthorization(request, ctx)
      const responses = await Promise.all(
        request.topicData.map(async (topic) => {
          const code = denied(topic.name)
          return {
            name: topic.name,
            partitionResponses: await Promise.all(
              topic.partitionData.map((p) =>
                code !== null
                  ? errorResponse(p.index, new KafkaError(code))
                  : appendPartition(
                      topic.name,
                      p.index,
                      p.records,
                      request.acks,
                      request.timeoutMs,
                      request.transactionalId ?? null,
                      ctx
                    )
              )
            )
          }
        })
      )
      if (request.acks === 0) {
        // With acks=0 the client reads no response; Kafka closes the connection so that it notices a failure.
        const failed = responses
          .flatMap((t) => t.partitionResponses)
          .find((p) => p.errorCode !== ErrorCode.NONE)
        if (failed) {
          ctx.logger.warn(
            { errorCode: failed.errorCode, message: failed.errorMessage },
            'acks=0 produce failed'
          )
          throw new CloseConnectionError(`acks=0 produce failed: ${failed.errorMessage}`)
        }
        return NO_RESPONSE
      }
      return { responses, throttleTimeMs: 0 }
    }
  }
}
