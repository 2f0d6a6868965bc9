/**
 * The broker side of one SASL exchange, in the shape of Java's SaslServer, which Kafka's mechanisms implement:
 * each client token is evaluated into a challenge until the exchange is complete. One module per mechanism
 * under this folder provides a SaslServerFactory.
 */

export interface SaslServer {
  /** Evaluates the client's next token; the returned challenge goes back to the client (may be empty). */
  evaluateResponse(token: Buffer): Promise<Buffer>
  readonly complete: boolean
  /** The authenticated identity; valid once complete. */
  authorizationId(): string
  /** How long the credential stays valid, when the mechanism knows (KIP-368 re-authentication). */
  sessionLifetimeMs?(): number | undefined
}

export interface SaslServerContext {
  readonly listenerName: string
  readonly clientAddress: string
}

export interface SaslServerFactory {
  readonly mechanism: string
  create(ctx: SaslServerContext): SaslServer
}

/**
 * A failed authentication. The message goes back to the client in SaslAuthenticate's error message and into
 * the broker's log, so it must never carry a secret.
 */
export class SaslAuthenticationError extends Error {
  override readonly name = 'SaslAuthenticationError'
}
