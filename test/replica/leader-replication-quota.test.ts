import assert from 'node:assert/strict'
import { test } from 'node:test'
import { LeaderReplicationQuota } from '../../src/replica/leader-replication-quota.js'
import type { Partition } from '../../src/replica/partition.js'
import { isThrottledReplica, ReplicationThrottle } from '../../src/replica/replication-throttle.js'

const LEADER = 1

/** The quota reads only the partition's index and ISR. */
function partitionWith(partitionIndex: number, isr: number[]): Partition {
  return { partitionIndex, topicId: 'topic-id', registration: { isr } } as unknown as Partition
}

test('throttled replicas follow Kafka’s list format: "*" or partitionId:brokerId naming this broker', () => {
  assert.ok(isThrottledReplica('*', 7, LEADER))
  assert.ok(isThrottledReplica('0:1,1:2', 0, LEADER))
  assert.ok(isThrottledReplica(' 0:2 , 3:1 ', 3, LEADER))
  assert.ok(!isThrottledReplica('0:2,1:2', 0, LEADER), 'entries naming other brokers are theirs')
  assert.ok(!isThrottledReplica('0:1', 1, LEADER))
  assert.ok(!isThrottledReplica('', 0, LEADER))
  assert.ok(!isThrottledReplica(undefined, 0, LEADER))
  assert.ok(!isThrottledReplica('garbage', 0, LEADER))
})

test('a follower outside the ISR of a throttled partition gets no records once the leader quota is used', () => {
  let now = 0
  const throttle = new ReplicationThrottle(1000, () => now)
  const quota = new LeaderReplicationQuota(LEADER, () => '0:1', throttle)
  const catchingUp = partitionWith(0, [1, 2])
  // One response takes at most one second's worth.
  assert.equal(quota.fetchLimit(catchingUp, 3, 1_048_576), 1000)
  quota.record(catchingUp, 3, 1500)
  assert.equal(quota.fetchLimit(catchingUp, 3, 1_048_576), 0)
  // In-sync followers and consumers are never throttled, and their reads take nothing from the bucket.
  assert.equal(quota.fetchLimit(catchingUp, 2, 1_048_576), 1_048_576)
  assert.equal(quota.fetchLimit(catchingUp, -1, 1_048_576), 1_048_576)
  quota.record(catchingUp, 2, 1_000_000)
  now = 501
  assert.equal(quota.fetchLimit(catchingUp, 3, 500), 500)
  assert.equal(quota.fetchLimit(catchingUp, 3, 1_048_576), 1000)
})

test('partitions the topic config does not name for this leader are not throttled', () => {
  const throttle = new ReplicationThrottle(1000, () => 0)
  const quota = new LeaderReplicationQuota(LEADER, () => '0:2,1:1', throttle)
  throttle.record(5000)
  assert.equal(quota.fetchLimit(partitionWith(0, [1]), 3, 4096), 4096)
  assert.equal(quota.fetchLimit(partitionWith(1, [1]), 3, 4096), 0)
  assert.ok(!quota.isThrottled(partitionWith(2, [1]), 3))
})

test('without leader.replication.throttled.rate nothing is throttled', () => {
  const quota = new LeaderReplicationQuota(LEADER, () => '*')
  const p = partitionWith(0, [1])
  assert.ok(!quota.isThrottled(p, 3))
  quota.record(p, 3, 10_000_000)
  assert.equal(quota.fetchLimit(p, 3, 4096), 4096)
})
