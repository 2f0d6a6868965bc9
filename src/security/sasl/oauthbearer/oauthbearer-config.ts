/**
 * Which validator a listener's OAUTHBEARER uses, decided at startup from its configuration:
 *
 * - `listener.name.<l>.oauthbearer.sasl.server.callback.handler.class` naming Kafka's secured
 *   OAuthBearerValidatorCallbackHandler: KIP-768 validation against `sasl.oauthbearer.jwks.endpoint.url`,
 *   which must then be set.
 * - naming Kafka's OAuthBearerUnsecuredValidatorCallbackHandler: the unsecured validator, configured by the
 *   JAAS options of the OAuthBearerLoginModule.
 * - no class and a JWKS URL: secured validation. (Kafka would still use the unsecured validator here and never
 *   read the URL; nobody configures a JWKS URL to have it ignored, so Samsa refuses to be that permissive.)
 * - no class, no JWKS URL and an OAuthBearerLoginModule with `unsecured*` options: the unsecured validator,
 *   Kafka's default for a listener configured for it.
 * - naming Samsa's MSK_IAM_VALIDATOR_CLASS: MSK IAM presigned-URL tokens, checked against the access keys
 *   Samsa holds (msk-iam-oauthbearer-validator.ts); the JAAS entry's `region` option narrows the region.
 * - anything else stops the broker with an error naming the key to set. Unsigned tokens are never accepted by
 *   accident.
 */

import type { ConfigValue } from '../../../config/config-def.js'
import { ConfigError } from '../../../config/config-error.js'
import type { AwsCredentialStore } from '../../msk-iam/aws-credential-store.js'
import type { SaslServerFactory } from '../sasl-server.js'
import { BrokerJwtValidator } from './broker-jwt-validator.js'
import { JwksSource } from './jwks-source.js'
import { MSK_IAM_VALIDATOR_CLASS, mskIamOAuthBearerValidator } from './msk-iam-oauthbearer-validator.js'
import { OAUTHBEARER_MECHANISM, oauthBearerSaslServerFactory } from './oauthbearer-sasl-server.js'
import type { OAuthBearerValidator } from './oauthbearer-validator.js'
import { UnsecuredJwsValidator, unsecuredValidatorOptions } from './unsecured-jws-validator.js'

export const OAUTHBEARER_LOGIN_MODULE = 'org.apache.kafka.common.security.oauthbearer.OAuthBearerLoginModule'
export const SECURED_VALIDATOR_CLASSES: readonly string[] = [
  'org.apache.kafka.common.security.oauthbearer.OAuthBearerValidatorCallbackHandler',
  // The name before Kafka 3.4; still found in configurations.
  'org.apache.kafka.common.security.oauthbearer.secured.OAuthBearerValidatorCallbackHandler'
]
export const UNSECURED_VALIDATOR_CLASS =
  'org.apache.kafka.common.security.oauthbearer.internals.unsecured.OAuthBearerUnsecuredValidatorCallbackHandler'

const CALLBACK_HANDLER_CLASS = 'sasl.server.callback.handler.class'
const JWKS_ENDPOINT_URL = 'sasl.oauthbearer.jwks.endpoint.url'

export interface OAuthBearerListenerConfig {
  readonly listenerName: string
  /** The value of a key for this listener and mechanism (the most specific setting, else the default). */
  readonly get: (key: string) => ConfigValue
  /** The OAuthBearerLoginModule options of the listener's JAAS configuration, and the key it came from. */
  readonly jaasOptions: ReadonlyMap<string, string>
  readonly jaasKey: string
  /** The broker's AWS access keys, for the MSK IAM validator. */
  readonly awsCredentials?: AwsCredentialStore
  readonly now?: () => number
  readonly onJwksRefreshError?: (err: unknown) => void
}

/** How errors name a key: as the operator would write it for this listener and mechanism. */
function listenerKey(listenerName: string, key: string): string {
  return `listener.name.${listenerName.toLowerCase()}.${OAUTHBEARER_MECHANISM.toLowerCase()}.${key}`
}

function numberOf(cfg: OAuthBearerListenerConfig, key: string): number {
  const v = cfg.get(key)
  if (typeof v !== 'number') throw new ConfigError(`Configuration ${key} is not set or not a number`)
  return v
}

function stringOf(cfg: OAuthBearerListenerConfig, key: string): string | null {
  const v = cfg.get(key)
  return typeof v === 'string' && v.trim() !== '' ? v.trim() : null
}

function jwksUrl(cfg: OAuthBearerListenerConfig, text: string): URL {
  const shown = listenerKey(cfg.listenerName, JWKS_ENDPOINT_URL)
  let url: URL
  try {
    url = new URL(text)
  } catch {
    throw ConfigError.invalidValue(shown, text, 'must be a URL')
  }
  if (!['file:', 'http:', 'https:'].includes(url.protocol)) {
    throw ConfigError.invalidValue(shown, text, 'the URL scheme must be file, http or https')
  }
  return url
}

function securedValidator(cfg: OAuthBearerListenerConfig, urlText: string): OAuthBearerValidator {
  const url = jwksUrl(cfg, urlText)
  let keys: JwksSource
  try {
    keys = new JwksSource({
      url,
      refreshMs: numberOf(cfg, 'sasl.oauthbearer.jwks.endpoint.refresh.ms'),
      retryBackoffMs: numberOf(cfg, 'sasl.oauthbearer.jwks.endpoint.retry.backoff.ms'),
      retryBackoffMaxMs: numberOf(cfg, 'sasl.oauthbearer.jwks.endpoint.retry.backoff.max.ms'),
      ...(cfg.now ? { now: cfg.now } : {}),
      ...(cfg.onJwksRefreshError ? { onRefreshError: cfg.onJwksRefreshError } : {})
    })
  } catch (err) {
    if (err instanceof ConfigError) throw err
    // A file: JWKS is read now; a missing or malformed file is a configuration error.
    const reason = err instanceof Error ? err.message : String(err)
    throw ConfigError.invalidValue(listenerKey(cfg.listenerName, JWKS_ENDPOINT_URL), urlText, reason)
  }
  const audience = cfg.get('sasl.oauthbearer.expected.audience')
  return new BrokerJwtValidator(keys, {
    expectedAudience: Array.isArray(audience) ? audience : [],
    expectedIssuer: stringOf(cfg, 'sasl.oauthbearer.expected.issuer'),
    subClaimName: stringOf(cfg, 'sasl.oauthbearer.sub.claim.name') ?? 'sub',
    scopeClaimName: stringOf(cfg, 'sasl.oauthbearer.scope.claim.name') ?? 'scope',
    clockSkewSeconds: numberOf(cfg, 'sasl.oauthbearer.clock.skew.seconds'),
    ...(cfg.now ? { now: cfg.now } : {})
  })
}

function unsecuredValidator(cfg: OAuthBearerListenerConfig): OAuthBearerValidator {
  const options = unsecuredValidatorOptions(cfg.jaasKey, cfg.jaasOptions)
  return new UnsecuredJwsValidator(cfg.now ? { ...options, now: cfg.now } : options)
}

/** The secured validator asked for by class: the JWKS URL is then required. */
function requiredSecuredValidator(cfg: OAuthBearerListenerConfig): OAuthBearerValidator {
  const url = stringOf(cfg, JWKS_ENDPOINT_URL)
  if (url === null) {
    throw ConfigError.invalidValue(
      listenerKey(cfg.listenerName, JWKS_ENDPOINT_URL),
      '',
      `the secured OAUTHBEARER validator of listener ${cfg.listenerName} needs the JWKS endpoint (a file, http or https URL)`
    )
  }
  return securedValidator(cfg, url)
}

function mskIamValidator(cfg: OAuthBearerListenerConfig): OAuthBearerValidator {
  const region = cfg.jaasOptions.get('region')
  return mskIamOAuthBearerValidator({
    jaasKey: cfg.jaasKey,
    ...(cfg.awsCredentials ? { credentials: cfg.awsCredentials } : {}),
    ...(region !== undefined ? { region } : {}),
    ...(cfg.now ? { now: cfg.now } : {})
  })
}

/**
 * The validators a listener can name with `sasl.server.callback.handler.class`: each kind of token is one
 * entry, a class name and a builder of its OAuthBearerValidator.
 */
const VALIDATORS_BY_CLASS: ReadonlyMap<string, (cfg: OAuthBearerListenerConfig) => OAuthBearerValidator> =
  new Map([
    ...SECURED_VALIDATOR_CLASSES.map((c) => [c, requiredSecuredValidator] as const),
    [UNSECURED_VALIDATOR_CLASS, unsecuredValidator] as const,
    [MSK_IAM_VALIDATOR_CLASS, mskIamValidator] as const
  ])

/** Whether the listener's OAUTHBEARER validates MSK IAM tokens (the broker then follows its AWS access keys). */
export function validatesMskIamTokens(get: (key: string) => ConfigValue): boolean {
  const v = get(CALLBACK_HANDLER_CLASS)
  return typeof v === 'string' && v.trim() === MSK_IAM_VALIDATOR_CLASS
}

/** Chooses and builds the listener's validator; throws ConfigError naming the key at fault. */
export function oauthBearerValidator(cfg: OAuthBearerListenerConfig): OAuthBearerValidator {
  const handlerClass = stringOf(cfg, CALLBACK_HANDLER_CLASS)
  if (handlerClass !== null) {
    const build = VALIDATORS_BY_CLASS.get(handlerClass)
    if (build === undefined) {
      throw ConfigError.invalidValue(
        listenerKey(cfg.listenerName, CALLBACK_HANDLER_CLASS),
        handlerClass,
        `supported classes are [${[...VALIDATORS_BY_CLASS.keys()].join(', ')}]`
      )
    }
    return build(cfg)
  }
  const url = stringOf(cfg, JWKS_ENDPOINT_URL)
  if (url !== null) return securedValidator(cfg, url)
  if ([...cfg.jaasOptions.keys()].some((name) => name.startsWith('unsecured'))) return unsecuredValidator(cfg)
  throw ConfigError.invalidValue(
    listenerKey(cfg.listenerName, JWKS_ENDPOINT_URL),
    '',
    `listener ${cfg.listenerName} offers ${OAUTHBEARER_MECHANISM} but has no JWKS endpoint to validate tokens ` +
      `with; set it, or ask for Kafka's unsecured validator explicitly with ` +
      `${listenerKey(cfg.listenerName, CALLBACK_HANDLER_CLASS)}=${UNSECURED_VALIDATOR_CLASS}`
  )
}

/** The OAUTHBEARER SASL server factory for one listener. */
export function oauthBearerListenerFactory(cfg: OAuthBearerListenerConfig): SaslServerFactory {
  return oauthBearerSaslServerFactory(oauthBearerValidator(cfg))
}
