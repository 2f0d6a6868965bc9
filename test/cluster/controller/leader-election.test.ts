import assert from 'node:assert/strict'
import { test } from 'node:test'
import { electLeader, NO_LEADER } from '../../../src/cluster/controller/leader-election.js'

const live =
  (...ids: number[]) =>
  (id: number): boolean =>
    ids.includes(id)

test('a current leader that is in the ISR and acceptable stays', () => {
  const r = electLeader(
    { replicas: [1, 2, 3], isr: [1, 2, 3], leader: 2 },
    { isAcceptableLeader: live(1, 2, 3) }
  )
  assert.deepEqual(r, { leader: 2, isr: [1, 2, 3], unclean: false })
})

test('preferred election moves leadership to the first replica when it is eligible', () => {
  const opts = { isAcceptableLeader: live(1, 2, 3), preferred: true }
  assert.equal(electLeader({ replicas: [1, 2, 3], isr: [1, 2, 3], leader: 2 }, opts).leader, 1)
  // The preferred replica out of the ISR: the current leader stays.
  assert.equal(electLeader({ replicas: [1, 2, 3], isr: [2, 3], leader: 2 }, opts).leader, 2)
})

test('a lost leader is replaced by the first acceptable ISR member in replica order', () => {
  const r = electLeader({ replicas: [3, 1, 2], isr: [1, 2], leader: 3 }, { isAcceptableLeader: live(1, 2) })
  assert.deepEqual(r, { leader: 1, isr: [1, 2], unclean: false })
})

test('without an acceptable ISR member the partition goes offline unless unclean election is on', () => {
  const state = { replicas: [1, 2, 3], isr: [1], leader: 1 }
  const clean = electLeader(state, { isAcceptableLeader: live(2, 3) })
  assert.deepEqual(clean, { leader: NO_LEADER, isr: [1], unclean: false })
  const unclean = electLeader(state, { isAcceptableLeader: live(2, 3), unclean: true })
  assert.deepEqual(unclean, { leader: 2, isr: [2], unclean: true })
  const nobody = electLeader(state, { isAcceptableLeader: live(), unclean: true })
  assert.equal(nobody.leader, NO_LEADER)
})
