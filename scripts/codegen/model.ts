import {
  type FieldSpec,
  type MessageSpec,
  PRIMITIVE_TYPES,
  parseVersions,
  propertyName,
  type StructSpec,
  type VersionRange
} from './schema.js'

/**
 * The resolved shape of one schema: structs with their fields, each field's type resolved and the version
 * ranges in which it is present, nullable, tagged and flexible.
 */
export type TypeRef =
  | { kind: 'primitive'; name: string }
  | { kind: 'array'; element: TypeRef }
  | { kind: 'struct'; struct: StructModel }

export interface FieldModel {
  spec: FieldSpec
  property: string
  type: TypeRef
  /** Versions in which the field is on the wire at all (intersected with its struct's range). */
  versions: VersionRange | null
  nullable: VersionRange | null
  tagged: VersionRange | null
  tag: number | undefined
  /** A per-field override of the message's flexible versions (RequestHeader's ClientId). */
  flexible: VersionRange | null | undefined
  /** Optional in the TypeScript type: absent in some version of its struct, or tagged. */
  optional: boolean
}

export interface StructModel {
  schemaName: string
  typeName: string
  fields: FieldModel[]
  /** Versions in which this struct can appear. */
  range: VersionRange | null
}

export interface MessageModel {
  spec: MessageSpec
  root: StructModel
  structs: StructModel[]
  validVersions: VersionRange
  flexibleVersions: VersionRange | null
}

function union(a: VersionRange | null, b: VersionRange | null): VersionRange | null {
  if (a === null) return b
  if (b === null) return a
  return { lo: Math.min(a.lo, b.lo), hi: Math.max(a.hi, b.hi) }
}

export function intersect(a: VersionRange | null, b: VersionRange | null): VersionRange | null {
  if (a === null || b === null) return null
  const lo = Math.max(a.lo, b.lo)
  const hi = Math.min(a.hi, b.hi)
  return lo <= hi ? { lo, hi } : null
}

export function covers(outer: VersionRange | null, inner: VersionRange | null): boolean {
  if (inner === null) return true
  if (outer === null) return false
  return outer.lo <= inner.lo && outer.hi >= inner.hi
}

/** The struct name a field type refers to, or undefined for primitives and primitive arrays. */
function structNameOf(type: string): string | undefined {
  const base = type.startsWith('[]') ? type.slice(2) : type
  return PRIMITIVE_TYPES.has(base) ? undefined : base
}

export function buildMessageModel(spec: MessageSpec): MessageModel {
  const validVersions = parseVersions(spec.validVersions)
  if (validVersions === null) throw new Error(`${spec.name}: no valid versions`)
  const flexibleVersions = parseVersions(spec.flexibleVersions)
  const structSpecs = new Map<string, StructSpec>()
  const collect = (fields: FieldSpec[]): void => {
    for (const f of fields) {
      const name = structNameOf(f.type)
      if (name !== undefined && f.fields !== undefined) {
        if (!structSpecs.has(name)) structSpecs.set(name, { name, fields: f.fields })
        collect(f.fields)
      }
    }
  }
  for (const s of spec.commonStructs ?? []) {
    structSpecs.set(s.name, s)
    collect(s.fields)
  }
  collect(spec.fields)

  const models = new Map<string, StructModel>()
  const modelOf = (name: string): StructModel => {
    let m = models.get(name)
    if (m === undefined) {
      if (!structSpecs.has(name)) throw new Error(`${spec.name}: unknown struct ${name}`)
      m = { schemaName: name, typeName: spec.name + name, fields: [], range: null }
      models.set(name, m)
    }
    return m
  }
  const resolveType = (type: string): TypeRef => {
    if (type.startsWith('[]')) return { kind: 'array', element: resolveType(type.slice(2)) }
    if (PRIMITIVE_TYPES.has(type)) return { kind: 'primitive', name: type }
    return { kind: 'struct', struct: modelOf(type) }
  }

  // Ranges flow top-down: a nested struct exists only in the versions of the fields that hold it.
  const visit = (fields: FieldSpec[], range: VersionRange | null): void => {
    for (const f of fields) {
      const name = structNameOf(f.type)
      if (name === undefined) continue
      const effective = intersect(parseVersions(f.versions), range)
      const child = modelOf(name)
      child.range = union(child.range, effective)
      visit(structSpecs.get(name)!.fields, effective)
    }
  }
  const root: StructModel = { schemaName: spec.name, typeName: spec.name, fields: [], range: validVersions }
  visit(spec.fields, validVersions)

  const buildFields = (fields: FieldSpec[], range: VersionRange | null): FieldModel[] =>
    fields.map((f) => {
      const versions = intersect(parseVersions(f.versions), range)
      const tagged = intersect(parseVersions(f.taggedVersions), range)
      return {
        spec: f,
        property: propertyName(f.name),
        type: resolveType(f.type),
        versions,
        nullable: intersect(parseVersions(f.nullableVersions), versions),
        tagged,
        tag: f.tag,
        flexible: f.flexibleVersions === undefined ? undefined : parseVersions(f.flexibleVersions),
        optional: tagged !== null || !covers(versions, range)
      }
    })
  root.fields = buildFields(spec.fields, validVersions)
  for (const [name, model] of models) model.fields = buildFields(structSpecs.get(name)!.fields, model.range)

  // Children before parents, in first-use order, so the output reads top-down from leaves.
  return { spec, root, structs: [...models.values()], validVersions, flexibleVersions }
}
