import assert from 'node:assert/strict'
import { test } from 'node:test'
import fc from 'fast-check'
import { crc32c } from '../../../src/protocol/records/crc32c.js'

test('crc32c matches the standard check value and RFC 3720 vectors', () => {
  assert.equal(crc32c(Buffer.from('123456789')), 0xe3069283)
  assert.equal(crc32c(Buffer.alloc(32, 0x00)), 0x8a9136aa)
  assert.equal(crc32c(Buffer.alloc(32, 0xff)), 0x62a8ab43)
  const ascending = Buffer.from(Array.from({ length: 32 }, (_, i) => i))
  assert.equal(crc32c(ascending), 0x46dd794e)
  assert.equal(crc32c(Buffer.alloc(0)), 0)
})

test('crc32c is unsigned and can be continued across chunks', () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 512 }), fc.nat(), (bytes, cut) => {
      const whole = crc32c(bytes)
      assert.ok(whole >= 0 && whole <= 0xffffffff)
      const at = bytes.length === 0 ? 0 : cut % bytes.length
      assert.equal(crc32c(bytes.subarray(at), crc32c(bytes.subarray(0, at))), whole)
    })
  )
})

test('crc32c reads a view at its own offset, not the underlying buffer start', () => {
  const backing = Buffer.from('xxxx123456789yyyy')
  assert.equal(crc32c(backing.subarray(4, 13)), 0xe3069283)
})
