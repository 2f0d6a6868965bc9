/**
 * AddOffsetsToTxn (key 25): adds the group's `__consumer_offsets` partition to the transaction, so that the
 * offsets the producer then sends with TxnOffsetCommit are committed or dropped by the transaction's marker.
 */

import type { TransactionCoordination } from '../../coordinator/runtime/transaction-coordination.js'
import { ErrorCode } from '../../protocol/error-codes.js'
import {
  AddOffsetsToTxnApi,
  type AddOffsetsToTxnRequest,
  type AddOffsetsToTxnResponse
} from '../../protocol/messages/add-offsets-to-txn.js'
import { AclOperation, ResourceType } from '../../security/authorizer/acl-types.js'
import type { ApiHandler } from '../api-registry.js'

/** PRODUCER_FENCED exists from v2; older clients understand only INVALID_PRODUCER_EPOCH. */
const PRODUCER_FENCED_VERSION = 2

export function createAddOffsetsToTxnHandler(
  txn: TransactionCoordination
): ApiHandler<AddOffsetsToTxnRequest, AddOffsetsToTxnResponse> {
  return {
    api: AddOffsetsToTxnApi,
    minVersion: 0,
    maxVersion: 4,
    async handle(request, ctx) {
      // Kafka: WRITE on the transactional id, then READ on the group.
      if (!ctx.authorize(AclOperation.WRITE, ResourceType.TRANSACTIONAL_ID, request.transactionalId))
        return { throttleTimeMs: 0, errorCode: ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED }
      if (!ctx.authorize(AclOperation.READ, ResourceType.GROUP, request.groupId))
        return { throttleTimeMs: 0, errorCode: ErrorCode.GROUP_AUTHORIZATION_FAILED }
      if (request.groupId === '') return { throttleTimeMs: 0, errorCode: ErrorCode.INVALID_GROUP_ID }
      let errorCode = await txn.coordinator.handleAddPartitions(
        request.transactionalId,
        request.producerId,
        request.producerEpoch,
        [txn.offsetsPartitionFor(request.groupId)]
      )
      if (errorCode === ErrorCode.PRODUCER_FENCED && ctx.apiVersion < PRODUCER_FENCED_VERSION) {
        errorCode = ErrorCode.INVALID_PRODUCER_EPOCH
      }
      return { throttleTimeMs: 0, errorCode }
    }
  }
}
