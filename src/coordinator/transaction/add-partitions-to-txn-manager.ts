/**
 * Kafka's AddPartitionsToTxnManager (KIP-890 part 1) for transactional ids coordinated by another broker:
 * before a partition leader accepts the first transactional batch of a producer's transaction, it asks the
 * producer's transaction coordinator (AddPartitionsToTxn v4, verifyOnly) whether the partition is part of
 * the ongoing transaction in that producer epoch. A coordinator on this broker is asked directly
 * (TransactionCoordination), without a request.
 *
 * The coordinator's answer is mapped as Kafka maps it for producers: PRODUCER_FENCED becomes
 * INVALID_PRODUCER_EPOCH, and the coordinator's retriable errors (not the coordinator, loading, not
 * available, concurrent transactions) become NOT_ENOUGH_REPLICAS, which every producer retries.
 *
 * Event loop: one pipelined request per verification over the shared per-broker connection.
 */

import type { InterBrokerConnections } from '../../network/inter-broker-connections.js'
import { ErrorCode } from '../../protocol/error-codes.js'
import {
  AddPartitionsToTxnApi,
  type AddPartitionsToTxnRequest,
  type AddPartitionsToTxnResponse
} from '../../protocol/messages/add-partitions-to-txn.js'

/** The first version with batched, broker-sent transactions and verifyOnly. */
const ADD_PARTITIONS_TO_TXN_BROKER_VERSION = 4

export interface AddPartitionsToTxnManagerDeps {
  readonly connections: InterBrokerConnections
  readonly requestTimeoutMs: number
}

export class AddPartitionsToTxnManager {
  constructor(private readonly deps: AddPartitionsToTxnManagerDeps) {}

  /** NONE when `coordinatorId` confirms the partition is in the producer's ongoing transaction. */
  async verify(
    coordinatorId: number,
    transactionalId: string,
    producerId: bigint,
    producerEpoch: number,
    topic: string,
    partition: number
  ): Promise<number> {
    let response: AddPartitionsToTxnResponse
    try {
      response = await this.deps.connections.request<AddPartitionsToTxnResponse>(
        coordinatorId,
        AddPartitionsToTxnApi.apiKey,
        ADD_PARTITIONS_TO_TXN_BROKER_VERSION,
        {
          transactions: [
            {
              transactionalId,
              producerId,
              producerEpoch,
              verifyOnly: true,
              topics: [{ name: topic, partitions: [partition] }]
            }
          ]
        } satisfies AddPartitionsToTxnRequest,
        this.deps.requestTimeoutMs
      )
    } catch {
      return ErrorCode.NETWORK_EXCEPTION
    }
    const code =
      response.errorCode !== undefined && response.errorCode !== ErrorCode.NONE
        ? response.errorCode
        : (response.resultsByTransaction?.[0]?.topicResults[0]?.resultsByPartition[0]?.partitionErrorCode ??
          ErrorCode.INVALID_TXN_STATE)
    return producerErrorFor(code)
  }
}

/** The coordinator's verification error as a producer understands it in a Produce response. */
export function producerErrorFor(code: number): number {
  switch (code) {
    case ErrorCode.PRODUCER_FENCED:
      return ErrorCode.INVALID_PRODUCER_EPOCH
    case ErrorCode.NOT_COORDINATOR:
    case ErrorCode.COORDINATOR_NOT_AVAILABLE:
    case ErrorCode.COORDINATOR_LOAD_IN_PROGRESS:
    case ErrorCode.CONCURRENT_TRANSACTIONS:
      return ErrorCode.NOT_ENOUGH_REPLICAS
    default:
      return code
  }
}
