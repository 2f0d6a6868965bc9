/**
 * HTTP Basic authentication for the admin listener against the broker's own SASL users, so an operator needs
 * no second user database: PLAIN users through the listener's PLAIN mechanism (its JAAS `user_<name>` entries),
 * SCRAM users by recomputing the client proof's key from the stored salt and iterations (RFC 5802:
 * StoredKey = H(HMAC(Hi(password, salt, i), "Client Key"))) and comparing it with the stored key.
 *
 * A success is remembered for a minute under a digest of the credentials, so a Prometheus scrape every few
 * seconds costs one PBKDF2 a minute, not one per scrape.
 */

import { createHash, timingSafeEqual } from 'node:crypto'
import type { ScramCredentialRecord, ScramMechanismName } from '../cluster/metadata-store.js'
import type { SaslServerFactory } from '../security/sasl/sasl-server.js'
import { clientKey, hash, SCRAM_MECHANISMS, saltPassword } from '../security/scram/scram-mechanism.js'

export interface BasicAuthSources {
  /** The SASL mechanisms the broker's listeners enable, by name (the first listener's factory of each). */
  mechanisms(): ReadonlyMap<string, SaslServerFactory>
  scramCredential(user: string, mechanism: ScramMechanismName): ScramCredentialRecord | undefined
}

export interface BasicAuthResult {
  readonly user: string
  readonly mechanism: string
}

const REMEMBER_MS = 60_000
const MAX_REMEMBERED = 1024

export class AdminBasicAuth {
  private readonly remembered = new Map<string, { result: BasicAuthResult; until: number }>()

  constructor(
    private readonly sources: BasicAuthSources,
    private readonly now: () => number = Date.now
  ) {}

  /** The user an `Authorization: Basic ...` header proves, or null. */
  async verify(header: string | undefined): Promise<BasicAuthResult | null> {
    const credentials = parseBasic(header)
    if (credentials === null) return null
    const key = createHash('sha256').update(`${credentials.user}\u0000${credentials.password}`).digest('hex')
    const known = this.remembered.get(key)
    if (known !== undefined && known.until > this.now()) return known.result
    const result = await this.check(credentials.user, credentials.password)
    if (result !== null) {
      if (this.remembered.size >= MAX_REMEMBERED) this.remembered.clear()
      this.remembered.set(key, { result, until: this.now() + REMEMBER_MS })
    }
    return result
  }

  private async check(user: string, password: string): Promise<BasicAuthResult | null> {
    const mechanisms = this.sources.mechanisms()
    for (const m of SCRAM_MECHANISMS) {
      if (!mechanisms.has(m.name)) continue
      const stored = this.sources.scramCredential(user, m.name)
      if (stored === undefined) continue
      const salted = await saltPassword(m, password, stored.salt, stored.iterations)
      const storedKey = hash(m, clientKey(m, salted))
      if (storedKey.length === stored.storedKey.length && timingSafeEqual(storedKey, stored.storedKey))
        return { user, mechanism: m.name }
    }
    const plain = mechanisms.get('PLAIN')
    if (plain !== undefined) {
      const server = plain.create({ listenerName: 'admin', clientAddress: '' })
      try {
        await server.evaluateResponse(Buffer.from(`\u0000${user}\u0000${password}`, 'utf8'))
        if (server.complete) return { user: server.authorizationId(), mechanism: 'PLAIN' }
      } catch {
        // A wrong password: the same answer as an unknown user.
      }
    }
    return null
  }
}

function parseBasic(header: string | undefined): { user: string; password: string } | null {
  if (header === undefined) return null
  const m = /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(header)
  if (!m) return null
  const decoded = Buffer.from(m[1]!, 'base64').toString('utf8')
  const colon = decoded.indexOf(':')
  if (colon <= 0) return null
  return { user: decoded.slice(0, colon), password: decoded.slice(colon + 1) }
}
