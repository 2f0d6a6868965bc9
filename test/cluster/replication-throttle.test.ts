import assert from 'node:assert/strict'
import { test } from 'node:test'
import { ReplicationThrottle } from '../../src/cluster/replication-throttle.js'

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
