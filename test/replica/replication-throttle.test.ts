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

test('setRate changes the rate at run time; Long.MAX_VALUE never refuses', () => {
  let now = 0
  const throttle = new ReplicationThrottle(Number.MAX_SAFE_INTEGER, () => now)
  throttle.record(10 * 1024 * 1024 * 1024)
  assert.ok(throttle.hasCapacity(), 'an unthrottled bucket always has capacity')
  throttle.setRate(1000)
  assert.equal(throttle.bytesPerSecond, 1000)
  throttle.record(1500)
  assert.ok(!throttle.hasCapacity())
  assert.equal(throttle.waitMs(), 500)
  now = 501
  assert.ok(throttle.hasCapacity(), 'refilled at the new rate')
  throttle.record(2000)
  assert.ok(!throttle.hasCapacity())
  throttle.setRate(Number.MAX_SAFE_INTEGER)
  assert.ok(throttle.hasCapacity(), 'back to unthrottled at once')
})
