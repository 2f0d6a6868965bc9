/**
 * Durable transactional offsets: TxnOffsetCommit writes the producer's transactional batch at once, and a
 * coordinator that reloads the partition (a restarted broker) rebuilds the pending offsets from it, commits
 * them when the COMMIT marker follows and drops them on ABORT; a replayed marker does the same on load.
 */

import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { decodeCoordinatorKey } from '../../../src/coordinator/group/coordinator-records.js'
import type { GroupCoordinatorService } from '../../../src/coordinator/group/group-coordinator-service.js'
import { InMemoryGroupStore } from '../../../src/coordinator/group/group-store.js'
import { ErrorCode } from '../../../src/protocol/error-codes.js'
import type { TxnOffsetCommitRequest } from '../../../src/protocol/messages/txn-offset-commit.js'
import { startedCoordinator } from './group-test-kit.js'

const GROUP = 'eos-group'

function txnCommit(producerId: bigint, partition: number, offset: bigint): TxnOffsetCommitRequest {
  return {
    transactionalId: `txn-${producerId}`,
    groupId: GROUP,
    producerId,
    producerEpoch: 3,
    generationId: -1,
    memberId: '',
    groupInstanceId: null,
    topics: [
      {
        name: 'in',
        partitions: [{ partitionIndex: partition, committedOffset: offset, committedMetadata: '' }]
      }
    ]
  }
}

function committed(c: GroupCoordinatorService, partition: number): bigint | undefined {
  return c.manager.group(GROUP)?.offsets.get('in')?.get(partition)?.offset
}

function codes(r: { topics: { partitions: { errorCode: number }[] }[] }): number[] {
  return r.topics.flatMap((t) => t.partitions.map((p) => p.errorCode))
}

describe('TxnOffsetCoordinator: durable pending offsets', () => {
  it('appends a transactional batch at once and keeps the offsets pending', async () => {
    const store = new InMemoryGroupStore()
    const { coordinator } = await startedCoordinator({}, store)
    const partition = coordinator.manager.partitionFor(GROUP)
    const r = await coordinator.txnOffsets.commitTxnOffsets(txnCommit(7n, 0, 42n))
    assert.deepEqual(codes(r), [ErrorCode.NONE])
    const records = store.records(partition)
    assert.equal(records.length, 1)
    assert.equal(records[0]?.producerId, 7n)
    assert.deepEqual(decodeCoordinatorKey(records[0]!.key), {
      type: 'offset',
      group: GROUP,
      topic: 'in',
      partition: 0
    })
    assert.equal(coordinator.txnOffsets.hasPendingOffset(GROUP, 'in', 0), true)
    assert.equal(committed(coordinator, 0), undefined)
  })

  it('a reloaded coordinator rebuilds pending offsets; COMMIT after the reload commits them', async () => {
    const store = new InMemoryGroupStore()
    const first = (await startedCoordinator({}, store)).coordinator
    const partition = first.manager.partitionFor(GROUP)
    await first.txnOffsets.commitTxnOffsets(txnCommit(7n, 0, 42n))
    first.shutdown()

    const second = (await startedCoordinator({}, store)).coordinator
    assert.equal(second.txnOffsets.hasPendingOffset(GROUP, 'in', 0), true, 'pending after the reload')
    assert.equal(committed(second, 0), undefined)
    store.appendTxnMarker(partition, 7n, true)
    await second.txnOffsets.completeTransaction(7n, partition, true)
    assert.equal(committed(second, 0), 42n)
    assert.equal(second.txnOffsets.hasPendingOffset(GROUP, 'in', 0), false)
    second.shutdown()

    // The marker in the log is what makes them count on the next load: nothing else was written.
    const third = (await startedCoordinator({}, store)).coordinator
    assert.equal(committed(third, 0), 42n)
    assert.equal(third.txnOffsets.hasPendingOffset(GROUP, 'in', 0), false)
    third.shutdown()
  })

  it('ABORT drops them, live and on replay; other producers keep theirs', async () => {
    const store = new InMemoryGroupStore()
    const first = (await startedCoordinator({}, store)).coordinator
    const partition = first.manager.partitionFor(GROUP)
    await first.txnOffsets.commitTxnOffsets(txnCommit(7n, 0, 10n))
    await first.txnOffsets.commitTxnOffsets(txnCommit(8n, 1, 20n))
    store.appendTxnMarker(partition, 7n, false)
    await first.txnOffsets.completeTransaction(7n, partition, false)
    assert.equal(committed(first, 0), undefined)
    assert.equal(first.txnOffsets.hasPendingOffset(GROUP, 'in', 0), false)
    first.shutdown()

    const second = (await startedCoordinator({}, store)).coordinator
    assert.equal(committed(second, 0), undefined, 'aborted offsets are not replayed')
    assert.equal(second.txnOffsets.hasPendingOffset(GROUP, 'in', 0), false)
    assert.equal(second.txnOffsets.hasPendingOffset(GROUP, 'in', 1), true, 'producer 8 is still open')
    second.shutdown()
  })

  it('an offset committed by a replayed COMMIT marker survives a later non-transactional load', async () => {
    const store = new InMemoryGroupStore()
    const first = (await startedCoordinator({}, store)).coordinator
    const partition = first.manager.partitionFor(GROUP)
    await first.txnOffsets.commitTxnOffsets(txnCommit(9n, 2, 99n))
    store.appendTxnMarker(partition, 9n, true)
    first.shutdown()
    // Marker written while this coordinator was down (the transaction coordinator finished it on restart).
    const second = (await startedCoordinator({}, store)).coordinator
    assert.equal(committed(second, 2), 99n)
    assert.equal(second.txnOffsets.hasPendingOffset(GROUP, 'in', 2), false)
    second.shutdown()
  })

  it('a transaction that does not hold the group partition is rejected before anything is written', async () => {
    const store = new InMemoryGroupStore()
    const { coordinator } = await startedCoordinator({}, store)
    const asked: unknown[] = []
    coordinator.txnOffsets.verifyTransaction = (...args) => {
      asked.push(args)
      return ErrorCode.INVALID_TXN_STATE
    }
    const r = await coordinator.txnOffsets.commitTxnOffsets(txnCommit(7n, 0, 42n))
    assert.deepEqual(codes(r), [ErrorCode.INVALID_TXN_STATE])
    assert.deepEqual(asked, [['txn-7', 7n, 3, coordinator.manager.partitionFor(GROUP)]])
    assert.equal(store.records(coordinator.manager.partitionFor(GROUP)).length, 0)
    assert.equal(coordinator.txnOffsets.hasPendingOffset(GROUP, 'in', 0), false)
    coordinator.shutdown()
  })
})
