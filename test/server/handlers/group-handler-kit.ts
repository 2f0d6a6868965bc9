/** A broker RequestContext and a response round-trip through the generated codec, for the group handlers. */

import { createLogger } from '../../../src/common/logger.js'
import { KafkaConfig } from '../../../src/config/kafka-config.js'
import type { ApiDescriptor } from '../../../src/protocol/api-descriptor.js'
import { Reader } from '../../../src/protocol/reader.js'
import { Writer } from '../../../src/protocol/writer.js'
import { ApiRegistry } from '../../../src/server/api-registry.js'
import { RequestContext } from '../../../src/server/request-context.js'

export function requestContext(apiKey: number, version: number): RequestContext {
  return new RequestContext(
    { requestApiKey: apiKey, requestApiVersion: version, correlationId: 1, clientId: 'cli' },
    { connectionId: 'c', listenerName: 'PLAINTEXT', clientAddress: '127.0.0.1', clientPort: 1 },
    { config: new KafkaConfig(), logger: createLogger('silent'), apiRegistry: new ApiRegistry() }
  )
}

/** Encodes and decodes the response at this version: what a client of that version would receive. */
export function onTheWire<Res>(api: ApiDescriptor<unknown, Res>, response: unknown, version: number): Res {
  const w = new Writer()
  api.encodeResponse(w, response as Res, version)
  return api.decodeResponse(new Reader(w.toBuffer()), version)
}
