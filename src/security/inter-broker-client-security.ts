/**
 * How this broker connects to other brokers (Kafka's inter-broker ChannelBuilder): the inter-broker
 * listener's security protocol, its TLS settings used as a client (the truststore checks the peer; the
 * keystore is this broker's client certificate when the peer asks for one), hostname verification after
 * `ssl.endpoint.identification.algorithm`, and a SASL login with `sasl.mechanism.inter.broker.protocol`
 * from the listener's JAAS entry for that mechanism (its `username` and `password` options). Errors name
 * the key, never a secret.
 */

import type { ConnectionOptions } from 'node:tls'
import { ConfigError } from '../config/config-error.js'
import type { KafkaConfig } from '../config/kafka-config.js'
import { parseJaasConfig } from './jaas-config.js'
import { PlainSaslClient } from './sasl/client/plain-sasl-client.js'
import type { SaslClient, SaslLogin } from './sasl/client/sasl-client.js'
import { ScramSaslClient } from './sasl/client/scram-sasl-client.js'
import { PLAIN_LOGIN_MODULE, PLAIN_MECHANISM } from './sasl/plain-sasl-server.js'
import { SCRAM_LOGIN_MODULE } from './sasl/sasl-mechanisms.js'
import { scramMechanismByName } from './scram/scram-mechanism.js'
import { sslListenerSettings } from './ssl/ssl-server-options.js'

export interface InterBrokerClientSecurity {
  readonly securityProtocol: string
  readonly tls: ConnectionOptions | null
  readonly hostnameVerification: boolean
  readonly sasl: { readonly mechanism: string; createClient(): SaslClient } | null
}

const CLIENT_MECHANISMS = [PLAIN_MECHANISM, 'SCRAM-SHA-256', 'SCRAM-SHA-512']

function listenerKey(config: KafkaConfig, listener: string, key: string): string {
  const prefixed = `listener.name.${listener.toLowerCase()}.${key}`
  return config.originals.has(prefixed) ? prefixed : key
}

function clientTls(config: KafkaConfig, listener: string): ConnectionOptions {
  const { tlsOptions } = sslListenerSettings(config, listener)
  // The server-side switches (requestCert, rejectUnauthorized for client certificates) do not apply.
  const { key, cert, pfx, passphrase, ca, minVersion, maxVersion, ciphers } = tlsOptions
  return { key, cert, pfx, passphrase, ca, minVersion, maxVersion, ...(ciphers ? { ciphers } : {}) }
}

function hostnameVerification(config: KafkaConfig, listener: string): boolean {
  const value = (config.forListener(listener, 'ssl.endpoint.identification.algorithm') as string | null) ?? ''
  if (value === '') return false
  if (value.toLowerCase() === 'https') return true
  throw ConfigError.invalidValue(
    listenerKey(config, listener, 'ssl.endpoint.identification.algorithm'),
    value,
    'must be https (verify the host name) or empty (do not)'
  )
}

function saslLogin(config: KafkaConfig, listener: string, mechanism: string, loginModule: string): SaslLogin {
  const jaasKey = `${mechanism.toLowerCase()}.sasl.jaas.config`
  const prefixed = `listener.name.${listener.toLowerCase()}.${jaasKey}`
  const shownKey = config.originals.has(prefixed)
    ? prefixed
    : listenerKey(config, listener, 'sasl.jaas.config')
  const text = config.forListener(listener, jaasKey)
  if (typeof text !== 'string' || text === '') {
    throw ConfigError.invalidValue(
      prefixed,
      '',
      `the inter-broker listener ${listener} needs a JAAS entry for ${mechanism} with this broker's username and password`
    )
  }
  const jaas = parseJaasConfig(shownKey, text)
  if (jaas.loginModule !== loginModule) {
    throw ConfigError.invalidValue(
      shownKey,
      '[hidden]',
      `mechanism ${mechanism} needs login module ${loginModule}`
    )
  }
  const username = jaas.options.get('username')
  const password = jaas.options.get('password')
  if (!username || password === undefined) {
    throw ConfigError.invalidValue(
      shownKey,
      '[hidden]',
      `the ${mechanism} entry of the inter-broker listener needs username and password options: the broker logs in to other brokers with them`
    )
  }
  return { username, password }
}

function saslClientFactory(config: KafkaConfig, listener: string): InterBrokerClientSecurity['sasl'] {
  const mechanism = config.getString('sasl.mechanism.inter.broker.protocol') ?? 'GSSAPI'
  if (!CLIENT_MECHANISMS.includes(mechanism)) {
    throw ConfigError.invalidValue(
      'sasl.mechanism.inter.broker.protocol',
      mechanism,
      `brokers log in to each other with one of [${CLIENT_MECHANISMS.join(', ')}]`
    )
  }
  const enabled = (config.forListener(listener, 'sasl.enabled.mechanisms') as string[] | null) ?? []
  if (!enabled.includes(mechanism)) {
    throw ConfigError.invalidValue(
      'sasl.mechanism.inter.broker.protocol',
      mechanism,
      `the inter-broker listener ${listener} does not enable it (${listenerKey(config, listener, 'sasl.enabled.mechanisms')}=${enabled.join(',')})`
    )
  }
  const scram = scramMechanismByName(mechanism)
  const login = saslLogin(config, listener, mechanism, scram ? SCRAM_LOGIN_MODULE : PLAIN_LOGIN_MODULE)
  return {
    mechanism,
    createClient: () => (scram ? new ScramSaslClient(scram, login) : new PlainSaslClient(login))
  }
}

/** The inter-broker listener's client settings; ConfigError when they cannot work. */
export function interBrokerClientSecurity(config: KafkaConfig): InterBrokerClientSecurity {
  const listener = config.interBrokerListenerName
  const endPoint = config.listeners.find((l) => l.listenerName === listener)
  const protocol = endPoint?.securityProtocol ?? 'PLAINTEXT'
  const usesTls = protocol === 'SSL' || protocol === 'SASL_SSL'
  const usesSasl = protocol === 'SASL_PLAINTEXT' || protocol === 'SASL_SSL'
  return {
    securityProtocol: protocol,
    tls: usesTls ? clientTls(config, listener) : null,
    hostnameVerification: usesTls && hostnameVerification(config, listener),
    sasl: usesSasl ? saslClientFactory(config, listener) : null
  }
}
