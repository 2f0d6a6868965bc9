/**
 * Turns a listener's `ssl.*` configuration into Node TLS server options. Keystores: PEM (a file with the
 * private key and the certificate chain, or inline `ssl.keystore.key` / `ssl.keystore.certificate.chain`)
 * or PKCS12; truststores: PEM (file or inline `ssl.truststore.certificates`). Java's JKS has no reader on
 * Node, so it is refused with a message naming the key. Errors never echo secret values.
 */

import { readFileSync } from 'node:fs'
import { createSecureContext, type TlsOptions } from 'node:tls'
import { ConfigError } from '../../config/config-error.js'
import type { KafkaConfig } from '../../config/kafka-config.js'
import type { SslClientAuth } from '../../config/security-config-keys.js'

const PRIVATE_KEY =
  /-----BEGIN (?:ENCRYPTED |RSA |EC )?PRIVATE KEY-----[\s\S]+?-----END (?:ENCRYPTED |RSA |EC )?PRIVATE KEY-----/g
const CERTIFICATE = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g

export interface SslListenerSettings {
  readonly tlsOptions: TlsOptions
  readonly clientAuth: SslClientAuth
}

/** The name of `key` as an operator sets it for this listener (for error messages). */
function keyName(config: KafkaConfig, listener: string, key: string): string {
  const prefixed = `listener.name.${listener.toLowerCase()}.${key}`
  return config.originals.has(prefixed) ? prefixed : key
}

function readFile(config: KafkaConfig, listener: string, key: string, path: string): Buffer {
  try {
    return readFileSync(path)
  } catch (err) {
    throw ConfigError.invalidValue(
      keyName(config, listener, key),
      path,
      `cannot be read: ${(err as Error).message}`
    )
  }
}

function str(config: KafkaConfig, listener: string, key: string): string | null {
  const v = config.forListener(listener, key)
  return typeof v === 'string' && v !== '' ? v : null
}

function keystore(
  config: KafkaConfig,
  listener: string
): Pick<TlsOptions, 'key' | 'cert' | 'pfx' | 'passphrase'> {
  const type = str(config, listener, 'ssl.keystore.type') ?? 'JKS'
  const location = str(config, listener, 'ssl.keystore.location')
  const inlineKey = str(config, listener, 'ssl.keystore.key')
  const inlineChain = str(config, listener, 'ssl.keystore.certificate.chain')
  const keyPassword = str(config, listener, 'ssl.key.password') ?? undefined
  const storePassword = str(config, listener, 'ssl.keystore.password') ?? undefined
  if (inlineKey !== null || inlineChain !== null) {
    if (type !== 'PEM' || inlineKey === null || inlineChain === null || location !== null) {
      throw ConfigError.invalidValue(
        keyName(config, listener, 'ssl.keystore.key'),
        '[hidden]',
        'requires ssl.keystore.type=PEM and ssl.keystore.certificate.chain, without ssl.keystore.location'
      )
    }
    return { key: inlineKey, cert: inlineChain, passphrase: keyPassword }
  }
  if (location === null) {
    throw ConfigError.invalidValue(
      keyName(config, listener, 'ssl.keystore.location'),
      '',
      `listener ${listener} uses TLS and needs a keystore (ssl.keystore.location, or ssl.keystore.key and ssl.keystore.certificate.chain)`
    )
  }
  const bytes = readFile(config, listener, 'ssl.keystore.location', location)
  if (type === 'PKCS12') return { pfx: bytes, passphrase: storePassword }
  if (type === 'PEM') {
    const text = bytes.toString('utf8')
    const keys = text.match(PRIVATE_KEY) ?? []
    const certs = text.match(CERTIFICATE) ?? []
    if (keys.length !== 1 || certs.length === 0) {
      throw ConfigError.invalidValue(
        keyName(config, listener, 'ssl.keystore.location'),
        location,
        'a PEM keystore must hold one private key and its certificate chain'
      )
    }
    return { key: keys[0], cert: certs.join('\n'), passphrase: keyPassword }
  }
  throw ConfigError.invalidValue(
    keyName(config, listener, 'ssl.keystore.type'),
    type,
    'Samsa reads PKCS12 and PEM keystores (convert JKS with keytool -importkeystore -deststoretype PKCS12)'
  )
}

function truststore(config: KafkaConfig, listener: string): string[] | undefined {
  const inline = str(config, listener, 'ssl.truststore.certificates')
  const location = str(config, listener, 'ssl.truststore.location')
  if (inline === null && location === null) return undefined
  const type = str(config, listener, 'ssl.truststore.type') ?? 'JKS'
  if (type !== 'PEM') {
    throw ConfigError.invalidValue(
      keyName(config, listener, 'ssl.truststore.type'),
      type,
      'Samsa reads PEM truststores (export the CA certificates with keytool -exportcert -rfc)'
    )
  }
  const text = inline ?? readFile(config, listener, 'ssl.truststore.location', location!).toString('utf8')
  const certs = text.match(CERTIFICATE) ?? []
  if (certs.length === 0) {
    throw ConfigError.invalidValue(
      keyName(config, listener, inline === null ? 'ssl.truststore.location' : 'ssl.truststore.certificates'),
      inline === null ? location! : '[hidden]',
      'holds no PEM certificate'
    )
  }
  return certs
}

export function sslListenerSettings(config: KafkaConfig, listener: string): SslListenerSettings {
  const clientAuth = (str(config, listener, 'ssl.client.auth') ?? 'none') as SslClientAuth
  const protocols = (config.forListener(listener, 'ssl.enabled.protocols') as string[] | null) ?? []
  if (protocols.length === 0) {
    throw ConfigError.invalidValue(
      keyName(config, listener, 'ssl.enabled.protocols'),
      '',
      'must name a TLS version'
    )
  }
  // Kafka's values are the standard (IANA) names, which Node's OpenSSL accepts as well as its own names.
  const ciphers = (config.forListener(listener, 'ssl.cipher.suites') as string[] | null) ?? []
  if (ciphers.length > 0) {
    try {
      createSecureContext({ ciphers: ciphers.join(':') })
    } catch (err) {
      throw ConfigError.invalidValue(
        keyName(config, listener, 'ssl.cipher.suites'),
        ciphers.join(','),
        `names no cipher suite this broker supports (${(err as Error).message})`
      )
    }
  }
  const ca = truststore(config, listener)
  if (clientAuth !== 'none' && ca === undefined) {
    throw ConfigError.invalidValue(
      keyName(config, listener, 'ssl.client.auth'),
      clientAuth,
      'client certificates need a truststore (ssl.truststore.location or ssl.truststore.certificates)'
    )
  }
  const sorted = [...protocols].sort()
  const tlsOptions: TlsOptions = {
    ...keystore(config, listener),
    ca,
    minVersion: sorted[0] as TlsOptions['minVersion'],
    maxVersion: sorted[sorted.length - 1] as TlsOptions['maxVersion'],
    ...(ciphers.length > 0 ? { ciphers: ciphers.join(':') } : {}),
    requestCert: clientAuth !== 'none',
    // 'requested' lets a client without a certificate in; one that presents an invalid certificate is
    // turned away after the handshake (see the socket server), as a Java broker's handshake would.
    rejectUnauthorized: clientAuth === 'required'
  }
  try {
    createSecureContext(tlsOptions)
  } catch (err) {
    throw ConfigError.invalidValue(
      keyName(config, listener, 'ssl.keystore.location'),
      str(config, listener, 'ssl.keystore.location') ?? '[inline]',
      `TLS settings of listener ${listener} are unusable: ${(err as Error).message}`
    )
  }
  return { tlsOptions, clientAuth }
}
