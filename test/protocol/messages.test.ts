import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import fc from 'fast-check'
import { buildMessageModel } from '../../scripts/codegen/model.js'
import { inRange, loadSchemas, type MessageSpec } from '../../scripts/codegen/schema.js'
import * as messages from '../../src/protocol/messages/index.js'
import { API_BY_KEY } from '../../src/protocol/messages/index.js'
import { Reader } from '../../src/protocol/reader.js'
import { Writer } from '../../src/protocol/writer.js'
import { structArbitrary } from './message-arbitraries.js'

type Codec = Record<string, (...args: unknown[]) => unknown>
const codec = messages as unknown as Codec
const specs = loadSchemas()
const RUNS = 20

function roundTrip(spec: MessageSpec, version: number): void {
  const model = buildMessageModel(spec)
  const flexible = inRange(model.flexibleVersions, version)
  const encode = codec[`encode${spec.name}`]!
  const decode = codec[`decode${spec.name}`]!
  fc.assert(
    fc.property(structArbitrary(model.root, version, flexible), (value) => {
      const w = new Writer()
      encode(w, value, version)
      const bytes = w.toBuffer()
      const r = new Reader(bytes)
      const decoded = decode(r, version)
      assert.equal(r.remaining, 0, 'decoding consumes exactly the encoded bytes')
      assert.deepStrictEqual(decoded, value)
      const again = new Writer()
      encode(again, decoded, version)
      assert.deepStrictEqual(again.toBuffer(), bytes, 're-encoding is byte-identical')
    }),
    { numRuns: RUNS }
  )
}

test('the registry has every API key from 0 to 87', () => {
  assert.deepStrictEqual(
    [...API_BY_KEY.keys()].sort((a, b) => a - b),
    Array.from({ length: 88 }, (_, i) => i)
  )
})

for (const spec of specs.filter((s) => s.type === 'request' || s.type === 'response')) {
  const model = buildMessageModel(spec)
  describe(`${spec.name} (api ${spec.apiKey})`, () => {
    for (let v = model.validVersions.lo; v <= model.validVersions.hi; v++) {
      test(`round-trips at v${v}`, () => roundTrip(spec, v))
    }
  })
}

for (const spec of specs.filter((s) => s.type === 'header' || s.type === 'data')) {
  const model = buildMessageModel(spec)
  test(`${spec.name} round-trips at every version`, () => {
    for (let v = model.validVersions.lo; v <= model.validVersions.hi; v++) roundTrip(spec, v)
  })
}
