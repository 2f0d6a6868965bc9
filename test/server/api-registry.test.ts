import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { type ApiHandler, ApiRegistry } from '../../src/server/api-registry.js'

const handler = (apiKey: number, minVersion: number, maxVersion: number): ApiHandler => ({
  apiKey,
  minVersion,
  maxVersion,
  handle: () => ({})
})

describe('ApiRegistry', () => {
  it('finds a handler only within its version range', () => {
    const r = new ApiRegistry([handler(3, 1, 4)])
    assert.equal(r.handlerFor(3, 0), undefined)
    assert.equal(r.handlerFor(3, 1)?.apiKey, 3)
    assert.equal(r.handlerFor(3, 4)?.apiKey, 3)
    assert.equal(r.handlerFor(3, 5), undefined)
    assert.equal(r.handlerFor(4, 1), undefined)
  })

  it('reports version ranges ordered by api key', () => {
    const r = new ApiRegistry([handler(18, 0, 4), handler(0, 3, 9), handler(3, 0, 12)])
    assert.deepEqual(r.versionRanges(), [
      { apiKey: 0, minVersion: 3, maxVersion: 9 },
      { apiKey: 3, minVersion: 0, maxVersion: 12 },
      { apiKey: 18, minVersion: 0, maxVersion: 4 }
    ])
  })

  it('refuses duplicate keys and empty ranges', () => {
    assert.throws(() => new ApiRegistry([handler(1, 0, 1), handler(1, 2, 3)]), /already registered/)
    assert.throws(() => new ApiRegistry([handler(1, 2, 1)]), /empty version range/)
  })
})
