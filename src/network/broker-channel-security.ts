import type { ConnectionOptions } from 'node:tls'

/**
 * The client side of one SASL mechanism for a single authentication (Kafka's SaslClient): the initial
 * response first, then one answer per server challenge, null once the exchange is complete on the client's
 * side. A server message the client cannot accept (a wrong SCRAM server signature) is thrown.
 */
export interface SaslClient {
  readonly mechanism: string
  initialResponse(): Promise<Buffer>
  evaluateChallenge(challenge: Buffer): Promise<Buffer | null>
}

/**
 * How this broker reaches other brokers on the inter-broker listener (`inter.broker.listener.name`): TLS
 * with the listener's truststore and keystore for SSL and SASL_SSL, a SASL login with
 * `sasl.mechanism.inter.broker.protocol` for SASL_PLAINTEXT and SASL_SSL. Built by the broker assembly from
 * its configuration; this layer only applies it to sockets.
 */
export interface BrokerChannelSecurity {
  /** The listener's security protocol, for messages. */
  readonly securityProtocol: string
  /** Null for PLAINTEXT and SASL_PLAINTEXT: the CA, the client certificate for mTLS, protocol bounds. */
  readonly tls: ConnectionOptions | null
  /** ssl.endpoint.identification.algorithm=https: the peer's certificate must name the host dialled. */
  readonly hostnameVerification: boolean
  /** Null for PLAINTEXT and SSL; a fresh client for each connection otherwise. */
  readonly sasl: { readonly mechanism: string; createClient(): SaslClient } | null
}

export const PLAINTEXT_CHANNEL: BrokerChannelSecurity = {
  securityProtocol: 'PLAINTEXT',
  tls: null,
  hostnameVerification: false,
  sasl: null
}
