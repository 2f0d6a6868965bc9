import fc from 'fast-check'
import { type FieldModel, intersect, type StructModel, type TypeRef } from '../../scripts/codegen/model.js'
import { inRange } from '../../scripts/codegen/schema.js'
import * as messages from '../../src/protocol/messages/index.js'

/**
 * fast-check arbitraries for any message at any version, built from the resolved schema model. Fields
 * absent from a version take the generated defaults, which is what decoding yields.
 */
type Defaults = Record<string, () => Record<string, unknown>>
const defaults = messages as unknown as Defaults

const INT_BOUNDS: Record<string, [number, number]> = {
  int8: [-128, 127],
  int16: [-32768, 32767],
  uint16: [0, 65535],
  int32: [-2147483648, 2147483647]
}

function primitive(name: string): fc.Arbitrary<unknown> {
  const bounds = INT_BOUNDS[name]
  if (bounds !== undefined) return fc.integer({ min: bounds[0], max: bounds[1] })
  switch (name) {
    case 'bool':
      return fc.boolean()
    case 'int64':
      return fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n })
    case 'float64':
      return fc.double()
    case 'string':
      return fc.string({ unit: 'grapheme', maxLength: 12 })
    case 'uuid':
      return fc.uint8Array({ minLength: 16, maxLength: 16 }).map((b) => Buffer.from(b).toString('base64url'))
    case 'bytes':
    case 'records':
      return fc.uint8Array({ maxLength: 24 }).map((b) => Buffer.from(b))
    default:
      throw new Error(`unknown primitive ${name}`)
  }
}

function typeArbitrary(
  type: TypeRef,
  version: number,
  flexible: boolean,
  depth: number
): fc.Arbitrary<unknown> {
  switch (type.kind) {
    case 'primitive':
      return primitive(type.name)
    case 'array':
      return fc.array(typeArbitrary(type.element, version, flexible, depth + 1), {
        maxLength: depth > 2 ? 1 : 3
      })
    case 'struct':
      return structArbitrary(type.struct, version, flexible, depth + 1)
  }
}

function fieldArbitrary(
  f: FieldModel,
  version: number,
  flexible: boolean,
  depth: number
): fc.Arbitrary<unknown> {
  const value = typeArbitrary(f.type, version, flexible, depth)
  return inRange(f.nullable, version) ? fc.option(value, { nil: null, freq: 4 }) : value
}

/** Unknown tagged fields use tags well above any the schemas define, so they stay unknown. */
const unknownTaggedFields = fc
  .uniqueArray(fc.integer({ min: 1000, max: 1010 }), { minLength: 1, maxLength: 2 })
  .chain((tags) =>
    fc
      .tuple(...tags.map(() => fc.uint8Array({ maxLength: 6 })))
      .map((datas) => tags.sort((a, b) => a - b).map((tag, i) => ({ tag, data: Buffer.from(datas[i]!) })))
  )

export function structArbitrary(
  s: StructModel,
  version: number,
  flexible: boolean,
  depth = 0
): fc.Arbitrary<Record<string, unknown>> {
  const makeDefault = defaults[`default${s.typeName}`]
  if (makeDefault === undefined) throw new Error(`no default${s.typeName} in generated code`)
  const record: Record<string, fc.Arbitrary<unknown>> = {}
  for (const f of s.fields) {
    const present = f.versions !== null && inRange(f.versions, version)
    const tagged = intersect(f.tagged, { lo: version, hi: version }) !== null
    if (present || tagged) record[f.property] = fieldArbitrary(f, version, flexible, depth)
  }
  const extra = flexible
    ? fc.option(unknownTaggedFields, { nil: undefined, freq: 3 })
    : fc.constant(undefined)
  return fc.tuple(fc.record(record), extra).map(([fields, unknown]) => {
    const v = Object.assign(makeDefault(), fields)
    if (unknown !== undefined) v._unknownTaggedFields = unknown
    return v
  })
}
