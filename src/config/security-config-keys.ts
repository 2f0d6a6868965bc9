/**
 * Kafka's broker security configuration keys: listeners' security protocols, TLS (`ssl.*`), SASL (`sasl.*`)
 * and authentication behaviour. Secrets are `password` keys: never logged, and DescribeConfigs returns null
 * for them. Keys in LISTENER_PREFIXABLE_KEYS may also be set per listener as `listener.name.<name>.<key>`.
 */

import type { ConfigKey } from './config-def.js'

export const SECURITY_PROTOCOLS = ['PLAINTEXT', 'SSL', 'SASL_PLAINTEXT', 'SASL_SSL'] as const
export type SecurityProtocol = (typeof SECURITY_PROTOCOLS)[number]

export const SSL_CLIENT_AUTH_VALUES = ['none', 'requested', 'required'] as const
export type SslClientAuth = (typeof SSL_CLIENT_AUTH_VALUES)[number]

export const SECURITY_CONFIG_KEYS: readonly ConfigKey[] = [
  { name: 'inter.broker.listener.name', type: 'string', default: null },
  {
    name: 'security.inter.broker.protocol',
    type: 'string',
    default: 'PLAINTEXT',
    validValues: SECURITY_PROTOCOLS
  },
  { name: 'connection.failed.authentication.delay.ms', type: 'int', default: '100', min: 0 },
  { name: 'connections.max.reauth.ms', type: 'long', default: '0', min: 0 },

  // TLS
  { name: 'ssl.keystore.type', type: 'string', default: 'JKS', validValues: ['JKS', 'PKCS12', 'PEM'] },
  { name: 'ssl.keystore.location', type: 'string', default: null },
  { name: 'ssl.keystore.password', type: 'password', default: null },
  { name: 'ssl.key.password', type: 'password', default: null },
  { name: 'ssl.keystore.key', type: 'password', default: null },
  { name: 'ssl.keystore.certificate.chain', type: 'password', default: null },
  { name: 'ssl.truststore.type', type: 'string', default: 'JKS', validValues: ['JKS', 'PKCS12', 'PEM'] },
  { name: 'ssl.truststore.location', type: 'string', default: null },
  { name: 'ssl.truststore.password', type: 'password', default: null },
  { name: 'ssl.truststore.certificates', type: 'password', default: null },
  { name: 'ssl.client.auth', type: 'string', default: 'none', validValues: SSL_CLIENT_AUTH_VALUES },
  {
    name: 'ssl.enabled.protocols',
    type: 'list',
    default: 'TLSv1.2,TLSv1.3',
    validValues: ['TLSv1.2', 'TLSv1.3']
  },
  { name: 'ssl.protocol', type: 'string', default: 'TLSv1.3', ignored: true },
  { name: 'ssl.cipher.suites', type: 'list', default: '' },
  { name: 'ssl.principal.mapping.rules', type: 'string', default: 'DEFAULT' },
  { name: 'ssl.endpoint.identification.algorithm', type: 'string', default: 'https' },

  // SASL
  { name: 'sasl.enabled.mechanisms', type: 'list', default: 'GSSAPI' },
  { name: 'sasl.mechanism.inter.broker.protocol', type: 'string', default: 'GSSAPI' },
  { name: 'sasl.jaas.config', type: 'password', default: null },
  { name: 'sasl.server.max.receive.size', type: 'int', default: '524288', min: 1 }
]

/** Keys a listener may override with `listener.name.<lower-case listener name>.<key>`. */
export const LISTENER_PREFIXABLE_KEYS: ReadonlySet<string> = new Set([
  'connections.max.reauth.ms',
  'ssl.keystore.type',
  'ssl.keystore.location',
  'ssl.keystore.password',
  'ssl.key.password',
  'ssl.keystore.key',
  'ssl.keystore.certificate.chain',
  'ssl.truststore.type',
  'ssl.truststore.location',
  'ssl.truststore.password',
  'ssl.truststore.certificates',
  'ssl.client.auth',
  'ssl.enabled.protocols',
  'ssl.cipher.suites',
  'ssl.principal.mapping.rules',
  'ssl.endpoint.identification.algorithm',
  'sasl.enabled.mechanisms',
  'sasl.jaas.config'
])

/** Kafka's SecurityProtocol ids, as broker registrations carry them. */
export function securityProtocolId(protocol: string): number {
  const id = (SECURITY_PROTOCOLS as readonly string[]).indexOf(protocol)
  return Math.max(id, 0)
}
