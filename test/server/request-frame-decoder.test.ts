import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import fc from 'fast-check'
import { InvalidReceiveError, RequestFrameDecoder } from '../../src/server/request-frame-decoder.js'

function frame(payload: Buffer): Buffer {
  const size = Buffer.alloc(4)
  size.writeInt32BE(payload.length)
  return Buffer.concat([size, payload])
}

function drain(decoder: RequestFrameDecoder): Buffer[] {
  const out: Buffer[] = []
  for (let p = decoder.next(); p !== null; p = decoder.next()) out.push(p)
  return out
}

describe('RequestFrameDecoder', () => {
  it('reassembles frames however the stream is split', () => {
    fc.assert(
      fc.property(
        fc.array(fc.uint8Array({ maxLength: 300 }), { maxLength: 20 }),
        fc.array(fc.integer({ min: 1, max: 64 }), { minLength: 1, maxLength: 50 }),
        (payloads, cuts) => {
          const stream = Buffer.concat(payloads.map((p) => frame(Buffer.from(p))))
          const decoder = new RequestFrameDecoder(1000)
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
    const decoder = new RequestFrameDecoder(100)
    decoder.push(chunk)
    const [a, b] = drain(decoder)
    assert.equal(a?.buffer, chunk.buffer)
    assert.equal(b?.toString(), 'de')
  })

  it('rejects an oversized size prefix before the payload arrives', () => {
    const decoder = new RequestFrameDecoder(100)
    const prefix = Buffer.alloc(4)
    prefix.writeInt32BE(101)
    decoder.push(prefix)
    assert.throws(() => decoder.next(), InvalidReceiveError)
  })

  it('rejects a negative size', () => {
    const decoder = new RequestFrameDecoder(100)
    decoder.push(Buffer.from([0xff, 0xff, 0xff, 0xf0]))
    assert.throws(() => decoder.next(), /Invalid receive/)
  })

  it('accepts a frame of exactly the maximum size', () => {
    const decoder = new RequestFrameDecoder(10)
    decoder.push(frame(Buffer.alloc(10, 7)))
    assert.equal(decoder.next()?.length, 10)
  })
})
