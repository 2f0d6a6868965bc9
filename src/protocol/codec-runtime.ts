import { Writer } from './writer.js'

/** Small shared pieces the generated message code calls. */
export type TaggedFieldWriter = readonly [tag: number, write: (w: Writer) => void]

export const EMPTY_BUFFER: Buffer = Buffer.alloc(0)
export const ZERO_UUID = 'AAAAAAAAAAAAAAAAAAAAAA'
export const NO_TAGGED_FIELDS: readonly TaggedFieldWriter[] = []
export const NO_KNOWN_TAGS = (): boolean => false

export function nullError(field: string, version: number): Error {
  return new TypeError(`${field} is null, which version ${version} does not allow`)
}

/** Whether two values encode to the same bytes: how a tagged struct is compared with its default. */
export function sameEncoding(a: (w: Writer) => void, b: (w: Writer) => void): boolean {
  const wa = new Writer(64)
  const wb = new Writer(64)
  a(wa)
  b(wb)
  return wa.toBuffer().equals(wb.toBuffer())
}
