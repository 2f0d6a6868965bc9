import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { API_BY_KEY } from '../../src/protocol/messages/index.js'
import { type ApiHandler, ApiRegistry } from '../../src/server/api-registry.js'

const handler = (apiKey: number, minVersion: number, maxVersion: number): ApiHandler => ({
  api: API_BY_KEY.get(apiKey)!,
  minVersion,
  maxVersion,
  handle: () => ({})
})

describe('ApiRegistry', () => {
  it('finds a handler only within its version range', () => {
    const r = new ApiRegistry([handler(3, 1, 4)])
    assert.equal(r.handlerFor(3, 0), undefined)
    assert.equal(r.handlerFor(3, 1)?.api.apiKey, 3)
    assert.equal(r.handlerFor(3, 4)?.api.apiKey, 3)
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

  it('refuses versions the generated codec cannot decode', () => {
    const fetch = API_BY_KEY.get(1)!
    assert.doesNotThrow(() => new ApiRegistry([handler(1, fetch.minVersion, fetch.maxVersion)]))
    const outside = new RegExp(`outside ${fetch.minVersion}-${fetch.maxVersion}`)
    assert.throws(() => new ApiRegistry([handler(1, 4, fetch.maxVersion + 1)]), outside)
    assert.throws(() => new ApiRegistry([handler(1, fetch.minVersion - 1, 4)]), outside)
  })
})
