/** TxnOffsetCommit (key 28): offsets sent inside a transaction, pending until its marker (TxnOffsetCoordinator). */

import type { TxnOffsetCoordinator } from '../../coordinator/group/txn-offset-coordinator.js'
import { ErrorCode } from '../../protocol/error-codes.js'
import {
  TxnOffsetCommitApi,
  type TxnOffsetCommitRequest,
  type TxnOffsetCommitResponse
} from '../../protocol/messages/txn-offset-commit.js'
import { AclOperation, ResourceType } from '../../security/authorizer/acl-types.js'
import type { ApiHandler } from '../api-registry.js'

export function createTxnOffsetCommitHandler(
  txnOffsets: TxnOffsetCoordinator
): ApiHandler<TxnOffsetCommitRequest, TxnOffsetCommitResponse> {
  return {
    api: TxnOffsetCommitApi,
    minVersion: 0,
    maxVersion: 4,
    async handle(request, ctx) {
      // Kafka: WRITE on the transactional id and READ on the group fail every partition; READ on each topic.
      const failed = (t: TxnOffsetCommitRequest['topics'][number], errorCode: number) => ({
        name: t.name,
        partitions: t.partitions.map((p) => ({ partitionIndex: p.partitionIndex, errorCode }))
      })
      const whole = !ctx.authorize(AclOperation.WRITE, ResourceType.TRANSACTIONAL_ID, request.transactionalId)
        ? ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED
        : !ctx.authorize(AclOperation.READ, ResourceType.GROUP, request.groupId)
          ? ErrorCode.GROUP_AUTHORIZATION_FAILED
          : null
      if (whole !== null) return { throttleTimeMs: 0, topics: request.topics.map((t) => failed(t, whole)) }
      const readable = request.topics.filter((t) =>
        ctx.authorize(AclOperation.READ, ResourceType.TOPIC, t.name)
      )
      if (readable.length === request.topics.length) return txnOffsets.commitTxnOffsets(request)
      const response = await txnOffsets.commitTxnOffsets({ ...request, topics: readable })
      const denied = request.topics.filter((t) => !readable.includes(t))
      return {
        ...response,
        topics: [...response.topics, ...denied.map((t) => failed(t, ErrorCode.TOPIC_AUTHORIZATION_FAILED))]
      }
    }
  }
}
