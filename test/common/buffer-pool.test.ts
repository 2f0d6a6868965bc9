import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { BufferPool, MIN_POOLED_BYTES } from '../../src/common/buffer-pool.js'

describe('BufferPool', () => {
  it('hands a released buffer out again for a request of the same size class', () => {
    const pool = new BufferPool()
    const a = pool.acquire(1_000_000)
    assert.equal(a.length, 1_000_000)
    assert.ok(pool.isLeased(a))
    const memory = a.buffer
    pool.release(a.subarray(10, 20))
    assert.equal(pool.isLeased(a), false)
    assert.equal(pool.retainedBytes, 1 << 20)
    const b = pool.acquire(600_000)
    assert.equal(b.buffer, memory, 'same memory, no fresh allocation')
    assert.equal(b.length, 600_000)
    assert.equal(pool.retainedBytes, 0)
    const c = pool.acquire(600_000)
    assert.notEqual(c.buffer, memory, 'a leased buffer is never handed out twice')
  })

  it('ignores buffers it did not lease and second releases', () => {
    const pool = new BufferPool()
    pool.release(Buffer.alloc(MIN_POOLED_BYTES))
    assert.equal(pool.retainedBytes, 0)
    const a = pool.acquire(MIN_POOLED_BYTES)
    pool.release(a)
    pool.release(a)
    assert.equal(pool.retainedBytes, MIN_POOLED_BYTES)
    const b = pool.acquire(MIN_POOLED_BYTES)
    const c = pool.acquire(MIN_POOLED_BYTES)
    assert.notEqual(b.buffer, c.buffer)
  })

  it('does not track small buffers', () => {
    const pool = new BufferPool()
    const small = pool.acquire(MIN_POOLED_BYTES - 1)
    assert.equal(small.length, MIN_POOLED_BYTES - 1)
    assert.equal(pool.isLeased(small), false)
  })

  it('keeps at most maxRetainedBytes idle', () => {
    const pool = new BufferPool(3 * MIN_POOLED_BYTES)
    const leased = Array.from({ length: 5 }, () => pool.acquire(MIN_POOLED_BYTES))
    pool.releaseAll(leased)
    assert.equal(pool.retainedBytes, 3 * MIN_POOLED_BYTES)
  })
})
