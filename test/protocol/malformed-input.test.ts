import assert from 'node:assert/strict'
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { test } from 'node:test'
import fc from 'fast-check'
import {
  type AnyApi,
  API_BY_KEY,
  decodeRequestFrame,
  encodeRequestFrame,
  ProtocolDecodeError,
  UnsupportedApiVersionError
} from '../../src/protocol/index.js'
import { requirePeer } from '../helpers/test-peers.js'

// Whatever bytes arrive, request decoding must end in a decoded request or in one of the codec's two
// errors: a TypeError or RangeError would escape the connection's error handling, and a length
// trusted before it is checked would let a 100-byte frame allocate gigabytes.

const SCHEMA_DIR = new URL('../../../../shared/kafka-protocol/message/', import.meta.url)
const FIXTURE_DIR = new URL('../../../test/fixtures/frames/', import.meta.url)

interface SchemaField {
  name: string
  type: string
  versions?: string
  taggedVersions?: string
  fields?: SchemaField[]
}

interface RequestSchema {
  apiKey: number
  type: string
  fields: SchemaField[]
  commonStructs?: { name: string; fields: SchemaField[] }[]
}

function inVersions(spec: string | undefined, version: number): boolean {
  if (spec === undefined || spec === 'none') return false
  if (spec.endsWith('+')) return version >= Number(spec.slice(0, -1))
  const [lo, hi] = spec.split('-')
  return version >= Number(lo) && version <= Number(hi ?? lo)
}

function loadRequestSchemas(): Map<number, RequestSchema> {
  const out = new Map<number, RequestSchema>()
  for (const file of readdirSync(SCHEMA_DIR)) {
    if (!file.endsWith('Request.json')) continue
    const text = readFileSync(new URL(file, SCHEMA_DIR), 'utf8')
      .split('\n')
      .filter((line) => !line.trim().startsWith('//'))
      .join('\n')
    const schema = JSON.parse(text) as RequestSchema
    if (schema.type === 'request') out.set(schema.apiKey, schema)
  }
  return out
}

// Non-default values, so that tagged fields are written and nothing is skipped as "equal to default".
const PRIMITIVE_SAMPLES: Record<string, () => unknown> = {
  bool: () => true,
  int8: () => 1,
  int16: () => 2,
  uint16: () => 3,
  int32: () => 4,
  uint32: () => 5,
  int64: () => 6n,
  float64: () => 0.5,
  string: () => 'ab',
  uuid: () => Buffer.from('0123456789abcdef').toString('base64url'),
  bytes: () => Buffer.from([1, 2, 3]),
  records: () => Buffer.from([4, 5, 6])
}

/**
 * A request object with every field of this version set, each array holding one element: built from
 * the schema rather than the codec's own defaults, so encoding it exercises every field's decoder.
 */
function sampleRequest(schema: RequestSchema, version: number): Record<string, unknown> {
  const common = new Map((schema.commonStructs ?? []).map((s) => [s.name, s.fields]))
  const sampleStruct = (fields: SchemaField[]): Record<string, unknown> => {
    const out: Record<string, unknown> = {}
    for (const f of fields) {
      if (!inVersions(f.versions, version)) continue
      out[f.name.charAt(0).toLowerCase() + f.name.slice(1)] = sampleType(f.type, f.fields)
    }
    return out
  }
  const sampleType = (type: string, fields: SchemaField[] | undefined): unknown => {
    if (type.startsWith('[]')) return [sampleType(type.slice(2), fields)]
    const primitive = PRIMITIVE_SAMPLES[type]
    if (primitive) return primitive()
    const structFields = fields ?? common.get(type)
    assert.ok(structFields, `schema ${schema.apiKey}: no fields for struct type ${type}`)
    return sampleStruct(structFields)
  }
  return sampleStruct(schema.fields)
}

function isCodecError(e: unknown): boolean {
  return e instanceof ProtocolDecodeError || e instanceof UnsupportedApiVersionError
}

/** Decodes; returns normally on success or a codec error, fails the test on anything else. */
function decodeOrCodecError(payload: Buffer, what: string): 'ok' | 'error' {
  try {
    decodeRequestFrame(payload)
    return 'ok'
  } catch (e) {
    if (isCodecError(e)) return 'error'
    assert.fail(`${what}: expected a codec error, got ${e instanceof Error ? e.stack : String(e)}`)
  }
}

interface ValidFrame {
  label: string
  api: AnyApi
  version: number
  /** The frame payload, after the 4-byte size. */
  payload: Buffer
}

function headerFor(apiKey: number, version: number) {
  return { requestApiKey: apiKey, requestApiVersion: version, correlationId: 7, clientId: 'c' }
}

const schemas = existsSync(SCHEMA_DIR) ? loadRequestSchemas() : undefined
// CI lays ../shared beside the checkout, so there the schemas missing is a broken setup, not a reason to skip.
const SKIP_NO_SCHEMAS = requirePeer(
  "Kafka's protocol schemas",
  schemas !== undefined,
  'check out the steering repo so that ../shared/kafka-protocol/message sits beside this one',
  `nothing at ${SCHEMA_DIR.pathname}`
)

/** One valid frame per API key and version, from schema-built samples. */
function sampleFrames(): ValidFrame[] {
  const out: ValidFrame[] = []
  if (schemas === undefined) return out
  for (const api of API_BY_KEY.values()) {
    const schema = schemas.get(api.apiKey)
    assert.ok(schema, `no schema for api key ${api.apiKey}`)
    for (let version = api.minVersion; version <= api.maxVersion; version++) {
      const frame = encodeRequestFrame(headerFor(api.apiKey, version), sampleRequest(schema, version))
      out.push({ label: `${api.name} v${version}`, api, version, payload: frame.subarray(4) })
    }
  }
  return out
}

function fixtureFrames(): ValidFrame[] {
  const out: ValidFrame[] = []
  for (const client of readdirSync(FIXTURE_DIR)) {
    for (const file of readdirSync(new URL(`${client}/`, FIXTURE_DIR))) {
      const f = JSON.parse(readFileSync(new URL(`${client}/${file}`, FIXTURE_DIR), 'utf8')) as {
        apiKey: number
        apiVersion: number
        frameHex: string
      }
      const api = API_BY_KEY.get(f.apiKey)
      assert.ok(api)
      out.push({
        label: `${client}/${file}`,
        api,
        version: f.apiVersion,
        payload: Buffer.from(f.frameHex, 'hex').subarray(4)
      })
    }
  }
  return out
}

const samples = sampleFrames()
const validFrames = [...samples, ...fixtureFrames()]

test('every API key and request version has a sample frame that decodes and re-encodes', {
  skip: SKIP_NO_SCHEMAS
}, () => {
  const versions = [...API_BY_KEY.values()].reduce((n, api) => n + api.maxVersion - api.minVersion + 1, 0)
  assert.equal(samples.length, versions)
  for (const { label, payload } of samples) {
    const { header, body } = decodeRequestFrame(payload)
    assert.ok(encodeRequestFrame(header, body).subarray(4).equals(payload), `${label} does not round-trip`)
  }
})

test('every proper prefix of a valid frame throws ProtocolDecodeError', () => {
  for (const { label, payload } of validFrames) {
    for (let n = 0; n < payload.length; n++) {
      // A copy of exactly n bytes, so that nothing past the end is readable.
      const prefix = Buffer.from(payload.subarray(0, n))
      assert.throws(
        () => decodeRequestFrame(prefix),
        ProtocolDecodeError,
        `${label} truncated to ${n} of ${payload.length} bytes`
      )
    }
  }
})

// Lengths a hostile or broken client might send in place of any length prefix: absurdly large,
// negative, and -1 ("null") where null may not be allowed.
const LENGTH_PATCHES: readonly (readonly number[])[] = [
  [0x7f, 0xff, 0xff, 0xff], // int32 2^31-1: array / bytes length
  [0x80, 0x00, 0x00, 0x00], // int32 -2^31
  [0xff, 0xff, 0xff, 0xfe], // int32 -2
  [0xff, 0xff, 0xff, 0xff], // int32 -1
  [0x7f, 0xff], // int16 32767: string length
  [0xff, 0xfe], // int16 -2
  [0xff, 0xff], // int16 -1
  [0xff, 0xff, 0xff, 0xff, 0x0f], // unsigned varint 2^32-1: compact length
  [0x80, 0x80, 0x80, 0x80, 0x08], // unsigned varint 2^31
  [0xff, 0xff, 0xff, 0xff, 0xff, 0x01], // a six-byte varint
  [0x00] // compact null where a non-null value is required
]

test('absurd, negative and null lengths at every offset never escape as other errors', () => {
  let rejected = 0
  for (const { label, payload } of validFrames) {
    for (let at = 0; at < payload.length; at++) {
      for (const patch of LENGTH_PATCHES) {
        const bad = Buffer.from(payload)
        bad.set(patch.slice(0, bad.length - at), at)
        if (
          decodeOrCodecError(bad, `${label} with ${Buffer.from(patch).toString('hex')} at ${at}`) === 'error'
        ) {
          rejected++
        }
      }
    }
  }
  // Most of these patches land on a length or cut the frame short; if few were rejected the sweep
  // would be decoding something other than what it means to.
  assert.ok(rejected > validFrames.length * 10, `only ${rejected} patched frames were rejected`)
})

/** Byte offsets of the request header's end, where the body starts. */
function bodyStart(payload: Buffer, flexibleHeader: boolean): number {
  const clientIdLength = payload.readInt16BE(8)
  return 10 + Math.max(clientIdLength, 0) + (flexibleHeader ? 1 : 0)
}

test('a 100-byte frame claiming 2 GB arrays, strings or bytes allocates nothing of that size', () => {
  const produce = API_BY_KEY.get(0)!
  const cases: { label: string; payload: Buffer }[] = []
  for (const version of [3, 8, 9, produce.maxVersion]) {
    const flexible = version >= produce.flexibleMinVersion && produce.flexibleMinVersion >= 0
    const huge = flexible ? [0xff, 0xff, 0xff, 0xff, 0x07] : [0x7f, 0xff, 0xff, 0xff]
    // transactionalId (null), acks, timeoutMs, then the topic array count.
    const body = [...(flexible ? [0x00] : [0xff, 0xff]), 0xff, 0xff, 0, 0, 0x75, 0x30, ...huge]
    const header = encodeRequestFrame(headerFor(0, version), {
      transactionalId: null,
      acks: -1,
      timeoutMs: 30000,
      topicData: []
    }).subarray(4)
    const start = bodyStart(header, flexible)
    const payload = Buffer.concat([
      header.subarray(0, start),
      Buffer.from(body),
      Buffer.alloc(100 - start - body.length, 1)
    ])
    cases.push({ label: `Produce v${version} topic count`, payload })
  }
  // Every sample frame with a 2^31-1 / 2^32-1 length written at every offset covers strings and bytes.
  for (const { label, payload } of samples.slice(0, 400)) {
    for (let at = 10; at + 5 <= payload.length; at++) {
      const a = Buffer.from(payload)
      a.set([0x7f, 0xff, 0xff, 0xff], at)
      const b = Buffer.from(payload)
      b.set([0xff, 0xff, 0xff, 0xff, 0x0f], at)
      cases.push({ label: `${label} @${at}`, payload: a }, { label: `${label} @${at}v`, payload: b })
    }
  }
  const before = process.memoryUsage()
  let peakArrayBuffers = 0
  let peakHeap = 0
  for (const { label, payload } of cases) {
    decodeOrCodecError(payload, label)
    const now = process.memoryUsage()
    peakArrayBuffers = Math.max(peakArrayBuffers, now.arrayBuffers - before.arrayBuffers)
    peakHeap = Math.max(peakHeap, now.heapUsed - before.heapUsed)
  }
  for (const { label, payload } of cases.slice(0, 4)) {
    assert.throws(() => decodeRequestFrame(payload), ProtocolDecodeError, label)
  }
  const MB = 1024 * 1024
  assert.ok(peakArrayBuffers < 8 * MB, `array buffers grew by ${(peakArrayBuffers / MB).toFixed(1)} MB`)
  // Generous: garbage from decoded samples accumulates between collections, a 2^31 array would not fit.
  assert.ok(peakHeap < 256 * MB, `heap grew by ${(peakHeap / MB).toFixed(1)} MB`)
})

test('unknown API keys and versions throw UnsupportedApiVersionError', () => {
  for (const api of API_BY_KEY.values()) {
    const valid = validFrames.find((f) => f.api === api && f.version === api.maxVersion)
    if (valid === undefined) continue
    for (const version of [api.maxVersion + 1, 0x7fff, api.minVersion - 1, -1]) {
      if (version >= api.minVersion && version <= api.maxVersion) continue
      const bad = Buffer.from(valid.payload)
      bad.writeInt16BE(version, 2)
      assert.throws(() => decodeRequestFrame(bad), UnsupportedApiVersionError, `${api.name} v${version}`)
    }
  }
  for (const apiKey of [-1, 1000, 0x7fff]) {
    assert.ok(!API_BY_KEY.has(apiKey))
    const payload = Buffer.from([apiKey >> 8, apiKey & 0xff, 0, 0, 0, 0, 0, 7, 0, 1, 0x63])
    assert.throws(() => decodeRequestFrame(payload), UnsupportedApiVersionError, `api key ${apiKey}`)
  }
})

const RUNS = 4000

test('random bytes never escape as other errors', () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 200 }), (bytes) => {
      decodeOrCodecError(Buffer.from(bytes), 'random payload')
    }),
    { numRuns: RUNS }
  )
})

test('random bodies behind a valid header of every API and version never escape as other errors', () => {
  const targets = [...API_BY_KEY.values()].flatMap((api) =>
    Array.from({ length: api.maxVersion - api.minVersion + 1 }, (_, i) => ({
      api,
      version: api.minVersion + i
    }))
  )
  fc.assert(
    fc.property(fc.constantFrom(...targets), fc.uint8Array({ maxLength: 300 }), ({ api, version }, bytes) => {
      const flexible = api.flexibleMinVersion >= 0 && version >= api.flexibleMinVersion
      const head = Buffer.from([
        api.apiKey >> 8,
        api.apiKey & 0xff,
        version >> 8,
        version & 0xff,
        0,
        0,
        0,
        7,
        0,
        1,
        0x63
      ])
      const payload = Buffer.concat([head, flexible ? Buffer.from([0]) : Buffer.alloc(0), Buffer.from(bytes)])
      decodeOrCodecError(payload, `${api.name} v${version} random body`)
    }),
    { numRuns: RUNS }
  )
})

test('valid frames with random bytes overwritten never escape as other errors', () => {
  fc.assert(
    fc.property(
      fc.constantFrom(...validFrames),
      fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 4 }),
      (frame, edits) => {
        const bad = Buffer.from(frame.payload)
        for (const [at, byte] of edits) bad[at % bad.length] = byte
        decodeOrCodecError(bad, `${frame.label} with ${JSON.stringify(edits)}`)
      }
    ),
    { numRuns: RUNS }
  )
})
