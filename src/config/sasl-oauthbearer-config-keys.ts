/**
 * Kafka's broker keys for SASL/OAUTHBEARER token validation (KIP-768), with Kafka's types and defaults, and
 * `sasl.server.callback.handler.class`, which chooses the validator. Each may also be set for one listener,
 * `listener.name.<listener>.<key>`, or for one listener and mechanism,
 * `listener.name.<listener>.oauthbearer.<key>` (the more specific setting wins).
 */

import type { ConfigKey } from './config-def.js'

export const SASL_OAUTHBEARER_CONFIG_KEYS: readonly ConfigKey[] = [
  // Kafka's type is class; only its own validator classes are understood (see oauthbearer-config.ts).
  { name: 'sasl.server.callback.handler.class', type: 'string', default: null },
  { name: 'sasl.oauthbearer.jwks.endpoint.url', type: 'string', default: null },
  { name: 'sasl.oauthbearer.jwks.endpoint.refresh.ms', type: 'long', default: '3600000', min: 0 },
  { name: 'sasl.oauthbearer.jwks.endpoint.retry.backoff.ms', type: 'long', default: '100', min: 0 },
  { name: 'sasl.oauthbearer.jwks.endpoint.retry.backoff.max.ms', type: 'long', default: '10000', min: 0 },
  { name: 'sasl.oauthbearer.expected.audience', type: 'list', default: null },
  { name: 'sasl.oauthbearer.expected.issuer', type: 'string', default: null },
  { name: 'sasl.oauthbearer.scope.claim.name', type: 'string', default: 'scope' },
  { name: 'sasl.oauthbearer.sub.claim.name', type: 'string', default: 'sub' },
  { name: 'sasl.oauthbearer.clock.skew.seconds', type: 'int', default: '30', min: 0 }
]

export const SASL_OAUTHBEARER_CONFIG_NAMES: ReadonlySet<string> = new Set(
  SASL_OAUTHBEARER_CONFIG_KEYS.map((k) => k.name)
)
