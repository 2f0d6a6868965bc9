import assert from 'node:assert/strict'
import { beforeEach, describe, it } from 'node:test'
import { InMemoryGroupStore } from '../../../src/coordinator/group/group-store.js'
import {
  TransactionCoordinator,
  type TxnMarker
} from '../../../src/coordinator/transaction/transaction-coordinator.js'
import { decodeTransactionLogValue } from '../../../src/coordinator/transaction/transaction-log.js'
import { TransactionStateManager } from '../../../src/coordinator/transaction/transaction-state-manager.js'
import { ErrorCode } from '../../../src/protocol/error-codes.js'

const PARTITIONS = 1
const TP = { topic: 't', partition: 0 }
const TP2 = { topic: 't', partition: 1 }

interface Harness {
  store: InMemoryGroupStore
  coordinator: TransactionCoordinator
  markers: TxnMarker[]
  clock: { now: number }
  /** While set, marker writes wait for it: lets a test observe the window between Prepare* and Complete*. */
  gate: { wait: Promise<void> | null }
  settle: () => Promise<void>
}

async function harness(store = new InMemoryGroupStore(), clock = { now: 1_000_000 }): Promise<Harness> {
  const markers: TxnMarker[] = []
  const gate: Harness['gate'] = { wait: null }
  let nextId = 100n
  const coordinator = new TransactionCoordinator({
    stateManager: new TransactionStateManager(store, PARTITIONS),
    generateProducerId: async () => nextId++,
    writeMarkers: async (m) => {
      if (gate.wait) await gate.wait
      markers.push(m)
      return []
    },
    config: { maxTimeoutMs: 60_000, transactionalIdExpirationMs: 3_600_000 },
    now: () => clock.now,
    markerRetryBackoffMs: 1
  })
  await coordinator.onElection(0, 7)
  // Lets background marker writes and the Complete* append run.
  const settle = async () => {
    for (let i = 0; i < 20; i++) await new Promise((r) => setImmediate(r))
  }
  return { store, coordinator, markers, clock, gate, settle }
}

describe('TransactionCoordinator', () => {
  let h: Harness
  beforeEach(async () => {
    h = await harness()
  })

  it('InitProducerId: a new id starts at epoch 0 and every new instance bumps the epoch', async () => {
    const first = await h.coordinator.handleInitProducerId('tx', 10_000)
    assert.deepEqual(first, { errorCode: 0, producerId: 100n, producerEpoch: 0 })
    const second = await h.coordinator.handleInitProducerId('tx', 10_000)
    assert.deepEqual(second, { errorCode: 0, producerId: 100n, producerEpoch: 1 })
  })

  it('InitProducerId validates the timeout and the transactional id', async () => {
    assert.equal(
      (await h.coordinator.handleInitProducerId('tx', 60_001)).errorCode,
      ErrorCode.INVALID_TRANSACTION_TIMEOUT
    )
    assert.equal(
      (await h.coordinator.handleInitProducerId('tx', 0)).errorCode,
      ErrorCode.INVALID_TRANSACTION_TIMEOUT
    )
    assert.equal((await h.coordinator.handleInitProducerId('', 1000)).errorCode, ErrorCode.INVALID_REQUEST)
  })

  it('KIP-360: a retry with the pre-bump epoch gets the same epoch, an unknown epoch is fenced', async () => {
    const init = await h.coordinator.handleInitProducerId('tx', 10_000)
    const bumped = await h.coordinator.handleInitProducerId('tx', 10_000, {
      producerId: 100n,
      producerEpoch: 0
    })
    assert.equal(bumped.producerEpoch, init.producerEpoch + 1)
    const retry = await h.coordinator.handleInitProducerId('tx', 10_000, {
      producerId: 100n,
      producerEpoch: 0
    })
    assert.deepEqual(retry, bumped)
    const fenced = await h.coordinator.handleInitProducerId('tx', 10_000, {
      producerId: 100n,
      producerEpoch: 7
    })
    assert.equal(fenced.errorCode, ErrorCode.PRODUCER_FENCED)
    const otherId = await h.coordinator.handleInitProducerId('tx', 10_000, {
      producerId: 5n,
      producerEpoch: 0
    })
    assert.equal(otherId.errorCode, ErrorCode.PRODUCER_FENCED)
  })

  it('AddPartitions checks the producer id, the epoch and the state', async () => {
    const { producerId, producerEpoch } = await h.coordinator.handleInitProducerId('tx', 10_000)
    assert.equal(
      await h.coordinator.handleAddPartitions('tx', producerId + 1n, producerEpoch, [TP]),
      ErrorCode.INVALID_PRODUCER_ID_MAPPING
    )
    assert.equal(
      await h.coordinator.handleAddPartitions('nope', producerId, producerEpoch, [TP]),
      ErrorCode.INVALID_PRODUCER_ID_MAPPING
    )
    assert.equal(
      await h.coordinator.handleAddPartitions('tx', producerId, producerEpoch + 1, [TP]),
      ErrorCode.PRODUCER_FENCED
    )
    assert.equal(
      await h.coordinator.handleAddPartitions('tx', producerId, producerEpoch, [TP]),
      ErrorCode.NONE
    )
    const md = h.coordinator.describe('tx').metadata!
    assert.equal(md.state, 'Ongoing')
    assert.equal(md.txnStartTimestamp, h.clock.now)
    assert.deepEqual(h.coordinator.handleVerifyPartitions('tx', producerId, producerEpoch, [TP, TP2]), [
      ErrorCode.NONE,
      ErrorCode.INVALID_TXN_STATE
    ])
  })

  it('EndTxn: Prepare is durable before the response, markers go to every partition, then Complete*', async () => {
    const { producerId, producerEpoch } = await h.coordinator.handleInitProducerId('tx', 10_000)
    await h.coordinator.handleAddPartitions('tx', producerId, producerEpoch, [TP, TP2])
    let release!: () => void
    h.gate.wait = new Promise((r) => {
      release = r
    })
    assert.equal(
      await h.coordinator.handleEndTransaction('tx', producerId, producerEpoch, true),
      ErrorCode.NONE
    )
    const md = h.coordinator.describe('tx').metadata!
    assert.equal(md.state, 'PrepareCommit')
    const last = h.store.records(0).at(-1)!
    assert.equal(decodeTransactionLogValue(last.value!).state, 'PrepareCommit')
    // While the markers are in flight, everything else on this id must wait.
    assert.equal(
      await h.coordinator.handleAddPartitions('tx', producerId, producerEpoch, [TP]),
      ErrorCode.CONCURRENT_TRANSACTIONS
    )
    assert.equal(
      (await h.coordinator.handleInitProducerId('tx', 10_000)).errorCode,
      ErrorCode.CONCURRENT_TRANSACTIONS
    )
    assert.equal(
      await h.coordinator.handleEndTransaction('tx', producerId, producerEpoch, true),
      ErrorCode.CONCURRENT_TRANSACTIONS
    )
    release()
    h.gate.wait = null
    await h.settle()
    assert.equal(md.state, 'CompleteCommit')
    assert.deepEqual(md.partitions, [])
    assert.equal(h.markers.length, 1)
    assert.deepEqual(h.markers[0], {
      transactionalId: 'tx',
      producerId,
      producerEpoch,
      coordinatorEpoch: 7,
      commit: true,
      partitions: [TP, TP2]
    })
    // A retried EndTxn with the same result succeeds; the opposite one is a state error.
    assert.equal(
      await h.coordinator.handleEndTransaction('tx', producerId, producerEpoch, true),
      ErrorCode.NONE
    )
    assert.equal(
      await h.coordinator.handleEndTransaction('tx', producerId, producerEpoch, false),
      ErrorCode.INVALID_TXN_STATE
    )
  })

  it('EndTxn with no transaction is INVALID_TXN_STATE, with a stale epoch PRODUCER_FENCED', async () => {
    const { producerId, producerEpoch } = await h.coordinator.handleInitProducerId('tx', 10_000)
    assert.equal(
      await h.coordinator.handleEndTransaction('tx', producerId, producerEpoch, true),
      ErrorCode.INVALID_TXN_STATE
    )
    assert.equal(
      await h.coordinator.handleEndTransaction('tx', producerId, producerEpoch + 1, false),
      ErrorCode.PRODUCER_FENCED
    )
    assert.equal(
      await h.coordinator.handleEndTransaction('tx', 999n, producerEpoch, false),
      ErrorCode.INVALID_PRODUCER_ID_MAPPING
    )
  })

  it('a new instance aborts the open transaction of the old one and fences it', async () => {
    const old = await h.coordinator.handleInitProducerId('tx', 10_000)
    await h.coordinator.handleAddPartitions('tx', old.producerId, old.producerEpoch, [TP])
    const first = await h.coordinator.handleInitProducerId('tx', 10_000)
    assert.equal(first.errorCode, ErrorCode.CONCURRENT_TRANSACTIONS)
    await h.settle()
    assert.equal(h.markers.at(-1)?.commit, false)
    assert.equal(
      h.markers.at(-1)?.producerEpoch,
      old.producerEpoch + 1,
      'the abort marker carries the fencing epoch'
    )
    const retry = await h.coordinator.handleInitProducerId('tx', 10_000)
    assert.deepEqual(retry, {
      errorCode: 0,
      producerId: old.producerId,
      producerEpoch: old.producerEpoch + 2
    })
    assert.equal(
      await h.coordinator.handleEndTransaction('tx', old.producerId, old.producerEpoch, true),
      ErrorCode.PRODUCER_FENCED
    )
  })

  it('aborts a transaction older than its timeout and fences its producer', async () => {
    const p = await h.coordinator.handleInitProducerId('tx', 5_000)
    await h.coordinator.handleAddPartitions('tx', p.producerId, p.producerEpoch, [TP])
    h.clock.now += 5_000
    assert.equal(await h.coordinator.abortTimedOutTransactions(), 0, 'not yet past the timeout')
    h.clock.now += 1
    assert.equal(await h.coordinator.abortTimedOutTransactions(), 1)
    await h.settle()
    const md = h.coordinator.describe('tx').metadata!
    assert.equal(md.state, 'CompleteAbort')
    assert.equal(md.producerEpoch, p.producerEpoch + 1)
    assert.equal(
      await h.coordinator.handleAddPartitions('tx', p.producerId, p.producerEpoch, [TP]),
      ErrorCode.PRODUCER_FENCED
    )
  })

  it('expires idle transactional ids with a tombstone', async () => {
    await h.coordinator.handleInitProducerId('tx', 5_000)
    h.clock.now += 3_600_000 - 1
    assert.equal(await h.coordinator.removeExpiredTransactionalIds(), 0)
    h.clock.now += 1
    assert.equal(await h.coordinator.removeExpiredTransactionalIds(), 1)
    assert.equal(h.coordinator.describe('tx').errorCode, ErrorCode.TRANSACTIONAL_ID_NOT_FOUND)
    assert.equal(h.store.records(0).at(-1)?.value, null)
    const again = await harness(h.store, h.clock)
    assert.equal(again.coordinator.describe('tx').errorCode, ErrorCode.TRANSACTIONAL_ID_NOT_FOUND)
  })

  it('reloads state from the log and finishes a transaction left in PrepareCommit', async () => {
    const p = await h.coordinator.handleInitProducerId('tx', 10_000)
    await h.coordinator.handleAddPartitions('tx', p.producerId, p.producerEpoch, [TP])
    h.gate.wait = new Promise(() => {})
    assert.equal(
      await h.coordinator.handleEndTransaction('tx', p.producerId, p.producerEpoch, true),
      ErrorCode.NONE
    )
    // The broker "restarts" with PrepareCommit as the last durable state.
    const restarted = await harness(h.store, h.clock)
    await restarted.settle()
    const md = restarted.coordinator.describe('tx').metadata!
    assert.equal(md.state, 'CompleteCommit')
    assert.equal(md.producerId, p.producerId)
    assert.equal(md.producerEpoch, p.producerEpoch)
    assert.deepEqual(
      restarted.markers.map((m) => [m.commit, m.partitions]),
      [[true, [TP]]]
    )
  })

  it('answers NOT_COORDINATOR for ids of partitions it does not own', async () => {
    const sm = new TransactionStateManager(new InMemoryGroupStore(), 2)
    const c = new TransactionCoordinator({
      stateManager: sm,
      generateProducerId: async () => 1n,
      writeMarkers: async () => [],
      config: { maxTimeoutMs: 60_000, transactionalIdExpirationMs: 1 }
    })
    const id = 'tx'
    assert.equal((await c.handleInitProducerId(id, 1000)).errorCode, ErrorCode.NOT_COORDINATOR)
    await c.onElection(sm.partitionFor(id), 0)
    assert.equal((await c.handleInitProducerId(id, 1000)).errorCode, ErrorCode.NONE)
  })

  it('lists transactions by state and producer id', async () => {
    const a = await h.coordinator.handleInitProducerId('a', 10_000)
    await h.coordinator.handleInitProducerId('b', 10_000)
    await h.coordinator.handleAddPartitions('a', a.producerId, a.producerEpoch, [TP])
    assert.deepEqual(
      h.coordinator.list(['Ongoing'], [], -1).map((m) => m.transactionalId),
      ['a']
    )
    assert.deepEqual(
      h.coordinator.list([], [a.producerId], -1).map((m) => m.transactionalId),
      ['a']
    )
    assert.deepEqual(
      h.coordinator
        .list([], [], -1)
        .map((m) => m.transactionalId)
        .sort(),
      ['a', 'b']
    )
  })
})
