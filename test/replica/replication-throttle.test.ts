import assert from 'node:assert/strict'
import { test } from 'node:test'
import { isFollowerThrottled, ReplicationThrottle } from '../../src/replica/replication-throttle.js'

test('the bucket allows one second of bytes, then refills at the rate', () => {
  let now = 0
  const throttle = new ReplicationThrottle(1000, () => now)
  assert.ok(throttle.hasCapacity())
  throttle.record(1500)
  assert.ok(!throttle.hasCapacity())
  assert.equal(throttle.waitMs(), 500)
  now = 400
  assert.ok(!throttle.hasCapacity())
  now = 501
  assert.ok(throttle.hasCapacity())
  // Idle time never banks more than one second's worth.
  now = 10_000
  throttle.record(1000)
  assert.ok(!throttle.hasCapacity())
})

test('a follower throttles only a catching-up replica its topic names in follower.replication.throttled.replicas', () => {
  // Broker 4 follows partition 2, outside the ISR [1, 3].
  assert.equal(isFollowerThrottled([1, 3], 2, 4, '2:4'), true)
  assert.equal(isFollowerThrottled([1, 3], 2, 4, '0:4,2:4'), true)
  assert.equal(isFollowerThrottled([1, 3], 2, 4, '*'), true)
  assert.equal(isFollowerThrottled([1, 3], 2, 4, undefined), false, 'no config: unthrottled')
  assert.equal(isFollowerThrottled([1, 3], 2, 4, '2:3'), false, 'an entry for another broker')
  assert.equal(isFollowerThrottled([1, 3], 2, 4, '1:4'), false, 'an entry for another partition')
  assert.equal(isFollowerThrottled([1, 3, 4], 2, 4, '*'), false, 'in-sync replicas are never throttled')
})
