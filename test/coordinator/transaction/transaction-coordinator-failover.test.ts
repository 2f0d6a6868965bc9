/**
 * The transaction coordinator when its `__transaction_state` partition moves (a cluster's leader changes):
 * loads that overlap a resignation, and marker retries that must stop when the coordinator epoch changes.
 */

import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { InMemoryGroupStore } from '../../../src/coordinator/group/group-store.js'
import {
  TransactionCoordinator,
  type TxnMarker
} from '../../../src/coordinator/transaction/transaction-coordinator.js'
import { TransactionStateManager } from '../../../src/coordinator/transaction/transaction-state-manager.js'
import { ErrorCode } from '../../../src/protocol/error-codes.js'

const TP = { topic: 't', partition: 0 }

async function until(what: string, check: () => boolean): Promise<void> {
  for (let i = 0; i < 2000; i++) {
    if (check()) return
    await new Promise((r) => setTimeout(r, 1))
  }
  throw new Error(`timed out waiting for ${what}`)
}

describe('TransactionCoordinator across coordinator moves', () => {
  it('a load overlapped by a resignation and a newer load is discarded; the newer epoch wins', async () => {
    const state = new TransactionStateManager(new InMemoryGroupStore(), 1)
    const first = state.loadPartition(0, 7)
    state.unloadPartition(0)
    const second = state.loadPartition(0, 8)
    await Promise.all([first, second])
    assert.equal(state.isOwned(0), true)
    assert.equal(state.coordinatorEpochOf('any'), 8)
  })

  it('marker retries stop at a resignation; the next election completes the commit in its epoch', async () => {
    const store = new InMemoryGroupStore()
    const attempts: TxnMarker[] = []
    let leaderReachable = false
    const coordinator = new TransactionCoordinator({
      stateManager: new TransactionStateManager(store, 1),
      generateProducerId: async () => 100n,
      // The data partition's leader cannot be reached until the test allows it.
      writeMarkers: async (m) => {
        attempts.push(m)
        return leaderReachable
          ? []
          : m.partitions.map((tp) => ({ tp, errorCode: ErrorCode.NETWORK_EXCEPTION }))
      },
      config: { maxTimeoutMs: 60_000, transactionalIdExpirationMs: 3_600_000 },
      markerRetryBackoffMs: 1
    })
    await coordinator.onElection(0, 7)
    const init = await coordinator.handleInitProducerId('tx', 10_000)
    assert.equal(await coordinator.handleAddPartitions('tx', init.producerId, init.producerEpoch, [TP]), 0)
    assert.equal(await coordinator.handleEndTransaction('tx', init.producerId, init.producerEpoch, true), 0)
    await until('marker retries', () => attempts.length >= 3)

    // The partition moves away and comes back in a newer epoch before the retry loop looks again: the old
    // loop must stop, and the reload resumes the markers with the new coordinator epoch.
    coordinator.stateManager.unloadPartition(0)
    assert.equal(coordinator.describe('tx').errorCode, ErrorCode.NOT_COORDINATOR)
    await coordinator.onElection(0, 9)
    const reloadedAt = attempts.length
    await until('retries of the new election', () => attempts.length >= reloadedAt + 5)
    assert.deepEqual(
      attempts.slice(reloadedAt).map((m) => m.coordinatorEpoch),
      attempts.slice(reloadedAt).map(() => 9),
      'only the new election sends markers'
    )
    leaderReachable = true
    await until('CompleteCommit', () => coordinator.describe('tx').metadata?.state === 'CompleteCommit')
    assert.equal(attempts[attempts.length - 1]!.commit, true)
    await coordinator.shutdown()
  })
})
