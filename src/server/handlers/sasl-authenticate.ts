/**
 * SaslAuthenticate (key 36) as a handler: reached only outside a SASL exchange (see sasl-handshake.ts), which
 * Kafka answers with ILLEGAL_SASL_STATE. Registered so that ApiVersions advertises it.
 */

import { ErrorCode, errorInfo } from '../../protocol/error-codes.js'
import {
  SaslAuthenticateApi,
  type SaslAuthenticateRequest,
  type SaslAuthenticateResponse
} from '../../protocol/messages/sasl-authenticate.js'
import type { ApiHandler } from '../api-registry.js'

export const saslAuthenticateHandler: ApiHandler<SaslAuthenticateRequest, SaslAuthenticateResponse> = {
  api: SaslAuthenticateApi,
  minVersion: 0,
  maxVersion: 2,
  handle: () => ({
    errorCode: ErrorCode.ILLEGAL_SASL_STATE,
    errorMessage: errorInfo(ErrorCode.ILLEGAL_SASL_STATE).message,
    authBytes: Buffer.alloc(0),
    sessionLifetimeMs: 0n
  })
}
