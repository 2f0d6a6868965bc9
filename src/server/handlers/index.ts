/**
 * The handlers the broker registers by default. Add one line per API as its handler lands; handlers that need
 * storage or cluster metadata are created here from the services KafkaServer passes in.
 */

import type { ApiHandler } from '../api-registry.js'
import { apiVersionsHandler } from './api-versions.js'
import { saslAuthenticateHandler } from './sasl-authenticate.js'
import { saslHandshakeHandler } from './sasl-handshake.js'

export function defaultHandlers(): ApiHandler[] {
  return [apiVersionsHandler, saslHandshakeHandler, saslAuthenticateHandler] as ApiHandler[]
}
