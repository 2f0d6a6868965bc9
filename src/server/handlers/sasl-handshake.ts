/**
 * SaslHandshake (key 17) as a handler: reached only on connections that are not in a SASL exchange (a
 * PLAINTEXT or SSL listener, or a second handshake), which Kafka answers with ILLEGAL_SASL_STATE. On SASL
 * listeners the connection's authenticator (src/security) serves it before the pipeline. Registered so that
 * ApiVersions advertises it, as Kafka does on every listener.
 */

import { ErrorCode } from '../../protocol/error-codes.js'
import {
  SaslHandshakeApi,
  type SaslHandshakeRequest,
  type SaslHandshakeResponse
} from '../../protocol/messages/sasl-handshake.js'
import type { ApiHandler } from '../api-registry.js'

export const saslHandshakeHandler: ApiHandler<SaslHandshakeRequest, SaslHandshakeResponse> = {
  api: SaslHandshakeApi,
  minVersion: 0,
  maxVersion: 1,
  handle: () => ({ errorCode: ErrorCode.ILLEGAL_SASL_STATE, mechanisms: [] })
}
