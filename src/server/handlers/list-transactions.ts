/** ListTransactions (key 66): transactional ids this coordinator owns, filtered by state, producer id, duration. */

import type { TransactionCoordinator } from '../../coordinator/transaction/transaction-coordinator.js'
import { isTransactionStateName } from '../../coordinator/transaction/transaction-state.js'
import { ErrorCode } from '../../protocol/error-codes.js'
import {
  ListTransactionsApi,
  type ListTransactionsRequest,
  type ListTransactionsResponse
} from '../../protocol/messages/list-transactions.js'
import { AclOperation, ResourceType } from '../../security/authorizer/acl-types.js'
import type { ApiHandler } from '../api-registry.js'

export function createListTransactionsHandler(
  coordinator: () => TransactionCoordinator
): ApiHandler<ListTransactionsRequest, ListTransactionsResponse> {
  return {
    api: ListTransactionsApi,
    minVersion: 0,
    maxVersion: 1,
    handle(request, ctx) {
      const unknownStateFilters = request.stateFilters.filter((s) => !isTransactionStateName(s))
      const known = request.stateFilters.filter(isTransactionStateName)
      // Only unknown states asked for: nothing can match.
      const none = request.stateFilters.length > 0 && known.length === 0
      const matches = none
        ? []
        : coordinator().list(known, request.producerIdFilters, Number(request.durationFilter ?? -1n))
      return {
        throttleTimeMs: 0,
        errorCode: ErrorCode.NONE,
        unknownStateFilters,
        // Kafka lists the transactional ids the principal may DESCRIBE.
        transactionStates: matches
          .filter((md) =>
            ctx.authorize(AclOperation.DESCRIBE, ResourceType.TRANSACTIONAL_ID, md.transactionalId, false)
          )
          .map((md) => ({
            transactionalId: md.transactionalId,
            producerId: md.producerId,
            transactionState: md.state
          }))
      }
    }
  }
}
