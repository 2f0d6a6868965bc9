/**
 * KIP-768 secured validation of OAUTHBEARER tokens, as Kafka's OAuthBearerValidatorCallbackHandler with its
 * broker JWT validator: the token must be a signed JWT (never `alg: none`) whose signature verifies with a key
 * of the JWKS; `exp` and `iat` are required; `exp` and `nbf` are checked with `clock.skew.seconds` of
 * tolerance; the issuer must equal `expected.issuer` and the audience contain one of `expected.audience` when
 * those are set; the subject claim (`sub.claim.name`) must be a non-blank string and becomes the principal.
 * The scope claim (`scope.claim.name`), when present, must be a non-blank string or a list of them.
 * All cryptography is jose's.
 */

import { errors, type JWTPayload, jwtVerify } from 'jose'
import type { JwksSource } from './jwks-source.js'
import {
  type OAuthBearerValidation,
  OAuthBearerValidationError,
  type OAuthBearerValidator
} from './oauthbearer-validator.js'

export interface BrokerJwtValidatorOptions {
  /** Empty: no audience check, but then (as with Kafka's jose4j) a token carrying `aud` is refused. */
  readonly expectedAudience: readonly string[]
  readonly expectedIssuer: string | null
  readonly subClaimName: string
  readonly scopeClaimName: string
  readonly clockSkewSeconds: number
  readonly now?: () => number
}

function fail(message: string): never {
  throw new OAuthBearerValidationError(message)
}

/** What went wrong, for the broker's log; jose's messages name the claim or the check, never the token. */
function describe(err: unknown): string {
  if (err instanceof errors.JOSEError) return `${err.code}: ${err.message}`
  return err instanceof Error ? err.message : String(err)
}

export class BrokerJwtValidator implements OAuthBearerValidator {
  private readonly now: () => number

  constructor(
    private readonly keys: JwksSource,
    private readonly options: BrokerJwtValidatorOptions
  ) {
    this.now = options.now ?? Date.now
  }

  async validate(token: string): Promise<OAuthBearerValidation> {
    const payload = await this.verify(token)
    const nowMs = this.now()
    const sub = payload[this.options.subClaimName]
    if (typeof sub !== 'string' || sub.trim() === '') {
      fail(`The ${this.options.subClaimName} claim is missing or not a non-blank string`)
    }
    // Kafka reads a string scope as one element and a list as several; each must be a non-blank string.
    const scope = payload[this.options.scopeClaimName]
    const elements = scope === undefined ? [] : Array.isArray(scope) ? scope : [scope]
    if (!elements.every((s) => typeof s === 'string' && s.trim() !== '')) {
      fail(`The ${this.options.scopeClaimName} claim is not a non-blank string or a list of them`)
    }
    const expMs = (payload.exp as number) * 1000
    const lifetimeMs = Math.round(expMs - nowMs)
    // Within the clock skew a token may be a little past exp and still be accepted; its session still ends
    // at exp, so the broker never serves a connection on an expired credential for long.
    return { principal: sub.trim(), lifetimeMs: Math.max(lifetimeMs, 1) }
  }

  private async verify(token: string): Promise<JWTPayload> {
    const { expectedAudience, expectedIssuer, clockSkewSeconds } = this.options
    const options = {
      requiredClaims: ['exp', 'iat'],
      clockTolerance: clockSkewSeconds,
      currentDate: new Date(this.now()),
      ...(expectedAudience.length > 0 ? { audience: [...expectedAudience] } : {}),
      ...(expectedIssuer !== null ? { issuer: expectedIssuer } : {})
    }
    let payload: JWTPayload
    try {
      payload = await this.verifyWithCurrentKeys(token, options)
    } catch (err) {
      if (err instanceof OAuthBearerValidationError) throw err
      fail(`Could not validate the access token: ${describe(err)}`)
    }
    if (expectedAudience.length === 0 && payload.aud !== undefined) {
      fail('The token has an audience (aud) but no sasl.oauthbearer.expected.audience is configured')
    }
    return payload
  }

  private async verifyWithCurrentKeys(
    token: string,
    options: Parameters<typeof jwtVerify>[2]
  ): Promise<JWTPayload> {
    try {
      return (await jwtVerify(token, await this.keys.current(), options)).payload
    } catch (err) {
      // A key id the set does not know: perhaps the provider rotated its keys since the last refresh.
      if (err instanceof errors.JWKSNoMatchingKey && (await this.keys.refreshForUnknownKey())) {
        return (await jwtVerify(token, await this.keys.current(), options)).payload
      }
      throw err
    }
  }
}
