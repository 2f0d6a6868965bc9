import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import fc from 'fast-check'
import { BufferPool } from '../../src/common/buffer-pool.js'
import { FrameDecoder, InvalidReceiveError } from '../../src/protocol/frame-decoder.js'

function frame(payload: Buffer): Buffer {
  const size = Buffer.alloc(4)
  size.writeInt32BE(payload.length)
  return Buffer.concat([size, payload])
}

function drain(decoder: FrameDecoder): Buffer[] {
  const out: Buffer[] = []
  for (let p = decoder.next(); p !== null; p = decoder.next()) out.push(p)
  return out
}

describe('FrameDecoder', () => {
  it('reassembles frames however the stream is split', () => {
    fc.assert(
      fc.property(
        fc.array(fc.uint8Array({ maxLength: 300 }), { maxLength: 20 }),
        fc.array(fc.integer({ min: 1, max: 64 }), { minLength: 1, maxLength: 50 }),
        (payloads, cuts) => {
          const stream = Buffer.concat(payloads.map((p) => frame(Buffer.from(p))))
          const decoder = new FrameDecoder(1000)
          const got: Buffer[] = []
          let pos = 0
          let i = 0
          while (pos < stream.length) {
            const n = cuts[i++ % cuts.length]!
            decoder.push(stream.subarray(pos, pos + n))
            pos += n
            got.push(...drain(decoder))
          }
          assert.deepEqual(
            got.map((b) => [...b]),
            payloads.map((p) => [...p])
          )
          assert.equal(decoder.bufferedBytes, 0)
        }
      )
    )
  })

  it('returns zero-copy views when a frame lies within one chunk', () => {
    const chunk = Buffer.concat([frame(Buffer.from('abc')), frame(Buffer.from('de'))])
    const decoder = new FrameDecoder(100)
    decoder.push(chunk)
    const [a, b] = drain(decoder)
    assert.equal(a?.buffer, chunk.buffer)
    assert.equal(b?.toString(), 'de')
  })

  it('rejects an oversized size prefix before the payload arrives', () => {
    const decoder = new FrameDecoder(100)
    const prefix = Buffer.alloc(4)
    prefix.writeInt32BE(101)
    decoder.push(prefix)
    assert.throws(() => decoder.next(), InvalidReceiveError)
  })

  it('rejects a negative size', () => {
    const decoder = new FrameDecoder(100)
    decoder.push(Buffer.from([0xff, 0xff, 0xff, 0xf0]))
    assert.throws(() => decoder.next(), /Invalid receive/)
  })

  it('accepts a frame of exactly the maximum size', () => {
    const decoder = new FrameDecoder(10)
    decoder.push(frame(Buffer.alloc(10, 7)))
    assert.equal(decoder.next()?.length, 10)
  })

  it('assembles large frames in pooled buffers, reused once released', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 60_000, max: 300_000 }), { minLength: 1, maxLength: 4 }),
        fc.array(fc.integer({ min: 1, max: 70_000 }), { minLength: 1, maxLength: 10 }),
        fc.integer({ min: 0, max: 255 }),
        (sizes, cuts, seed) => {
          const payloads = sizes.map((n, k) => Buffer.alloc(n, (seed + k) % 256).fill(k, 0, 7))
          const stream = Buffer.concat(payloads.map(frame))
          const pool = new BufferPool()
          const decoder = new FrameDecoder(1_000_000, pool)
          const got: Buffer[] = []
          let pos = 0
          let i = 0
          while (pos < stream.length) {
            const n = cuts[i++ % cuts.length]!
            // Copies, as a socket hands out fresh chunks that the decoder must not keep.
            decoder.push(Buffer.from(stream.subarray(pos, pos + n)))
            pos += n
            for (let p = decoder.next(); p !== null; p = decoder.next()) {
              got.push(Buffer.from(p))
              if (pool.isLeased(p)) pool.release(p)
            }
          }
          assert.equal(got.length, payloads.length)
          for (const [k, g] of got.entries()) assert.ok(g.equals(payloads[k]!), `frame ${k}`)
          assert.equal(decoder.bufferedBytes, 0)
        }
      ),
      { numRuns: 30 }
    )
  })

  it('pushTransient keeps nothing of the chunk it is given (a reused socket read buffer)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 0, max: 200_000 }), { minLength: 1, maxLength: 6 }),
        fc.array(fc.integer({ min: 1, max: 70_000 }), { minLength: 1, maxLength: 10 }),
        (sizes, cuts) => {
          const payloads = sizes.map((n, k) => Buffer.alloc(n, k + 1))
          const stream = Buffer.concat(payloads.map(frame))
          const pool = new BufferPool()
          const decoder = new FrameDecoder(1_000_000, pool)
          const shared = Buffer.alloc(70_000)
          const got: Buffer[] = []
          let pos = 0
          let i = 0
          while (pos < stream.length) {
            const n = Math.min(cuts[i++ % cuts.length]!, stream.length - pos)
            stream.copy(shared, 0, pos, pos + n)
            decoder.pushTransient(shared.subarray(0, n))
            // The next read overwrites the shared buffer.
            shared.fill(0xee)
            pos += n
            got.push(...drain(decoder))
          }
          assert.equal(got.length, payloads.length)
          for (const [k, g] of got.entries()) assert.ok(g.equals(payloads[k]!), `frame ${k}`)
          assert.equal(decoder.bufferedBytes, 0)
        }
      ),
      { numRuns: 40 }
    )
  })

  it('pushTransient returns the frames before an oversized size prefix, then rejects it', () => {
    const decoder = new FrameDecoder(100)
    const bad = Buffer.alloc(4)
    bad.writeInt32BE(1 << 30)
    decoder.pushTransient(Buffer.concat([frame(Buffer.from('ok')), bad, Buffer.alloc(50)]))
    assert.equal(decoder.next()?.toString(), 'ok')
    assert.throws(() => decoder.next(), InvalidReceiveError)
  })

  it('gives a spread-out large frame a leased buffer and the next one the same memory', () => {
    const pool = new BufferPool()
    const decoder = new FrameDecoder(1 << 20, pool)
    const stream = Buffer.concat([frame(Buffer.alloc(200_000, 1)), frame(Buffer.alloc(150_000, 2))])
    const half = 100_000
    decoder.push(stream.subarray(0, half))
    assert.equal(decoder.next(), null)
    decoder.push(stream.subarray(half, 204_000))
    const first = decoder.next()
    assert.ok(first && pool.isLeased(first))
    assert.ok(first.every((b) => b === 1))
    const memory = first.buffer
    pool.release(first)
    decoder.push(stream.subarray(204_000))
    const second = decoder.next()
    assert.ok(second)
    assert.ok(second.every((b) => b === 2) && second.length === 150_000)
    assert.equal(second.buffer, memory)
  })
})
