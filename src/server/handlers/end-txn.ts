/**
 * EndTxn (key 26): commits or aborts the producer's transaction. The response is sent once PrepareCommit /
 * PrepareAbort is durable in `__transaction_state`; the markers follow, as in Kafka. v5 (KIP-890 epoch bump
 * per transaction) is not served.
 */

import type { TransactionCoordination } from '../../coordinator/runtime/transaction-coordination.js'
import { ErrorCode } from '../../protocol/error-codes.js'
import { EndTxnApi, type EndTxnRequest, type EndTxnResponse } from '../../protocol/messages/end-txn.js'
import { AclOperation, ResourceType } from '../../security/authorizer/acl-types.js'
import type { ApiHandler } from '../api-registry.js'

/** PRODUCER_FENCED exists from v2; older clients understand only INVALID_PRODUCER_EPOCH. */
const PRODUCER_FENCED_VERSION = 2

export function createEndTxnHandler(txn: TransactionCoordination): ApiHandler<EndTxnRequest, EndTxnResponse> {
  return {
    api: EndTxnApi,
    minVersion: 0,
    maxVersion: 4,
    async handle(request, ctx) {
      if (!ctx.authorize(AclOperation.WRITE, ResourceType.TRANSACTIONAL_ID, request.transactionalId))
        return { throttleTimeMs: 0, errorCode: ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED }
      let errorCode = await txn.coordinator.handleEndTransaction(
        request.transactionalId,
        request.producerId,
        request.producerEpoch,
        request.committed
      )
      if (errorCode === ErrorCode.PRODUCER_FENCED && ctx.apiVersion < PRODUCER_FENCED_VERSION) {
        errorCode = ErrorCode.INVALID_PRODUCER_EPOCH
      }
      return { throttleTimeMs: 0, errorCode }
    }
  }
}
