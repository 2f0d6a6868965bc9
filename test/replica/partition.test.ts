import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { ErrorCode, KafkaError } from '../../src/protocol/error-codes.js'
import {
  appendAsLeader,
  committed,
  flushMicrotasks,
  leaderPartition,
  withLeaderDir
} from './replica-test-kit.js'

const LAG_MS = 10_000

describe('Partition high watermark', () => {
  it('is the smallest log end offset across the ISR, as follower fetches report them', () =>
    withLeaderDir(async (dir) => {
      const { partition, hwChanges, log } = await leaderPartition(dir)
      assert.equal(await appendAsLeader(partition, 5), 5)
      assert.equal(partition.highWatermark, 0, 'no follower has fetched under this epoch yet')
      partition.updateFollowerFetchState(2, 5)
      assert.equal(partition.highWatermark, 0, 'follower 3 is in the ISR and its position is unknown')
      partition.updateFollowerFetchState(3, 3)
      assert.equal(partition.highWatermark, 3)
      partition.updateFollowerFetchState(3, 5)
      assert.equal(partition.highWatermark, 5)
      assert.equal(log.highWatermark, 5, 'the log holds the high watermark')
      assert.deepEqual(hwChanges, [3, 5], 'each move is reported once')
    }))

  it('never moves backwards when a follower reports a lower position', () =>
    withLeaderDir(async (dir) => {
      const { partition, hwChanges } = await leaderPartition(dir)
      await appendAsLeader(partition, 4)
      partition.updateFollowerFetchState(2, 4)
      partition.updateFollowerFetchState(3, 4)
      assert.equal(partition.highWatermark, 4)
      partition.updateFollowerFetchState(3, 1)
      assert.equal(partition.highWatermark, 4)
      await appendAsLeader(partition, 2)
      partition.updateFollowerFetchState(2, 6)
      assert.equal(partition.highWatermark, 4, 'follower 3 at 1 holds it, but it does not fall')
      assert.deepEqual(hwChanges, [4])
    }))

  it('is the leader log end offset in a cluster of one, as soon as an append returns', () =>
    withLeaderDir(async (dir) => {
      const { partition } = await leaderPartition(dir, { replicas: [1] })
      await appendAsLeader(partition, 3)
      assert.equal(partition.highWatermark, 3)
    }))

  it('is not held back by a replica outside the ISR', () =>
    withLeaderDir(async (dir) => {
      const { partition, alter } = await leaderPartition(dir, { replicas: [1, 2, 3], isr: [1, 2] })
      await appendAsLeader(partition, 5)
      partition.updateFollowerFetchState(2, 5)
      assert.equal(partition.highWatermark, 5, 'replica 3 never fetched and is not in the ISR')
      partition.updateFollowerFetchState(3, 2)
      assert.equal(partition.highWatermark, 5)
      assert.deepEqual(alter.proposedIsrs, [], 'replica 3 is below the high watermark: not caught up')
    }))

  it('stops waiting for a follower once its removal from the ISR is committed', () =>
    withLeaderDir(async (dir) => {
      const { partition } = await leaderPartition(dir)
      await appendAsLeader(partition, 5)
      partition.updateFollowerFetchState(2, 5)
      partition.updateFollowerFetchState(3, 1)
      assert.equal(partition.highWatermark, 1)
      partition.updateRegistration(committed(partition, { isr: [1, 2] }))
      partition.maybeIncrementHighWatermark()
      assert.equal(partition.highWatermark, 5)
    }))

  it('waits for a follower whose ISR expansion is proposed but not yet committed (maximal ISR)', () =>
    withLeaderDir(async (dir) => {
      const { partition, alter } = await leaderPartition(dir, { isr: [1, 2] })
      await appendAsLeader(partition, 3)
      partition.updateFollowerFetchState(2, 3)
      assert.equal(partition.highWatermark, 3)
      partition.updateFollowerFetchState(3, 3)
      assert.deepEqual(alter.proposedIsrs, [[1, 2, 3]])
      await appendAsLeader(partition, 3)
      partition.updateFollowerFetchState(2, 6)
      assert.equal(partition.highWatermark, 3, 'the controller may already count 3 in the ISR')
      partition.updateFollowerFetchState(3, 6)
      assert.equal(partition.highWatermark, 6)
    }))

  it('a leader with a refused ISR proposal moves the high watermark without the refused replica', () =>
    withLeaderDir(async (dir) => {
      const { partition, alter } = await leaderPartition(dir, { isr: [1, 2] })
      await appendAsLeader(partition, 3)
      partition.updateFollowerFetchState(2, 3)
      partition.updateFollowerFetchState(3, 3)
      assert.deepEqual(alter.proposedIsrs, [[1, 2, 3]])
      await appendAsLeader(partition, 4)
      partition.updateFollowerFetchState(2, 7)
      assert.equal(partition.highWatermark, 3, 'held by the pending expansion')
      alter.proposals[0]!.reject(new KafkaError(ErrorCode.INELIGIBLE_REPLICA, 'in controlled shutdown'))
      await flushMicrotasks()
      assert.equal(partition.highWatermark, 7, 'the refusal releases it')
      // The next fetch of the refused replica may ask again.
      partition.updateFollowerFetchState(3, 7)
      assert.deepEqual(alter.proposedIsrs, [
        [1, 2, 3],
        [1, 2, 3]
      ])
    }))

  it('OPERATION_NOT_ATTEMPTED also releases the high watermark, but an unknown outcome keeps it held', () =>
    withLeaderDir(async (dir) => {
      const { partition, alter } = await leaderPartition(dir, { isr: [1, 2] })
      await appendAsLeader(partition, 2)
      partition.updateFollowerFetchState(2, 2)
      partition.updateFollowerFetchState(3, 2)
      await appendAsLeader(partition, 2)
      partition.updateFollowerFetchState(2, 4)
      // No controller reachable: the change may have been made, so 3 still counts.
      alter.proposals[0]!.reject(new KafkaError(ErrorCode.NOT_CONTROLLER, 'no controller'))
      await flushMicrotasks()
      assert.equal(partition.highWatermark, 2)
      partition.updateFollowerFetchState(3, 2)
      assert.equal(alter.proposals.length, 2, 'asked again')
      alter.proposals[1]!.reject(new KafkaError(ErrorCode.OPERATION_NOT_ATTEMPTED, 'not attempted'))
      await flushMicrotasks()
      assert.equal(partition.highWatermark, 4)
    }))
})

describe('Partition ISR changes', () => {
  it('proposes to drop a follower that has not caught up for replica.lag.time.max.ms', () =>
    withLeaderDir(async (dir) => {
      const { partition, clock, alter } = await leaderPartition(dir)
      await appendAsLeader(partition, 5)
      clock.advance(4_000)
      partition.updateFollowerFetchState(2, 5) // caught up at +4s
      partition.updateFollowerFetchState(3, 0) // never caught up since the epoch began at +0s
      clock.advance(LAG_MS - 4_000)
      partition.maybeShrinkIsr(LAG_MS)
      assert.deepEqual(alter.proposedIsrs, [], 'exactly replica.lag.time.max.ms is not yet too long')
      clock.advance(1)
      partition.maybeShrinkIsr(LAG_MS)
      assert.deepEqual(alter.proposedIsrs, [[1, 2]])
      // One change in flight at a time.
      clock.advance(LAG_MS)
      partition.maybeShrinkIsr(LAG_MS)
      assert.equal(alter.proposals.length, 1)
    }))

  it('a follower fetching steadily but behind counts as caught up to where the leader was at its last fetch', () =>
    withLeaderDir(async (dir) => {
      const { partition, clock, alter } = await leaderPartition(dir, { replicas: [1, 2], isr: [1, 2] })
      await appendAsLeader(partition, 5)
      clock.advance(1_000)
      partition.updateFollowerFetchState(2, 0) // the leader ended at 5 then
      clock.advance(1_000)
      await appendAsLeader(partition, 3)
      partition.updateFollowerFetchState(2, 5) // reached the old end: caught up as of +1s
      clock.advance(LAG_MS - 1_000)
      partition.maybeShrinkIsr(LAG_MS)
      assert.deepEqual(alter.proposedIsrs, [])
      clock.advance(1)
      partition.maybeShrinkIsr(LAG_MS)
      assert.deepEqual(alter.proposedIsrs, [[1]])
    }))

  it('proposes no shrink for a follower that keeps catching up', () =>
    withLeaderDir(async (dir) => {
      const { partition, clock, alter } = await leaderPartition(dir)
      for (let i = 0; i < 5; i++) {
        const end = await appendAsLeader(partition, 1)
        clock.advance(LAG_MS / 2)
        partition.updateFollowerFetchState(2, end)
        partition.updateFollowerFetchState(3, end)
        partition.maybeShrinkIsr(LAG_MS)
      }
      assert.deepEqual(alter.proposedIsrs, [])
    }))

  it('proposes to add a follower back once it reaches the high watermark', () =>
    withLeaderDir(async (dir) => {
      const { partition, alter } = await leaderPartition(dir, { isr: [1, 2] })
      await appendAsLeader(partition, 6)
      partition.updateFollowerFetchState(2, 6)
      assert.equal(partition.highWatermark, 6)
      partition.updateFollowerFetchState(3, 5)
      assert.deepEqual(alter.proposedIsrs, [], 'one offset short of the high watermark')
      partition.updateFollowerFetchState(3, 6)
      assert.deepEqual(alter.proposedIsrs, [[1, 2, 3]])
      // Committed: the controller's delta carries the new ISR and partition epoch.
      alter.proposals[0]!.resolve()
      partition.updateRegistration(committed(partition, { isr: [1, 2, 3] }))
      await appendAsLeader(partition, 1)
      partition.updateFollowerFetchState(2, 7)
      assert.equal(partition.highWatermark, 6, 'now an ISR member, replica 3 holds it')
      partition.updateFollowerFetchState(3, 7)
      assert.equal(partition.highWatermark, 7)
    }))

  it('only the leader shrinks, and a follower fetch to a non-leader is NOT_LEADER_OR_FOLLOWER', () =>
    withLeaderDir(async (dir) => {
      const { partition, clock, alter } = await leaderPartition(dir)
      partition.updateRegistration(committed(partition, { leader: 2, leaderEpoch: 6 }))
      clock.advance(LAG_MS * 2)
      partition.maybeShrinkIsr(LAG_MS)
      assert.deepEqual(alter.proposedIsrs, [])
      assert.throws(
        () => partition.updateFollowerFetchState(3, 0),
        (err: unknown) => err instanceof KafkaError && err.code === ErrorCode.NOT_LEADER_OR_FOLLOWER
      )
    }))
})

describe('Partition leader epochs', () => {
  it('records the leader epoch at the log end when it becomes leader, before any append', () =>
    withLeaderDir(async (dir) => {
      const { partition } = await leaderPartition(dir)
      await appendAsLeader(partition, 4)
      // A new election: this broker leads again under epoch 6 and has appended nothing under it yet.
      partition.updateRegistration({ ...partition.registration, leaderEpoch: 6, partitionEpoch: 8 })
      // A follower that saw epoch 5 learns it ended at 4, where epoch 6 began (not "unknown", -1).
      assert.deepEqual(partition.lastOffsetForLeaderEpoch(6, 5, true), { epoch: 5, endOffset: 4 })
      assert.deepEqual(partition.lastOffsetForLeaderEpoch(6, 6, true), { epoch: 6, endOffset: 4 })
    }))

  it('knows its epoch from the start when created as leader of an empty log', () =>
    withLeaderDir(async (dir) => {
      const { partition } = await leaderPartition(dir)
      assert.deepEqual(partition.lastOffsetForLeaderEpoch(5, 5, true), { epoch: 5, endOffset: 0 })
    }))
})
