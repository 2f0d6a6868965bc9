import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import {
  type DelayedOperation,
  DelayedOperationPurgatory
} from '../../src/replica/delayed-operation-purgatory.js'
import { ManualClock } from './replica-test-kit.js'

/** An operation that completes once a test marks it ready, recording what the purgatory did with it. */
class Op implements DelayedOperation {
  ready = false
  checks = 0
  completions: boolean[] = []
  constructor(readonly deadline: number) {}
  tryComplete(): boolean {
    this.checks++
    return this.ready
  }
  onComplete(expired: boolean): void {
    this.completions.push(expired)
  }
}

function setup(): { clock: ManualClock; purgatory: DelayedOperationPurgatory } {
  const clock = new ManualClock()
  return { clock, purgatory: new DelayedOperationPurgatory(clock.now, clock.timer) }
}

describe('DelayedOperationPurgatory', () => {
  it('completes an operation that can complete at once without watching it', () => {
    const { clock, purgatory } = setup()
    const op = new Op(clock.now() + 1_000)
    op.ready = true
    purgatory.tryCompleteElseWatch(op, ['a'])
    assert.deepEqual(op.completions, [false])
    assert.equal(purgatory.size, 0)
    assert.equal(clock.pendingTimers, 0, 'no timer for an operation that never waited')
    purgatory.checkAndComplete('a')
    assert.equal(op.checks, 1)
  })

  it('checks only the operations watching the key that changed', () => {
    const { clock, purgatory } = setup()
    const a = new Op(clock.now() + 1_000)
    const b = new Op(clock.now() + 1_000)
    purgatory.tryCompleteElseWatch(a, ['topic-0'])
    purgatory.tryCompleteElseWatch(b, ['topic-1'])
    a.ready = true
    b.ready = true
    purgatory.checkAndComplete('topic-1')
    assert.deepEqual(a.completions, [])
    assert.deepEqual(b.completions, [false])
    assert.equal(purgatory.size, 1)
    purgatory.checkAndComplete('topic-0')
    assert.deepEqual(a.completions, [false])
    assert.equal(purgatory.size, 0)
  })

  it('a wake-up that finds the operation not ready keeps it waiting', () => {
    const { clock, purgatory } = setup()
    const op = new Op(clock.now() + 1_000)
    purgatory.tryCompleteElseWatch(op, ['k'])
    purgatory.checkAndComplete('k')
    purgatory.checkAndComplete('k')
    assert.equal(op.checks, 3)
    assert.deepEqual(op.completions, [])
    op.ready = true
    purgatory.checkAndComplete('k')
    assert.deepEqual(op.completions, [false])
  })

  it('completes an operation watched under several keys exactly once, and purges it from every key', () => {
    const { clock, purgatory } = setup()
    const op = new Op(clock.now() + 1_000)
    const other = new Op(clock.now() + 1_000)
    purgatory.tryCompleteElseWatch(op, ['x-0', 'x-1', 'x-2'])
    purgatory.tryCompleteElseWatch(other, ['x-0'])
    assert.equal(purgatory.watched, 4)
    op.ready = true
    purgatory.checkAndComplete('x-1')
    assert.equal(purgatory.watched, 1, 'purged from all three keys; the other operation still watches x-0')
    assert.equal(purgatory.size, 1)
    const checks = op.checks
    purgatory.checkAndComplete('x-0')
    purgatory.checkAndComplete('x-2')
    assert.equal(op.checks, checks, 'a completed operation is no longer watched anywhere')
    clock.advance(5_000)
    purgatory.shutdown()
    assert.deepEqual(op.completions, [false], 'neither the deadline nor shutdown completes it again')
    assert.deepEqual(other.completions, [true])
    assert.equal(purgatory.size, 0)
    assert.equal(purgatory.watched, 0)
  })

  it('expires an operation at its deadline on the injected clock, not before', () => {
    const { clock, purgatory } = setup()
    const op = new Op(clock.now() + 500)
    purgatory.tryCompleteElseWatch(op, ['k'])
    clock.advance(499)
    assert.deepEqual(op.completions, [])
    assert.equal(purgatory.size, 1)
    clock.advance(1)
    assert.deepEqual(op.completions, [true])
    assert.equal(purgatory.size, 0)
    assert.equal(purgatory.watched, 0)
    op.ready = true
    purgatory.checkAndComplete('k')
    assert.deepEqual(op.completions, [true], 'an expired operation is purged from its keys')
  })

  it('one timer serves every deadline: an earlier operation re-arms it, later ones expire in turn', () => {
    const { clock, purgatory } = setup()
    const late = new Op(clock.now() + 300)
    const early = new Op(clock.now() + 100)
    const middle = new Op(clock.now() + 200)
    purgatory.tryCompleteElseWatch(late, ['k'])
    purgatory.tryCompleteElseWatch(early, ['k'])
    purgatory.tryCompleteElseWatch(middle, ['k'])
    assert.equal(clock.pendingTimers, 1)
    clock.advance(100)
    assert.deepEqual([early.completions, middle.completions, late.completions], [[true], [], []])
    clock.advance(100)
    assert.deepEqual([middle.completions, late.completions], [[true], []])
    clock.advance(99)
    assert.deepEqual(late.completions, [])
    clock.advance(1)
    assert.deepEqual(late.completions, [true])
    assert.equal(clock.pendingTimers, 0)
  })

  it('an operation completed before its deadline does not expire later', () => {
    const { clock, purgatory } = setup()
    const done = new Op(clock.now() + 100)
    const waiting = new Op(clock.now() + 200)
    purgatory.tryCompleteElseWatch(done, ['a'])
    purgatory.tryCompleteElseWatch(waiting, ['b'])
    done.ready = true
    purgatory.checkAndComplete('a')
    clock.advance(1_000)
    assert.deepEqual(done.completions, [false])
    assert.deepEqual(waiting.completions, [true])
  })

  it('shutdown completes everything still waiting as expired', () => {
    const { clock, purgatory } = setup()
    const ops = [new Op(clock.now() + 100), new Op(clock.now() + 200)]
    for (const op of ops) purgatory.tryCompleteElseWatch(op, ['k'])
    purgatory.shutdown()
    assert.deepEqual(
      ops.map((o) => o.completions),
      [[true], [true]]
    )
    assert.equal(purgatory.size, 0)
    assert.equal(clock.pendingTimers, 0, 'its timer is cleared')
  })
})
