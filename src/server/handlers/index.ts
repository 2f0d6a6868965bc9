/**
 * The handlers a KafkaServer serves when it is given none: ApiVersions alone, which needs no broker state. A
 * broker's full set, built over its storage, cluster metadata and coordinators, is assembled in
 * src/broker/broker.ts.
 */

import type { ApiHandler } from '../api-registry.js'
import { apiVersionsHandler } from './api-versions.js'
import { saslAuthenticateHandler } from './sasl-authenticate.js'
import { saslHandshakeHandler } from './sasl-handshake.js'

export function defaultHandlers(): ApiHandler[] {
  return [apiVersionsHandler, saslHandshakeHandler, saslAuthenticateHandler] as ApiHandler[]
}
