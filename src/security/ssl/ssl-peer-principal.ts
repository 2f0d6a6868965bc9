/**
 * The principal of a TLS connection, as Kafka's default principal builder makes it: `User:<mapped DN>` of a
 * verified client certificate, ANONYMOUS without one.
 */

import { X509Certificate } from 'node:crypto'
import type { TLSSocket } from 'node:tls'
import { ANONYMOUS, type KafkaPrincipal, userPrincipal } from '../kafka-principal.js'
import type { SslPrincipalMapper } from './ssl-principal-mapper.js'

/** Thrown when a connection must be refused: an unverified certificate, or a DN no mapping rule applies to. */
export class SslAuthenticationError extends Error {
  override readonly name = 'SslAuthenticationError'
}

/**
 * The subject in RFC 2253 form, as Java's X500Principal.getName() prints it: most specific RDN first,
 * comma-separated (Node lists RDNs in certificate order, one a line, with commas already escaped).
 */
export function distinguishedName(cert: X509Certificate): string {
  return cert.subject.split('\n').reverse().join(',')
}

/**
 * `mapper` is null on SASL_SSL listeners, where SASL names the principal: a certificate is only verified there
 * (Kafka does not map it).
 */
export function sslPeerPrincipal(socket: TLSSocket, mapper: SslPrincipalMapper | null): KafkaPrincipal {
  const peer = socket.getPeerCertificate()
  if (!peer?.raw) return ANONYMOUS
  // With ssl.client.auth=requested, Node lets an unverifiable certificate through the handshake; Java's
  // handshake would fail, so the connection is refused here.
  if (!socket.authorized) {
    throw new SslAuthenticationError(`client certificate not trusted: ${String(socket.authorizationError)}`)
  }
  if (mapper === null) return ANONYMOUS
  const dn = distinguishedName(new X509Certificate(peer.raw))
  try {
    return userPrincipal(mapper.getName(dn))
  } catch (err) {
    throw new SslAuthenticationError((err as Error).message)
  }
}
