import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { ErrorCode, KafkaError } from '../../src/protocol/error-codes.js'
import { DelayedOperationPurgatory } from '../../src/replica/delayed-operation-purgatory.js'
import { DelayedProduce } from '../../src/replica/delayed-produce.js'
import type { Partition } from '../../src/replica/partition.js'
import { makeBatch } from '../storage/batch-fixtures.js'
import {
  appendAsLeader,
  committed,
  leaderPartition,
  type ManualClock,
  withLeaderDir
} from './replica-test-kit.js'

const KEY = 'orders-0'
const TIMEOUT_MS = 30_000

/**
 * A leader of orders-0 (replicas 1, 2, 3) whose high watermark moves wake a produce purgatory on the same
 * injected clock, as the replica manager wires them.
 */
async function setup(dir: string, opts: { isr?: number[]; minIsr?: number } = {}) {
  let purgatory: DelayedOperationPurgatory | undefined
  const fixture = await leaderPartition(dir, {
    isr: opts.isr,
    logProps: { 'min.insync.replicas': opts.minIsr ?? 2 },
    onHighWatermarkChange: () => purgatory?.checkAndComplete(KEY)
  })
  purgatory = new DelayedOperationPurgatory(fixture.clock.now, fixture.clock.timer)
  return { ...fixture, purgatory }
}

/** Parks an acks=all answer for the records below `requiredOffset`; its outcomes are collected in order. */
function waitForIsr(
  purgatory: DelayedOperationPurgatory,
  partition: Partition,
  clock: ManualClock,
  requiredOffset: number,
  timeoutMs = TIMEOUT_MS
): (KafkaError | null)[] {
  const outcomes: (KafkaError | null)[] = []
  purgatory.tryCompleteElseWatch(
    new DelayedProduce(partition, requiredOffset, timeoutMs, (e) => outcomes.push(e), clock.now),
    [KEY]
  )
  return outcomes
}

const codes = (outcomes: (KafkaError | null)[]) => outcomes.map((e) => (e === null ? 'ok' : e.code))

describe('DelayedProduce', () => {
  it('completes once every ISR member has the records, not before', () =>
    withLeaderDir(async (dir) => {
      const { partition, purgatory, clock } = await setup(dir)
      await appendAsLeader(partition, 2)
      const end = await appendAsLeader(partition, 3)
      const outcomes = waitForIsr(purgatory, partition, clock, end)
      partition.updateFollowerFetchState(2, end)
      partition.updateFollowerFetchState(3, 2)
      assert.equal(partition.highWatermark, 2)
      assert.deepEqual(outcomes, [], 'the high watermark is below the produced records')
      partition.updateFollowerFetchState(3, end - 1)
      assert.deepEqual(outcomes, [])
      partition.updateFollowerFetchState(3, end)
      assert.deepEqual(codes(outcomes), ['ok'])
      assert.equal(purgatory.size, 0)
      clock.advance(TIMEOUT_MS * 2)
      assert.deepEqual(codes(outcomes), ['ok'], 'completed exactly once')
    }))

  it('completes at once when the high watermark already covers the records', () =>
    withLeaderDir(async (dir) => {
      const { partition, purgatory, clock } = await setup(dir, { isr: [1], minIsr: 1 })
      const end = await appendAsLeader(partition, 2, -1)
      const outcomes = waitForIsr(purgatory, partition, clock, end)
      assert.deepEqual(codes(outcomes), ['ok'])
      assert.equal(purgatory.size, 0)
    }))

  it('times out with REQUEST_TIMED_OUT at the produce timeout', () =>
    withLeaderDir(async (dir) => {
      const { partition, purgatory, clock } = await setup(dir)
      const end = await appendAsLeader(partition, 1)
      const outcomes = waitForIsr(purgatory, partition, clock, end, 1_500)
      partition.updateFollowerFetchState(2, end)
      clock.advance(1_499)
      assert.deepEqual(outcomes, [])
      clock.advance(1)
      assert.deepEqual(codes(outcomes), [ErrorCode.REQUEST_TIMED_OUT])
      partition.updateFollowerFetchState(3, end)
      assert.equal(partition.highWatermark, end)
      assert.deepEqual(codes(outcomes), [ErrorCode.REQUEST_TIMED_OUT], 'a late ISR does not answer twice')
    }))

  it('acks=all is refused with NOT_ENOUGH_REPLICAS, before appending, when the ISR is below min.insync.replicas', () =>
    withLeaderDir(async (dir) => {
      const { partition, log } = await setup(dir, { isr: [1], minIsr: 2 })
      await assert.rejects(
        partition.appendRecordsToLeader(await makeBatch(['x']), -1),
        (err: unknown) => err instanceof KafkaError && err.code === ErrorCode.NOT_ENOUGH_REPLICAS
      )
      assert.equal(log.logEndOffset, 0, 'nothing was appended')
      await partition.appendRecordsToLeader(await makeBatch(['x']), 1)
      assert.equal(log.logEndOffset, 1, 'acks=1 does not need min.insync.replicas')
    }))

  it('answers NOT_ENOUGH_REPLICAS_AFTER_APPEND when the ISR shrank below min.insync.replicas while waiting', () =>
    withLeaderDir(async (dir) => {
      const { partition, purgatory, clock } = await setup(dir, { minIsr: 2 })
      const end = await appendAsLeader(partition, 3, -1)
      const outcomes = waitForIsr(purgatory, partition, clock, end)
      partition.updateFollowerFetchState(2, 1)
      // Followers 2 and 3 fell out of the ISR; the leader alone now has the records.
      partition.updateRegistration(committed(partition, { isr: [1] }))
      partition.maybeIncrementHighWatermark()
      assert.equal(partition.highWatermark, end)
      assert.deepEqual(codes(outcomes), [ErrorCode.NOT_ENOUGH_REPLICAS_AFTER_APPEND])
    }))

  it('an ISR at min.insync.replicas completes normally', () =>
    withLeaderDir(async (dir) => {
      const { partition, purgatory, clock } = await setup(dir, { minIsr: 2 })
      const end = await appendAsLeader(partition, 2, -1)
      const outcomes = waitForIsr(purgatory, partition, clock, end)
      partition.updateFollowerFetchState(2, end)
      partition.updateRegistration(committed(partition, { isr: [1, 2] }))
      partition.maybeIncrementHighWatermark()
      assert.deepEqual(codes(outcomes), ['ok'])
    }))

  it('answers NOT_LEADER_OR_FOLLOWER when leadership moves while waiting', () =>
    withLeaderDir(async (dir) => {
      const { partition, purgatory, clock } = await setup(dir)
      const end = await appendAsLeader(partition, 2, -1)
      const outcomes = waitForIsr(purgatory, partition, clock, end)
      partition.updateRegistration(
        committed(partition, { leader: 2, leaderEpoch: partition.leaderEpoch + 1 })
      )
      purgatory.checkAndComplete(KEY)
      assert.deepEqual(codes(outcomes), [ErrorCode.NOT_LEADER_OR_FOLLOWER])
      clock.advance(TIMEOUT_MS)
      assert.equal(outcomes.length, 1)
    }))

  it('answers NOT_LEADER_OR_FOLLOWER when this broker leads again under a newer epoch', () =>
    withLeaderDir(async (dir) => {
      const { partition, purgatory, clock } = await setup(dir)
      const end = await appendAsLeader(partition, 2, -1)
      const outcomes = waitForIsr(purgatory, partition, clock, end)
      // The records may have been truncated by the leader in between: an old answer cannot stand.
      partition.updateRegistration(committed(partition, { leaderEpoch: partition.leaderEpoch + 2 }))
      partition.updateFollowerFetchState(2, end)
      partition.updateFollowerFetchState(3, end)
      assert.equal(partition.highWatermark, end)
      assert.deepEqual(codes(outcomes), [ErrorCode.NOT_LEADER_OR_FOLLOWER])
    }))
})
