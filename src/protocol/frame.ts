import { type ApiDescriptor, isFlexibleVersion } from './api-descriptor.js'
import { UnsupportedApiVersionError } from './decode-error.js'
import { API_BY_KEY } from './messages/index.js'
import {
  encodeRequestHeader,
  type RequestHeader,
  decodeRequestHeader as readHeader
} from './messages/request-header.js'
import { decodeResponseHeader, encodeResponseHeader } from './messages/response-header.js'
import { Reader } from './reader.js'
import { Writer } from './writer.js'

const API_VERSIONS_KEY = 18
const CONTROLLED_SHUTDOWN_KEY = 7

// biome-ignore lint/suspicious/noExplicitAny: one descriptor type for every API
export type AnyApi = ApiDescriptor<any, any>

/**
 * Request header version: 2 for flexible request versions, else 1. ControlledShutdown v0 predates the
 * client id and uses header v0. For versions this codec does not know, the flexible rule still applies,
 * so that a newer client's ApiVersions request can be parsed and answered.
 */
export function requestHeaderVersion(apiKey: number, apiVersion: number): number {
  const api = API_BY_KEY.get(apiKey)
  if (api === undefined) return 1
  if (apiKey === CONTROLLED_SHUTDOWN_KEY && apiVersion === 0) return 0
  return isFlexibleVersion(api, apiVersion) ? 2 : 1
}

/**
 * Response header version: 1 for flexible versions, else 0. ApiVersions responses always use v0, so a
 * client can parse the reply before it knows which versions the broker supports.
 */
export function responseHeaderVersion(apiKey: number, apiVersion: number): number {
  if (apiKey === API_VERSIONS_KEY) return 0
  const api = API_BY_KEY.get(apiKey)
  return api !== undefined && isFlexibleVersion(api, apiVersion) ? 1 : 0
}

export interface DecodedRequestHeader {
  header: RequestHeader
  /** The API descriptor when the key is known, whatever the version. */
  api: AnyApi | undefined
  /** Whether this codec can decode the body at this version. */
  supported: boolean
  reader: Reader
}

/** Decodes the request header from a frame payload (the bytes after the 4-byte size). */
export function decodeRequestFrameHeader(payload: Buffer): DecodedRequestHeader {
  const reader = new Reader(payload)
  const apiKey = reader.readInt16()
  const apiVersion = reader.readInt16()
  reader.offset = 0
  const header = readHeader(reader, requestHeaderVersion(apiKey, apiVersion))
  const api = API_BY_KEY.get(apiKey)
  const supported = api !== undefined && apiVersion >= api.minVersion && apiVersion <= api.maxVersion
  return { header, api, supported, reader }
}

export interface DecodedRequest<T = unknown> {
  header: RequestHeader
  api: AnyApi
  body: T
}

/** Decodes a whole request frame payload; unknown keys and versions throw UnsupportedApiVersionError. */
export function decodeRequestFrame(payload: Buffer): DecodedRequest {
  const { header, api, supported, reader } = decodeRequestFrameHeader(payload)
  if (api === undefined || !supported) {
    throw new UnsupportedApiVersionError(header.requestApiKey, header.requestApiVersion)
  }
  return { header, api, body: api.decodeRequest(reader, header.requestApiVersion) }
}

function withSizePrefix(w: Writer): Buffer[] {
  const size = Buffer.allocUnsafe(4)
  size.writeInt32BE(w.length)
  const chunks = w.toChunks()
  return [size, ...chunks]
}

/** Encodes a request with its header and 4-byte size prefix. */
export function encodeRequestFrame(header: RequestHeader, body: unknown): Buffer {
  const api = API_BY_KEY.get(header.requestApiKey)
  if (api === undefined) throw new UnsupportedApiVersionError(header.requestApiKey, header.requestApiVersion)
  const w = new Writer()
  encodeRequestHeader(w, header, requestHeaderVersion(header.requestApiKey, header.requestApiVersion))
  api.encodeRequest(w, body, header.requestApiVersion)
  return Buffer.concat(withSizePrefix(w))
}

/**
 * Encodes a response with its header and 4-byte size prefix, as a list of chunks so that large record
 * bytes are passed to the socket without being copied.
 */
export function encodeResponseFrame(
  apiKey: number,
  apiVersion: number,
  correlationId: number,
  body: unknown
): Buffer[] {
  const api = API_BY_KEY.get(apiKey)
  if (api === undefined) throw new UnsupportedApiVersionError(apiKey, apiVersion)
  const w = new Writer()
  encodeResponseHeader(w, { correlationId }, responseHeaderVersion(apiKey, apiVersion))
  api.encodeResponse(w, body, apiVersion)
  return withSizePrefix(w)
}

export interface DecodedResponse<T = unknown> {
  correlationId: number
  body: T
}

/** Decodes a response frame payload (after the size) for a request of the given key and version. */
export function decodeResponseFrame(apiKey: number, apiVersion: number, payload: Buffer): DecodedResponse {
  const api = API_BY_KEY.get(apiKey)
  if (api === undefined) throw new UnsupportedApiVersionError(apiKey, apiVersion)
  const reader = new Reader(payload)
  const header = decodeResponseHeader(reader, responseHeaderVersion(apiKey, apiVersion))
  return { correlationId: header.correlationId, body: api.decodeResponse(reader, apiVersion) }
}
