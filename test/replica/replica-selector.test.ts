import assert from 'node:assert/strict'
import { test } from 'node:test'
import {
  RACK_AWARE_REPLICA_SELECTOR,
  RackAwareReplicaSelector,
  replicaSelectorFor
} from '../../src/replica/replica-selector.js'

const leader = { brokerId: 1, rack: 'a', logEndOffset: 100 }
const b1 = { brokerId: 2, rack: 'b', logEndOffset: 90 }
const b2 = { brokerId: 3, rack: 'b', logEndOffset: 95 }
const c = { brokerId: 4, rack: null, logEndOffset: 100 }

test('RackAwareReplicaSelector: the leader in the client rack, else the most caught-up replica there', () => {
  const s = new RackAwareReplicaSelector()
  assert.equal(s.select('a', leader, [b1, b2, c]).brokerId, 1)
  assert.equal(s.select('b', leader, [b1, b2, c]).brokerId, 3)
  assert.equal(s.select('b', leader, [b1]).brokerId, 2)
})

test('RackAwareReplicaSelector: no rack, or no replica in it, reads from the leader', () => {
  const s = new RackAwareReplicaSelector()
  assert.equal(s.select('', leader, [b1, b2, c]).brokerId, 1)
  assert.equal(s.select('z', leader, [b1, b2, c]).brokerId, 1)
})

test('replica.selector.class: unset means no selector', () => {
  assert.equal(replicaSelectorFor(null), undefined)
  assert.ok(replicaSelectorFor(RACK_AWARE_REPLICA_SELECTOR) instanceof RackAwareReplicaSelector)
})
