import type { Reader } from './reader.js'
import type { Writer } from './writer.js'

/** What the generated code knows about one API key: its versions and its request/response codecs. */
export interface ApiDescriptor<Req, Res> {
  apiKey: number
  name: string
  minVersion: number
  maxVersion: number
  /** The first version using flexible encoding (compact types, tagged fields), or -1 if none does. */
  flexibleMinVersion: number
  /** Kafka marks some newest versions as unstable; brokers should not advertise them. */
  latestVersionUnstable: boolean
  encodeRequest(w: Writer, v: Req, version: number): void
  decodeRequest(r: Reader, version: number): Req
  encodeResponse(w: Writer, v: Res, version: number): void
  decodeResponse(r: Reader, version: number): Res
}

export function isFlexibleVersion(api: { flexibleMinVersion: number }, version: number): boolean {
  return api.flexibleMinVersion >= 0 && version >= api.flexibleMinVersion
}
