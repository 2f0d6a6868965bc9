/**
 * TLS from the broker to etcd, set with Kafka's ssl.* names under `etcd.`: `etcd.ssl.truststore.location`
 * (PEM CA certificates that sign etcd's server certificate; the system's CAs when absent) and, when etcd
 * asks for client certificates (`--client-cert-auth`), `etcd.ssl.keystore.location` (PEM: the private key
 * and its certificate chain, the key optionally encrypted with `etcd.ssl.key.password`). TLS is on when the
 * endpoints are https URLs; errors name the key, never a secret.
 */

import { createPrivateKey } from 'node:crypto'
import { readFileSync } from 'node:fs'
import type { EtcdTlsCredentials } from '../cluster/etcd/etcd-tls-credentials.js'
import { ConfigError } from '../config/config-error.js'
import type { KafkaConfig } from '../config/kafka-config.js'

const PRIVATE_KEY =
  /-----BEGIN (?:ENCRYPTED |RSA |EC )?PRIVATE KEY-----[\s\S]+?-----END (?:ENCRYPTED |RSA |EC )?PRIVATE KEY-----/g
const CERTIFICATE = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g

function read(key: string, path: string): string {
  try {
    return readFileSync(path, 'utf8')
  } catch (err) {
    throw ConfigError.invalidValue(key, path, `cannot be read: ${(err as Error).message}`)
  }
}

/**
 * The etcd client's TLS credentials: null for http endpoints, system CAs (an empty object) for https ones
 * without a truststore. ConfigError for mixed schemes or TLS files given with http endpoints.
 */
export function etcdTlsCredentials(
  config: KafkaConfig,
  endpoints: readonly string[]
): EtcdTlsCredentials | null {
  const truststore = config.getString('etcd.ssl.truststore.location')
  const keystore = config.getString('etcd.ssl.keystore.location')
  const https = endpoints.filter((e) => e.startsWith('https://')).length
  if (https !== 0 && https !== endpoints.length) {
    throw ConfigError.invalidValue(
      'etcd.endpoints',
      endpoints.join(','),
      'must be all http or all https URLs'
    )
  }
  if (https === 0) {
    if (truststore || keystore) {
      throw ConfigError.invalidValue(
        'etcd.endpoints',
        endpoints.join(','),
        `must be https URLs when ${truststore ? 'etcd.ssl.truststore.location' : 'etcd.ssl.keystore.location'} is set`
      )
    }
    return null
  }
  const credentials: { rootCertificate?: Buffer; privateKey?: Buffer; certChain?: Buffer } = {}
  if (truststore) {
    const certs = read('etcd.ssl.truststore.location', truststore).match(CERTIFICATE) ?? []
    if (certs.length === 0) {
      throw ConfigError.invalidValue('etcd.ssl.truststore.location', truststore, 'holds no PEM certificate')
    }
    credentials.rootCertificate = Buffer.from(certs.join('\n'))
  }
  if (keystore) {
    const text = read('etcd.ssl.keystore.location', keystore)
    const keys = text.match(PRIVATE_KEY) ?? []
    const certs = text.match(CERTIFICATE) ?? []
    if (keys.length !== 1 || certs.length === 0) {
      throw ConfigError.invalidValue(
        'etcd.ssl.keystore.location',
        keystore,
        'a PEM keystore must hold one private key and its certificate chain'
      )
    }
    let key: string
    try {
      // gRPC reads only unencrypted keys: an encrypted one is decrypted here, in memory.
      const passphrase = config.getString('etcd.ssl.key.password') ?? undefined
      key = createPrivateKey({ key: keys[0]!, passphrase })
        .export({ type: 'pkcs8', format: 'pem' })
        .toString()
    } catch (err) {
      throw ConfigError.invalidValue(
        'etcd.ssl.keystore.location',
        keystore,
        `its private key cannot be read (wrong or missing etcd.ssl.key.password?): ${(err as Error).message}`
      )
    }
    credentials.privateKey = Buffer.from(key)
    credentials.certChain = Buffer.from(certs.join('\n'))
  }
  return credentials
}
