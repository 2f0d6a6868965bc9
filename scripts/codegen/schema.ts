import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'

/** Kafka's JSON message schemas, as read from ../shared/kafka-protocol/message. */
export interface FieldSpec {
  name: string
  type: string
  versions?: string
  nullableVersions?: string
  taggedVersions?: string
  flexibleVersions?: string
  tag?: number
  default?: string | number | boolean
  fields?: FieldSpec[]
}

export interface StructSpec {
  name: string
  versions?: string
  fields: FieldSpec[]
}

export interface MessageSpec {
  apiKey?: number
  type: 'request' | 'response' | 'header' | 'data'
  name: string
  validVersions: string
  flexibleVersions: string
  latestVersionUnstable?: boolean
  fields: FieldSpec[]
  commonStructs?: StructSpec[]
}

/** An inclusive version interval; `hi` is Infinity for open-ended specs such as "3+". */
export interface VersionRange {
  lo: number
  hi: number
}

export function parseVersions(spec: string | undefined): VersionRange | null {
  if (spec === undefined || spec === 'none') return null
  if (spec.endsWith('+')) return { lo: Number(spec.slice(0, -1)), hi: Number.POSITIVE_INFINITY }
  const dash = spec.indexOf('-')
  if (dash > 0) return { lo: Number(spec.slice(0, dash)), hi: Number(spec.slice(dash + 1)) }
  return { lo: Number(spec), hi: Number(spec) }
}

export function inRange(range: VersionRange | null, version: number): boolean {
  return range !== null && version >= range.lo && version <= range.hi
}

export const DEFAULT_SCHEMA_DIR = join('..', 'shared', 'kafka-protocol', 'message')

/** Kafka's schema files carry `//` license comments, which JSON does not allow. */
export function parseSchemaText(text: string): MessageSpec {
  const json = text
    .split('\n')
    .filter((line) => !/^\s*\/\//.test(line))
    .join('\n')
  return JSON.parse(json) as MessageSpec
}

export function loadSchemas(dir = DEFAULT_SCHEMA_DIR): MessageSpec[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((f) => parseSchemaText(readFileSync(join(dir, f), 'utf8')))
}

export const PRIMITIVE_TYPES = new Set([
  'bool',
  'int8',
  'int16',
  'uint16',
  'int32',
  'int64',
  'float64',
  'string',
  'bytes',
  'uuid',
  'records'
])

/** Field names in generated code: the schema's PascalCase name with a lower-case first letter. */
export function propertyName(schemaName: string): string {
  return schemaName.charAt(0).toLowerCase() + schemaName.slice(1)
}

/** File names in generated code: kebab-case of the API or message name. */
export function kebabCase(name: string): string {
  return name
    .replace(/([a-z0-9])([A-Z])/g, '$1-$2')
    .replace(/([A-Z]+)([A-Z][a-z])/g, '$1-$2')
    .toLowerCase()
    .replace(/^k-raft/, 'kraft')
}

export const ZERO_UUID = 'AAAAAAAAAAAAAAAAAAAAAA'
