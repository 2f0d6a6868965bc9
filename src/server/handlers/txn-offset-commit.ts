/** TxnOffsetCommit (key 28): offsets sent inside a transaction, pending until its marker (TxnOffsetCoordinator). */

import type { TxnOffsetCoordinator } from '../../coordinator/group/txn-offset-coordinator.js'
import {
  TxnOffsetCommitApi,
  type TxnOffsetCommitRequest,
  type TxnOffsetCommitResponse
} from '../../protocol/messages/txn-offset-commit.js'
import type { ApiHandler } from '../api-registry.js'

export function createTxnOffsetCommitHandler(
  txnOffsets: TxnOffsetCoordinator
): ApiHandler<TxnOffsetCommitRequest, TxnOffsetCommitResponse> {
  return {
    api: TxnOffsetCommitApi,
    minVersion: 0,
    maxVersion: 4,
    handle(request) {
      return txnOffsets.commitTxnOffsets(request)
    }
  }
}
