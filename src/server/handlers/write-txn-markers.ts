/**
 * WriteTxnMarkers (key 27): a transaction coordinator asks the partition leaders to write COMMIT/ABORT
 * markers. On a single broker the coordinator writes them locally through the same path
 * (TransactionCoordination.writeMarkers); this handler serves coordinators reaching this broker by request.
 */

import type {
  WriteTxnMarkersRequest,
  WriteTxnMarkersResponse
} from '../../protocol/messages/write-txn-markers.js'
import type { ApiHandler } from '../api-registry.js'
import type { TransactionCoordination } from '../transaction-coordination.js'

export function createWriteTxnMarkersHandler(
  txn: TransactionCoordination
): ApiHandler<WriteTxnMarkersRequest, WriteTxnMarkersResponse> {
  return {
    apiKey: 27,
    minVersion: 0,
    maxVersion: 1,
    async handle(request) {
      const markers = await Promise.all(
        request.markers.map(async (m) => {
          const failed = await txn.writeMarkers({
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
