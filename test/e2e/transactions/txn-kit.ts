/** Shared setup for the transaction end-to-end tests: broker overrides and raw transactional requests. */

import type { DescribeTransactionsResponse } from '../../../src/protocol/messages/describe-transactions.js'
import type { EndTxnResponse } from '../../../src/protocol/messages/end-txn.js'
import type { FindCoordinatorResponse } from '../../../src/protocol/messages/find-coordinator.js'
import type { InitProducerIdResponse } from '../../../src/protocol/messages/init-producer-id.js'
import type { ListTransactionsResponse } from '../../../src/protocol/messages/list-transactions.js'
import { rawRequest } from '../support/raw-requests.js'

export const TXN_BROKER_OVERRIDES = [
  'num.partitions=1',
  'offsets.topic.num.partitions=3',
  'offsets.topic.replication.factor=1',
  'transaction.state.log.num.partitions=3',
  'transaction.state.log.replication.factor=1',
  'transaction.state.log.min.isr=1',
  'transaction.max.timeout.ms=60000',
  'group.initial.rebalance.delay.ms=0'
]

/** FindCoordinator key type 1 until the transaction coordinator answers (it creates `__transaction_state`). */
export async function waitForTxnCoordinator(
  port: number,
  transactionalId: string,
  timeoutMs = 10_000
): Promise<void> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const r = await rawRequest<FindCoordinatorResponse>(port, 10, 3, { key: transactionalId, keyType: 1 })
    if (r.errorCode === 0) return
    if (Date.now() > deadline) throw new Error(`no transaction coordinator: error ${r.errorCode}`)
    await new Promise((res) => setTimeout(res, 100))
  }
}

export function initProducerId(
  port: number,
  transactionalId: string | null,
  transactionTimeoutMs: number,
  version = 4,
  producer?: { producerId: bigint; producerEpoch: number }
): Promise<InitProducerIdResponse> {
  return rawRequest<InitProducerIdResponse>(port, 22, version, {
    transactionalId,
    transactionTimeoutMs,
    producerId: producer?.producerId ?? -1n,
    producerEpoch: producer?.producerEpoch ?? -1
  })
}

export function endTxn(
  port: number,
  transactionalId: string,
  producerId: bigint,
  producerEpoch: number,
  committed: boolean,
  version = 3
): Promise<EndTxnResponse> {
  return rawRequest<EndTxnResponse>(port, 26, version, {
    transactionalId,
    producerId,
    producerEpoch,
    committed
  })
}

export async function describeTransaction(port: number, transactionalId: string) {
  const r = await rawRequest<DescribeTransactionsResponse>(port, 65, 0, {
    transactionalIds: [transactionalId]
  })
  const state = r.transactionStates[0]
  if (state === undefined) throw new Error('no DescribeTransactions result')
  return state
}

export function listTransactions(
  port: number,
  stateFilters: string[] = [],
  producerIdFilters: bigint[] = []
) {
  return rawRequest<ListTransactionsResponse>(port, 66, 1, {
    stateFilters,
    producerIdFilters,
    durationFilter: -1n
  })
}

/** Polls `check` until it returns a value (not undefined) or the timeout passes. */
export async function eventually<T>(
  check: () => Promise<T | undefined>,
  what: string,
  timeoutMs = 10_000
): Promise<T> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const v = await check()
    if (v !== undefined) return v
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((res) => setTimeout(res, 100))
  }
}
