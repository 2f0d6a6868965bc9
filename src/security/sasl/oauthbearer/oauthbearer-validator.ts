/**
 * The pluggable half of SASL/OAUTHBEARER: what a bearer token proves. The SASL exchange (RFC 7628) is the same
 * for every kind of token; a validator decides whether one token is good and whom it names. Kafka's secured
 * JWT validator (KIP-768) and its unsecured validator are two implementations; an AWS MSK IAM validator
 * (presigned SigV4 URLs as aws-msk-iam-sasl-signer-js produces them) can be a third without touching the
 * exchange.
 */

export interface OAuthBearerValidation {
  /** The principal name; the connection becomes `User:<principal>`. */
  readonly principal: string
  /**
   * How long the token stays valid from now, in ms (KIP-368: the session ends then). Must be positive; a token
   * that is already expired is rejected instead.
   */
  readonly lifetimeMs: number
}

export interface OAuthBearerValidator {
  /**
   * Validates one token (the `auth=Bearer <token>` value). A bad token rejects with OAuthBearerValidationError;
   * any other rejection is treated as an internal error of the broker, not as a bad credential.
   */
  validate(token: string): Promise<OAuthBearerValidation>
}

/** RFC 7628 section 3.2.2 error statuses, as Kafka's validators report them. */
export type OAuthBearerErrorStatus = 'invalid_token' | 'insufficient_scope'

/**
 * A token that does not authenticate. `message` is the reason for the broker's log; the client only ever
 * learns the status (and the required scope), as with Kafka.
 */
export class OAuthBearerValidationError extends Error {
  override readonly name = 'OAuthBearerValidationError'

  constructor(
    message: string,
    readonly status: OAuthBearerErrorStatus = 'invalid_token',
    /** For insufficient_scope: the scope that was required, in the form Kafka reports it. */
    readonly scope: string | null = null
  ) {
    super(message)
  }
}
