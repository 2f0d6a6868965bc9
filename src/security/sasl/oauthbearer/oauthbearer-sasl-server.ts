/**
 * SASL/OAUTHBEARER on the broker, as Kafka's OAuthBearerSaslServer: the client sends its initial response
 * with the token; a good token completes the exchange with an empty challenge. A bad one is answered with the
 * RFC 7628 error challenge (`{"status":"invalid_token"}`), the client acknowledges it with a single 0x01, and
 * only then does the exchange fail (SASL_AUTHENTICATION_FAILED carrying the same JSON). Extensions are accepted
 * and not interpreted, as Kafka's own validators do.
 */

import { SaslAuthenticationError, type SaslServer, type SaslServerFactory } from '../sasl-server.js'
import { InvalidClientInitialResponse, parseClientInitialResponse } from './client-initial-response.js'
import {
  type OAuthBearerValidation,
  OAuthBearerValidationError,
  type OAuthBearerValidator
} from './oauthbearer-validator.js'

export const OAUTHBEARER_MECHANISM = 'OAUTHBEARER'
const CONTROL_A = 0x01

/** Kafka's error challenge: status, then scope when the token lacked one. */
function errorChallenge(error: OAuthBearerValidationError): string {
  const scope = error.scope === null ? '' : `, "scope":"${error.scope}"`
  return `{"status":"${error.status}"${scope}}`
}

export class OAuthBearerSaslServer implements SaslServer {
  private validation: OAuthBearerValidation | null = null
  /** The error challenge sent, and why; set until the client acknowledges it. */
  private pendingError: { challenge: string; reason: OAuthBearerValidationError } | null = null

  constructor(private readonly validator: OAuthBearerValidator) {}

  get complete(): boolean {
    return this.validation !== null
  }

  async evaluateResponse(response: Buffer): Promise<Buffer> {
    if (this.complete)
      throw new SaslAuthenticationError('Authentication failed: OAUTHBEARER exchange already complete')
    if (this.pendingError !== null && response.length === 1 && response[0] === CONTROL_A) {
      // The client learns only the challenge; the validator's reason rides along as the cause for the log.
      const { challenge, reason } = this.pendingError
      throw new SaslAuthenticationError(challenge, { cause: reason })
    }
    this.pendingError = null
    let parsed: ReturnType<typeof parseClientInitialResponse>
    try {
      parsed = parseClientInitialResponse(response)
    } catch (err) {
      if (!(err instanceof InvalidClientInitialResponse)) throw err
      // Kafka answers a malformed message with its generic text rather than the parser's detail.
      throw new SaslAuthenticationError(
        `Authentication failed during authentication due to invalid credentials with SASL mechanism ${OAUTHBEARER_MECHANISM}`
      )
    }
    let validation: OAuthBearerValidation
    try {
      validation = await this.validator.validate(parsed.token)
    } catch (err) {
      if (!(err instanceof OAuthBearerValidationError)) throw err
      this.pendingError = { challenge: errorChallenge(err), reason: err }
      return Buffer.from(this.pendingError.challenge, 'utf8')
    }
    // An authorization id is allowed but must name the token's own principal (no impersonation).
    if (parsed.authorizationId !== '' && parsed.authorizationId !== validation.principal) {
      throw new SaslAuthenticationError(
        `Authentication failed: Client requested an authorization id (${parsed.authorizationId}) that is different from the token's principal name (${validation.principal})`
      )
    }
    this.validation = validation
    return Buffer.alloc(0)
  }

  authorizationId(): string {
    if (this.validation === null) throw new Error('OAUTHBEARER authentication has not completed')
    return this.validation.principal
  }

  sessionLifetimeMs(): number | undefined {
    return this.validation?.lifetimeMs
  }
}

/** The OAUTHBEARER factory for one listener, around the validator its configuration chose. */
export function oauthBearerSaslServerFactory(validator: OAuthBearerValidator): SaslServerFactory {
  return { mechanism: OAUTHBEARER_MECHANISM, create: () => new OAuthBearerSaslServer(validator) }
}
