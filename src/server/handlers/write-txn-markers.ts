/**
 * WriteTxnMarkers (key 27): a transaction coordinator on another broker asks this partition leader to write
 * COMMIT/ABORT markers (a coordinator writes those of partitions it leads itself, through the same
 * TransactionCoordination.writeMarkersLocally). Each partition is answered once its ISR holds the marker.
 */

import type { TransactionCoordination } from '../../coordinator/runtime/transaction-coordination.js'
import { ErrorCode } from '../../protocol/error-codes.js'
import {
  WriteTxnMarkersApi,
  type WriteTxnMarkersRequest,
  type WriteTxnMarkersResponse
} from '../../protocol/messages/write-txn-markers.js'
import { AclOperation } from '../../security/authorizer/acl-types.js'
import type { ApiHandler } from '../api-registry.js'

export function createWriteTxnMarkersHandler(
  txn: TransactionCoordination
): ApiHandler<WriteTxnMarkersRequest, WriteTxnMarkersResponse> {
  return {
    api: WriteTxnMarkersApi,
    minVersion: 0,
    maxVersion: 1,
    async handle(request, ctx) {
      // Only brokers write markers: CLUSTER_ACTION, or every partition fails.
      if (!ctx.authorizeCluster(AclOperation.CLUSTER_ACTION)) {
        return {
          markers: request.markers.map((m) => ({
            producerId: m.producerId,
            topics: m.topics.map((t) => ({
              name: t.name,
              partitions: t.partitionIndexes.map((p) => ({
                partitionIndex: p,
                errorCode: ErrorCode.CLUSTER_AUTHORIZATION_FAILED
              }))
            }))
          }))
        }
      }
      const markers = await Promise.all(
        request.markers.map(async (m) => {
          const failed = await txn.writeMarkersLocally({
            producerId: m.producerId,
            producerEpoch: m.producerEpoch,
            coordinatorEpoch: m.coordinatorEpoch,
            commit: m.transactionResult,
            partitions: m.topics.flatMap((t) =>
              t.partitionIndexes.map((p) => ({ topic: t.name, partition: p }))
            )
          })
          const codeOf = (topic: string, partition: number) =>
            failed.find((f) => f.tp.topic === topic && f.tp.partition === partition)?.errorCode ?? 0
          return {
            producerId: m.producerId,
            topics: m.topics.map((t) => ({
              name: t.name,
              partitions: t.partitionIndexes.map((p) => ({ partitionIndex: p, errorCode: codeOf(t.name, p) }))
            }))
          }
        })
      )
      return { markers }
    }
  }
}
