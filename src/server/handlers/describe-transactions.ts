/** DescribeTransactions (key 65): the coordinator's view of each transactional id (KIP-664). */

import type { TransactionCoordinator } from '../../coordinator/transaction/transaction-coordinator.js'
import { ErrorCode } from '../../protocol/error-codes.js'
import {
  DescribeTransactionsApi,
  type DescribeTransactionsRequest,
  type DescribeTransactionsResponse
} from '../../protocol/messages/describe-transactions.js'
import { AclOperation, ResourceType } from '../../security/authorizer/acl-types.js'
import type { ApiHandler } from '../api-registry.js'

export function createDescribeTransactionsHandler(
  coordinator: () => TransactionCoordinator
): ApiHandler<DescribeTransactionsRequest, DescribeTransactionsResponse> {
  return {
    api: DescribeTransactionsApi,
    minVersion: 0,
    maxVersion: 0,
    handle(request, ctx) {
      return {
        throttleTimeMs: 0,
        transactionStates: request.transactionalIds.map((transactionalId) => {
          // Kafka: DESCRIBE on the transactional id.
          const { errorCode, metadata: md } = ctx.authorize(
            AclOperation.DESCRIBE,
            ResourceType.TRANSACTIONAL_ID,
            transactionalId
          )
            ? coordinator().describe(transactionalId)
            : { errorCode: ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED, metadata: undefined }
          if (md === undefined) {
            return {
              errorCode,
              transactionalId,
              transactionState: '',
              transactionTimeoutMs: 0,
              transactionStartTimeMs: -1n,
              producerId: -1n,
              producerEpoch: -1,
              topics: []
            }
          }
          const byTopic = new Map<string, number[]>()
          for (const tp of md.partitions)
            byTopic.set(tp.topic, [...(byTopic.get(tp.topic) ?? []), tp.partition])
          return {
            errorCode,
            transactionalId,
            transactionState: md.state,
            transactionTimeoutMs: md.txnTimeoutMs,
            transactionStartTimeMs: BigInt(md.txnStartTimestamp),
            producerId: md.producerId,
            producerEpoch: md.producerEpoch,
            topics: [...byTopic].map(([topic, partitions]) => ({ topic, partitions }))
          }
        })
      }
    }
  }
}
