/**
 * Puts a connection's authenticator (src/security) in front of the shared request pipeline, so no handler
 * sees a request before the connection has authenticated.
 */

import { UnsupportedApiVersionError } from '../protocol/decode-error.js'
import {
  AuthenticationCloseError,
  type ConnectionAuthenticator
} from '../security/connection-authenticator.js'
import {
  CloseConnectionError,
  type ConnectionInfo,
  type RequestOutcome,
  type RequestProcessor
} from './kafka-connection.js'

export function authenticatedProcessor(
  authenticator: ConnectionAuthenticator,
  pipeline: RequestProcessor
): RequestProcessor {
  return {
    process(payload: Buffer, connection: ConnectionInfo, receivedAt?: number): Promise<RequestOutcome> {
      return authenticator
        .process(payload, (p) => pipeline.process(p, connection, receivedAt))
        .catch((err: unknown) => {
          // Kafka closes a connection whose SASL request it cannot parse, as for any unknown version.
          const close = err instanceof AuthenticationCloseError || err instanceof UnsupportedApiVersionError
          throw close ? new CloseConnectionError((err as Error).message) : err
        })
    }
  }
}
