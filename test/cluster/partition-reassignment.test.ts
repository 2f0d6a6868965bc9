import assert from 'node:assert/strict'
import { test } from 'node:test'
import type { PartitionRegistration } from '../../src/cluster/metadata-store.js'
import {
  addingReplicas,
  mergedReplicas,
  ongoingReassignment,
  reassignmentFieldsAfter,
  removingReplicas
} from '../../src/cluster/partition-reassignment.js'

const base: PartitionRegistration = {
  partitionIndex: 0,
  replicas: [1, 2],
  isr: [1, 2],
  leader: 1,
  leaderEpoch: 0,
  partitionEpoch: 0
}

test('the reassignment is read back from the registration: original and target replicas', () => {
  assert.equal(ongoingReassignment(base), undefined)
  const r = { original: [1, 2], target: [4, 2] }
  const running: PartitionRegistration = {
    ...base,
    replicas: mergedReplicas(r),
    addingReplicas: addingReplicas(r),
    removingReplicas: removingReplicas(r)
  }
  assert.deepEqual(running.replicas, [4, 2, 1])
  const read = ongoingReassignment(running)
  assert.deepEqual(read?.target, [4, 2])
  assert.deepEqual([...(read?.original ?? [])].sort(), [1, 2])
  // A reassignment that only removes replicas is ongoing too.
  assert.deepEqual(ongoingReassignment({ ...base, replicas: [1, 2], removingReplicas: [2] }), {
    original: [1, 2],
    target: [1]
  })
})

test('a change keeps the reassignment sets it does not give, and [] clears them', () => {
  const running = { addingReplicas: [4], removingReplicas: [1] }
  assert.deepEqual(reassignmentFieldsAfter(running, { isr: [1, 2, 4] }), running)
  assert.deepEqual(reassignmentFieldsAfter(running, { addingReplicas: [], removingReplicas: [] }), {})
  assert.deepEqual(reassignmentFieldsAfter({}, { addingReplicas: [5] }), { addingReplicas: [5] })
})
