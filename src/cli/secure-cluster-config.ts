/**
 * The configuration `samsa cluster start --secure` gives its brokers and writes for its clients, in Kafka's
 * names. Clients connect to listener CLIENT over SASL_SSL (TLS, then SASL/PLAIN with the users listed in the
 * JAAS entry); brokers talk to each other on listener BROKER over SSL with mutual TLS (each presenting the
 * broker certificate, principal User:CN=samsa-broker, and verifying the other's host name), which
 * `samsa cluster start --secure` uses; PLAINTEXT on the loopback host remains possible for tests. Keystore and
 * truststore are PEM files, so no keystore password appears in the properties.
 */

export const CLIENT_LISTENER = 'CLIENT'
export const BROKER_LISTENER = 'BROKER'
export const SASL_MECHANISM = 'PLAIN'
const PLAIN_LOGIN_MODULE = 'org.apache.kafka.common.security.plain.PlainLoginModule'

export interface SaslUser {
  readonly name: string
  readonly password: string
}

export interface SecureBrokerSettings {
  readonly host: string
  /** Port of the CLIENT (SASL_SSL) listener. */
  readonly clientPort: number
  /** Port of the BROKER (inter-broker) listener. */
  readonly brokerPort: number
  readonly interBrokerProtocol: 'SSL' | 'PLAINTEXT'
  /** PEM keystore: the broker's private key and certificate chain. */
  readonly keystore: string
  /** PEM truststore: the CA certificate. */
  readonly truststore: string
  readonly users: readonly SaslUser[]
}

const USER_NAME = /^[A-Za-z0-9._-]+$/

/** A JAAS option value, double-quoted with the escapes Kafka's JaasConfig parser undoes. */
function jaasQuote(value: string): string {
  return `"${value.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`
}

/** The PlainLoginModule entry listing the users a PLAIN listener accepts (`user_<name>="<password>"`). */
export function plainJaasConfig(users: readonly SaslUser[]): string {
  if (users.length === 0) throw new Error('a SASL/PLAIN listener needs at least one user')
  const options = users.map((u) => {
    // The name becomes part of an option name, which JAAS cannot quote.
    if (!USER_NAME.test(u.name))
      throw new Error(`user name ${JSON.stringify(u.name)} must match ${USER_NAME}`)
    return `user_${u.name}=${jaasQuote(u.password)}`
  })
  return `${PLAIN_LOGIN_MODULE} required ${options.join(' ')};`
}

/** server.properties entries of one secure broker (listeners and security; node.id, log.dirs etc. apart). */
export function secureBrokerProperties(s: SecureBrokerSettings): [string, string][] {
  const client = CLIENT_LISTENER.toLowerCase()
  const broker = BROKER_LISTENER.toLowerCase()
  return [
    [
      'listeners',
      `${CLIENT_LISTENER}://${s.host}:${s.clientPort},${BROKER_LISTENER}://${s.host}:${s.brokerPort}`
    ],
    [
      'advertised.listeners',
      `${CLIENT_LISTENER}://${s.host}:${s.clientPort},${BROKER_LISTENER}://${s.host}:${s.brokerPort}`
    ],
    [
      'listener.security.protocol.map',
      `${CLIENT_LISTENER}:SASL_SSL,${BROKER_LISTENER}:${s.interBrokerProtocol}`
    ],
    ['inter.broker.listener.name', BROKER_LISTENER],
    ['ssl.keystore.type', 'PEM'],
    ['ssl.keystore.location', s.keystore],
    ['ssl.truststore.type', 'PEM'],
    ['ssl.truststore.location', s.truststore],
    ...(s.interBrokerProtocol === 'SSL'
      ? ([[`listener.name.${broker}.ssl.client.auth`, 'required']] as [string, string][])
      : []),
    [`listener.name.${client}.sasl.enabled.mechanisms`, SASL_MECHANISM],
    [`listener.name.${client}.${SASL_MECHANISM.toLowerCase()}.sasl.jaas.config`, plainJaasConfig(s.users)]
  ]
}

export interface ClientSettings {
  readonly bootstrap: string
  /** PEM file of the CA that issued the brokers' certificate. */
  readonly caLocation: string
  readonly user: SaslUser
}

/**
 * A client configuration in librdkafka's names (`kcat -F client.properties`, confluent-kafka), which Kafka's
 * Java client shares except for the truststore and the JAAS line (see the README).
 */
export function clientProperties(c: ClientSettings): [string, string][] {
  return [
    ['bootstrap.servers', c.bootstrap],
    ['security.protocol', 'SASL_SSL'],
    ['ssl.ca.location', c.caLocation],
    ['sasl.mechanism', SASL_MECHANISM],
    ['sasl.username', c.user.name],
    ['sasl.password', c.user.password]
  ]
}

/** Java properties text: `key=value` lines, values escaped as java.util.Properties#load reads them. */
export function formatProperties(entries: readonly [string, string][], comment?: string): string {
  const escapeValue = (v: string) =>
    v
      .replace(/\\/g, '\\\\')
      .replace(/\n/g, '\\n')
      .replace(/\r/g, '\\r')
      .replace(/^\s/, (c) => `\\${c}`)
  const lines = entries.map(([k, v]) => `${k}=${escapeValue(v)}`)
  return `${comment === undefined ? '' : `# ${comment}\n`}${lines.join('\n')}\n`
}
