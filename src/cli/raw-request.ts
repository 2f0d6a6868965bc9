/**
 * Requests @platformatic/kafka has no admin method for (ElectLeaders, partition reassignments, SCRAM users),
 * sent over the library's own authenticated connection but encoded and decoded with Samsa's generated codec:
 * the library frames the request and skips the header, our codec writes and reads the body.
 */

import { type Admin, createAPI, Writer as LibraryWriter } from '@platformatic/kafka'
import { type ApiDescriptor, isFlexibleVersion } from '../protocol/api-descriptor.js'
import { errorInfo } from '../protocol/error-codes.js'
import { Reader } from '../protocol/reader.js'
import { Writer } from '../protocol/writer.js'

export async function rawRequest<Req, Res>(
  admin: Admin,
  nodeId: number,
  api: ApiDescriptor<Req, Res>,
  version: number,
  request: Req
): Promise<Res> {
  const connections = await admin.connectToBrokers([nodeId])
  const connection = connections.get(nodeId)
  if (!connection) throw new Error(`no connection to broker ${nodeId}`)
  const flexible = isFlexibleVersion(api, version)
  const call = createAPI<[Req], Res>(
    api.apiKey,
    version,
    (req: Req) => {
      const w = new Writer()
      api.encodeRequest(w, req, version)
      return LibraryWriter.create().append(w.toBuffer())
    },
    (_correlationId, _apiKey, _apiVersion, reader) =>
      api.decodeResponse(new Reader(reader.buffer.slice(reader.position)), version),
    flexible,
    flexible
  )
  return call.async(connection, request)
}

/** Throws a readable error for a response's non-zero error code. */
export function checkErrorCode(
  code: number | undefined,
  message: string | null | undefined,
  what: string
): void {
  if (code === undefined || code === 0) return
  const info = errorInfo(code)
  throw new Error(`${what}: ${info.name} (${code}): ${message ?? info.message}`)
}
