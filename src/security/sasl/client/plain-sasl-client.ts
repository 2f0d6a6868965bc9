import type { SaslClient, SaslLogin } from './sasl-client.js'

/** SASL/PLAIN (RFC 4616), client side: one message, `authzid NUL authcid NUL passwd` with no authzid. */
export class PlainSaslClient implements SaslClient {
  readonly mechanism = 'PLAIN'

  constructor(private readonly login: SaslLogin) {}

  async initialResponse(): Promise<Buffer> {
    return Buffer.from(`\0${this.login.username}\0${this.login.password}`, 'utf8')
  }

  /** The server's answer to PLAIN is empty: nothing more to send. */
  async evaluateChallenge(_challenge: Buffer): Promise<Buffer | null> {
    return null
  }
}
