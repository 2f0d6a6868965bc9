/**
 * What a listener demands of its connections, built once at startup from its security protocol: TLS
 * settings (SSL, SASL_SSL), SASL mechanisms (SASL_PLAINTEXT, SASL_SSL), the principal mapping for client
 * certificates and the authentication timings. Configuration errors surface here, before the broker listens.
 */

import type { TlsOptions } from 'node:tls'
import type { EndPoint } from '../config/end-point.js'
import type { KafkaConfig } from '../config/kafka-config.js'
import type { SslClientAuth } from '../config/security-config-keys.js'
import { saslServerFactories } from './sasl/sasl-mechanisms.js'
import type { SaslServerFactory } from './sasl/sasl-server.js'
import { SslPrincipalMapper } from './ssl/ssl-principal-mapper.js'
import { sslListenerSettings } from './ssl/ssl-server-options.js'

export interface ListenerSecurity {
  readonly listenerName: string
  readonly securityProtocol: string
  /** Null for PLAINTEXT and SASL_PLAINTEXT. */
  readonly tls: { readonly options: TlsOptions; readonly clientAuth: SslClientAuth } | null
  /** Null for PLAINTEXT and SSL; otherwise the enabled mechanisms in configured order. */
  readonly saslMechanisms: ReadonlyMap<string, SaslServerFactory> | null
  readonly principalMapper: SslPrincipalMapper
  /** connection.failed.authentication.delay.ms */
  readonly failedAuthenticationDelayMs: number
  /** connections.max.reauth.ms; 0 means sessions do not expire (KIP-368). */
  readonly maxReauthMs: number
}

export function listenerSecurity(config: KafkaConfig, endPoint: EndPoint): ListenerSecurity {
  const listener = endPoint.listenerName
  const protocol = endPoint.securityProtocol
  const usesTls = protocol === 'SSL' || protocol === 'SASL_SSL'
  const usesSasl = protocol === 'SASL_PLAINTEXT' || protocol === 'SASL_SSL'
  const ssl = usesTls ? sslListenerSettings(config, listener) : null
  return {
    listenerName: listener,
    securityProtocol: protocol,
    tls: ssl && { options: ssl.tlsOptions, clientAuth: ssl.clientAuth },
    saslMechanisms: usesSasl ? saslServerFactories(config, listener) : null,
    principalMapper: SslPrincipalMapper.fromRules(
      (config.forListener(listener, 'ssl.principal.mapping.rules') as string | null) ?? 'DEFAULT'
    ),
    failedAuthenticationDelayMs: config.getNumber('connection.failed.authentication.delay.ms'),
    maxReauthMs: (config.forListener(listener, 'connections.max.reauth.ms') as number | null) ?? 0
  }
}
