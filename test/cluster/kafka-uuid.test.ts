import assert from 'node:assert/strict'
import { test } from 'node:test'
import {
  isReservedUuid,
  isValidUuid,
  ONE_UUID,
  randomUuid,
  uuidFromString,
  uuidToString,
  ZERO_UUID
} from '../../src/cluster/kafka-uuid.js'

test('reserved uuids are the zero and one uuids in base64url', () => {
  assert.deepEqual(uuidFromString(ZERO_UUID), Buffer.alloc(16))
  const one = Buffer.alloc(16)
  one[15] = 1
  assert.equal(uuidToString(one), ONE_UUID)
  assert.ok(isReservedUuid(ZERO_UUID) && isReservedUuid(ONE_UUID))
})

test('random uuids are version 4, valid, never reserved and never start with a dash', () => {
  const seen = new Set<string>()
  for (let i = 0; i < 5000; i++) {
    const id = randomUuid()
    assert.equal(id.length, 22)
    assert.ok(isValidUuid(id))
    assert.ok(!isReservedUuid(id))
    assert.ok(!id.startsWith('-'))
    const bytes = uuidFromString(id)
    assert.equal(bytes[6]! >> 4, 4)
    assert.equal(bytes[8]! >> 6, 2)
    seen.add(id)
  }
  assert.equal(seen.size, 5000)
})

test('parsing rejects text that is not exactly 16 bytes of base64url', () => {
  for (const bad of ['', 'AAAA', `${ZERO_UUID}A`, 'AAAAAAAAAAAAAAAAAAAAA+', 'AAAAAAAAAAAAAAAAAAAAAA==']) {
    assert.equal(isValidUuid(bad), false, bad)
  }
})
