/**
 * SASL/PLAIN (RFC 4616) against the users of a PlainLoginModule JAAS entry (`user_<name>="<password>"`), as
 * Kafka's PlainSaslServer with its default server callback handler. The client sends one message,
 * `[authzid] NUL authcid NUL password`; there is no challenge.
 */

import { createHash, timingSafeEqual } from 'node:crypto'
import type { JaasLoginModule } from '../jaas-config.js'
import { SaslAuthenticationError, type SaslServer, type SaslServerFactory } from './sasl-server.js'

export const PLAIN_MECHANISM = 'PLAIN'
export const PLAIN_LOGIN_MODULE = 'org.apache.kafka.common.security.plain.PlainLoginModule'
const USER_OPTION_PREFIX = 'user_'

/** Compares digests, so the time taken tells nothing about the length or the content of the password. */
function samePassword(expected: string, given: string): boolean {
  const digest = (s: string) => createHash('sha256').update(s, 'utf8').digest()
  return timingSafeEqual(digest(expected), digest(given))
}

class PlainSaslServer implements SaslServer {
  private authorizedId: string | null = null

  constructor(private readonly users: ReadonlyMap<string, string>) {}

  get complete(): boolean {
    return this.authorizedId !== null
  }

  async evaluateResponse(token: Buffer): Promise<Buffer> {
    if (this.complete)
      throw new SaslAuthenticationError('Authentication failed: PLAIN exchange already complete')
    const parts = token.toString('utf8').split('\u0000')
    if (parts.length !== 3) {
      throw new SaslAuthenticationError('Invalid SASL/PLAIN response: expected 3 tokens, got ' + parts.length)
    }
    const [authzid, username, password] = parts as [string, string, string]
    if (username === '') throw new SaslAuthenticationError('Authentication failed: username not specified')
    if (password === '') throw new SaslAuthenticationError('Authentication failed: password not specified')
    const expected = this.users.get(username)
    // Unknown users take the same path as a wrong password, so neither timing nor message tells them apart.
    const matches = samePassword(expected ?? '', password) && expected !== undefined
    if (!matches) throw new SaslAuthenticationError('Authentication failed: Invalid username or password')
    if (authzid !== '' && authzid !== username) {
      throw new SaslAuthenticationError(
        'Authentication failed: Client requested an authorization id that is different from username'
      )
    }
    this.authorizedId = username
    return Buffer.alloc(0)
  }

  authorizationId(): string {
    if (this.authorizedId === null) throw new Error('PLAIN authentication has not completed')
    return this.authorizedId
  }
}

/** The PLAIN factory for one listener, from its JAAS login module (already parsed and checked). */
export function plainSaslServerFactory(jaas: JaasLoginModule): SaslServerFactory {
  const users = new Map<string, string>()
  for (const [option, value] of jaas.options) {
    if (option.startsWith(USER_OPTION_PREFIX)) users.set(option.slice(USER_OPTION_PREFIX.length), value)
  }
  return { mechanism: PLAIN_MECHANISM, create: () => new PlainSaslServer(users) }
}
