import assert from 'node:assert/strict'
import { test } from 'node:test'
import fc from 'fast-check'
import {
  decrementSequence,
  incrementSequence,
  inSequence,
  MAX_SEQUENCE
} from '../../src/storage/producer-sequence.js'

const seqArb = fc.oneof(
  fc.integer({ min: 0, max: MAX_SEQUENCE }),
  fc.integer({ min: MAX_SEQUENCE - 20, max: MAX_SEQUENCE })
)
const deltaArb = fc.integer({ min: 0, max: 1000 })

test('sequences wrap from 2^31-1 to 0, and decrement undoes increment', () => {
  assert.equal(incrementSequence(MAX_SEQUENCE, 1), 0)
  assert.equal(incrementSequence(MAX_SEQUENCE - 1, 3), 1)
  assert.equal(decrementSequence(1, 3), MAX_SEQUENCE - 1)
  fc.assert(
    fc.property(seqArb, deltaArb, (seq, delta) => {
      const up = incrementSequence(seq, delta)
      assert.ok(up >= 0 && up <= MAX_SEQUENCE)
      assert.equal(up, (seq + delta) % (MAX_SEQUENCE + 1))
      assert.equal(decrementSequence(up, delta), seq)
    })
  )
})

test('inSequence accepts exactly the next sequence, with wrap-around and -1 before 0', () => {
  assert.ok(inSequence(-1, 0))
  assert.ok(inSequence(MAX_SEQUENCE, 0))
  fc.assert(
    fc.property(seqArb, seqArb, (last, next) => {
      assert.equal(inSequence(last, next), next === incrementSequence(last, 1))
    })
  )
})
