/**
 * Puts a connection's authenticator (src/security) in front of the shared request pipeline, so no handler
 * sees a request before the connection has authenticated.
 */

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
    process(payload: Buffer, connection: ConnectionInfo): Promise<RequestOutcome> {
      return authenticator
        .process(payload, (p) => pipeline.process(p, connection))
        .catch((err: unknown) => {
          throw err instanceof AuthenticationCloseError ? new CloseConnectionError(err.message) : err
        })
    }
  }
}
