/**
 * Kafka's unsecured OAUTHBEARER validator (OAuthBearerUnsecuredValidatorCallbackHandler), for development
 * only: the token is an unsigned JWS (`alg: none`, empty signature) and nothing proves who issued it. Checks,
 * in Kafka's order: the principal claim (JAAS option `unsecuredValidatorPrincipalClaimName`, default `sub`)
 * is a string; `iat`, if present, is not after now plus the skew; `exp` is present and now minus the skew is
 * before it; `exp` is after `iat`; the scope claim (`unsecuredValidatorScopeClaimName`, default `scope`)
 * holds every element of `unsecuredValidatorRequiredScope` (space-delimited), else insufficient_scope. The
 * skew is `unsecuredValidatorAllowableClockSkewMs` (default 0). The broker builds this validator only when
 * the configuration asks for it explicitly (see oauthbearer-config.ts).
 */

import { ConfigError } from '../../../config/config-error.js'
import {
  type OAuthBearerValidation,
  OAuthBearerValidationError,
  type OAuthBearerValidator
} from './oauthbearer-validator.js'

const PRINCIPAL_CLAIM_NAME_OPTION = 'unsecuredValidatorPrincipalClaimName'
const SCOPE_CLAIM_NAME_OPTION = 'unsecuredValidatorScopeClaimName'
const REQUIRED_SCOPE_OPTION = 'unsecuredValidatorRequiredScope'
const CLOCK_SKEW_OPTION = 'unsecuredValidatorAllowableClockSkewMs'

export interface UnsecuredJwsValidatorOptions {
  readonly principalClaimName: string
  readonly scopeClaimName: string
  readonly requiredScope: readonly string[]
  readonly allowableClockSkewMs: number
  readonly now?: () => number
}

/** The validator's settings from the OAuthBearerLoginModule options; `jaasKey` names the config in errors. */
export function unsecuredValidatorOptions(
  jaasKey: string,
  options: ReadonlyMap<string, string>
): UnsecuredJwsValidatorOptions {
  const nonBlank = (name: string, fallback: string) => {
    const v = options.get(name)?.trim()
    return v === undefined || v === '' ? fallback : v
  }
  const skewText = options.get(CLOCK_SKEW_OPTION)?.trim() ?? ''
  const skew = skewText === '' ? 0 : Number(skewText)
  if (!Number.isInteger(skew) || skew < 0 || skew > 2 ** 31 - 1) {
    throw ConfigError.invalidValue(
      jaasKey,
      '[hidden]',
      `JAAS option ${CLOCK_SKEW_OPTION} must be a non-negative integer`
    )
  }
  const required = options.get(REQUIRED_SCOPE_OPTION)?.trim() ?? ''
  return {
    principalClaimName: nonBlank(PRINCIPAL_CLAIM_NAME_OPTION, 'sub'),
    scopeClaimName: nonBlank(SCOPE_CLAIM_NAME_OPTION, 'scope'),
    requiredScope: required === '' ? [] : required.split(' ').filter((s) => s !== ''),
    allowableClockSkewMs: skew
  }
}

function fail(message: string, scope: string | null = null): never {
  throw new OAuthBearerValidationError(
    message,
    scope === null ? 'invalid_token' : 'insufficient_scope',
    scope
  )
}

function decodePart(part: string): Record<string, unknown> {
  let value: unknown
  try {
    value = JSON.parse(Buffer.from(part, 'base64url').toString('utf8'))
  } catch {
    fail('malformed JSON or Base64 URL encoded value')
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) fail('malformed JSON')
  return value as Record<string, unknown>
}

function numberClaim(claims: Record<string, unknown>, name: string): number | undefined {
  const v = claims[name]
  if (v === undefined || v === null) return undefined
  if (typeof v !== 'number') fail(`The '${name}' claim was not of type Number`)
  return v
}

/** Kafka's scope of an unsecured token: a string claim is one scope element (not split), a list is several. */
function tokenScope(claims: Record<string, unknown>, name: string): Set<string> {
  const v = claims[name]
  if (typeof v === 'string') return v.trim() === '' ? new Set() : new Set([v.trim()])
  if (v === undefined || v === null) return new Set()
  if (!Array.isArray(v)) fail(`The '${name}' claim was not of type List`)
  return new Set(v.map((s) => String(s).trim()).filter((s) => s !== ''))
}

export class UnsecuredJwsValidator implements OAuthBearerValidator {
  private readonly now: () => number

  constructor(private readonly options: UnsecuredJwsValidatorOptions) {
    this.now = options.now ?? Date.now
  }

  async validate(token: string): Promise<OAuthBearerValidation> {
    if (token.includes('..')) fail("Malformed compact serialization contains '..'")
    const parts = token.split('.')
    if (parts.length !== 3) {
      fail('Unsecured JWS compact serializations must have 3 dot-separated Base64URL-encoded values')
    }
    const header = decodePart(parts[0]!)
    const claims = decodePart(parts[1]!)
    if (header.alg !== 'none') fail("Unsecured JWS must have 'none' for an algorithm")
    if (parts[2] !== '') fail('Unsecured JWS must not contain a digital signature')
    const { principalClaimName, scopeClaimName, requiredScope, allowableClockSkewMs: skew } = this.options
    const scope = tokenScope(claims, scopeClaimName)
    const exp = numberClaim(claims, 'exp')
    if (exp === undefined) fail('No expiration time in JWT')
    const principal = claims[principalClaimName]
    if (principal === undefined || principal === null) fail(`Required claim missing: ${principalClaimName}`)
    if (typeof principal !== 'string') fail(`The ${principalClaimName} claim had the incorrect type`)
    if (principal.trim() === '') fail(`No principal name in JWT claim: ${principalClaimName}`)
    const iat = numberClaim(claims, 'iat')
    const now = this.now()
    if (iat !== undefined && 1000 * iat > now + skew) {
      fail('The Issued At value was after the indicated time plus allowable clock skew')
    }
    if (now - skew >= 1000 * exp) {
      fail('The indicated time minus allowable clock skew was on or after the Expiration Time value')
    }
    if (iat !== undefined && exp <= iat) fail('The Expiration Time time was not after the Issued At time')
    for (const element of requiredScope) {
      if (!scope.has(element)) {
        fail(`The provided scope was missing a required scope (${element})`, `[${requiredScope.join(', ')}]`)
      }
    }
    return { principal, lifetimeMs: Math.max(Math.round(1000 * exp) - now, 1) }
  }
}
