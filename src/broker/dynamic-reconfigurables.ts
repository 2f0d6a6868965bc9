/**
 * The parts of the broker that take dynamic broker configs at run time (KIP-226): the topic-level log
 * defaults (log.*, message.max.bytes, ...) that topics without an override follow, the replication throttle
 * rates, and the keystore and
 * truststore of a TLS listener (`listener.name.<name>.ssl.*`), which new connections use while established
 * ones keep theirs.
 */

import { X509Certificate } from 'node:crypto'
import type { TlsOptions } from 'node:tls'
import { ConfigError } from '../config/config-error.js'
import { DYNAMIC_BROKER_KEYS, listenerSslKey } from '../config/dynamic-broker-config-keys.js'
import type { KafkaConfig } from '../config/kafka-config.js'
import type { ReplicationThrottle } from '../replica/replication-throttle.js'
import { sslListenerSettings } from '../security/ssl/ssl-server-options.js'
import type { BrokerReconfigurable } from '../server/admin/dynamic-broker-config.js'

/** Calls `apply` with the new configuration whenever a dynamic non-listener key changes. */
export function brokerDefaultsReconfigurable(apply: (next: KafkaConfig) => void): BrokerReconfigurable {
  return {
    reconfigures: (key) => DYNAMIC_BROKER_KEYS.has(key),
    reconfigure: (next) => apply(next)
  }
}

const THROTTLE_RATES = ['leader.replication.throttled.rate', 'follower.replication.throttled.rate'] as const

/** leader/follower.replication.throttled.rate: the buckets the leader and the replica fetchers share. */
export function replicationThrottleReconfigurable(throttles: {
  readonly leader: ReplicationThrottle
  readonly follower: ReplicationThrottle
}): BrokerReconfigurable {
  return {
    reconfigures: (key) => (THROTTLE_RATES as readonly string[]).includes(key),
    reconfigure(next) {
      const leader = next.getNumber('leader.replication.throttled.rate')
      const follower = next.getNumber('follower.replication.throttled.rate')
      if (leader !== throttles.leader.bytesPerSecond) throttles.leader.setRate(leader)
      if (follower !== throttles.follower.bytesPerSecond) throttles.follower.setRate(follower)
    }
  }
}

/** The TLS listeners (as configured) that `keys` name, by their lower-case prefix. */
function tlsListeners(config: KafkaConfig, keys: readonly string[]): string[] {
  const named = new Set(keys.map((k) => listenerSslKey(k)?.listener))
  return config.listeners
    .filter((l) => l.securityProtocol === 'SSL' || l.securityProtocol === 'SASL_SSL')
    .filter((l) => named.has(l.listenerName.toLowerCase()))
    .map((l) => l.listenerName)
}

/** The leaf certificate of PEM options; null for PKCS12 (Node has no reader for it outside a context). */
function leafCertificate(options: TlsOptions): X509Certificate | null {
  const cert = typeof options.cert === 'string' ? options.cert : null
  if (cert === null) return null
  try {
    return new X509Certificate(cert)
  } catch {
    return null
  }
}

/**
 * Kafka's SslFactory refuses a keystore whose certificate names another subject or other alternative names
 * than the one in use (unless ssl.allow.dn.changes / ssl.allow.san.changes, which Samsa does not offer), so
 * that a rotation cannot change the broker's identity by mistake.
 */
function checkSameIdentity(current: TlsOptions, next: TlsOptions): void {
  const before = leafCertificate(current)
  const after = leafCertificate(next)
  if (before === null || after === null) return
  if (before.subject !== after.subject) {
    throw new Error(
      `Keystore DistinguishedName does not match: existing={${before.subject}}, new={${after.subject}}`
    )
  }
  if ((before.subjectAltName ?? '') !== (after.subjectAltName ?? '')) {
    throw new Error(
      `Keystore SubjectAltNames do not match: existing={${before.subjectAltName}}, new={${after.subjectAltName}}`
    )
  }
}

/**
 * Reloads a TLS listener's keystore and truststore. A new context is built and checked before the change is
 * stored (a keystore that cannot be read or does not match its key is refused, the old one stays); once
 * stored, `reload` hands it to the listener.
 */
export function listenerTlsReconfigurable(listener: {
  /** The options the listener's new connections use now. */
  inUse(listenerName: string): TlsOptions | undefined
  reload(listenerName: string, options: TlsOptions): void
}): BrokerReconfigurable {
  return {
    reconfigures: (key) => listenerSslKey(key) !== null,
    validate(next, keys) {
      for (const name of tlsListeners(next, keys)) {
        try {
          const settings = sslListenerSettings(next, name)
          const inUse = listener.inUse(name)
          if (inUse) checkSameIdentity(inUse, settings.tlsOptions)
        } catch (err) {
          throw new ConfigError(
            `Validation of dynamic config update of SSLFactory failed: ${(err as Error).message}`
          )
        }
      }
    },
    reconfigure(next, keys) {
      for (const name of tlsListeners(next, keys)) {
        listener.reload(name, sslListenerSettings(next, name).tlsOptions)
      }
    }
  }
}
