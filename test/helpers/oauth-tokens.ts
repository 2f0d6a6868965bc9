/**
 * Signing keys, JWKS documents and tokens for OAUTHBEARER tests, all made with jose: an RS256 or ES256 key
 * pair with a key id, its public JWKS, signed JWTs with the claims a test wants, and Kafka-style unsecured
 * (`alg: none`) tokens.
 */

import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { type CryptoKey, exportJWK, generateKeyPair, type JWK, type JWTPayload, SignJWT } from 'jose'

export interface SigningKey {
  readonly kid: string
  readonly alg: 'RS256' | 'ES256'
  readonly privateKey: CryptoKey
  readonly publicJwk: JWK
}

export async function signingKey(alg: 'RS256' | 'ES256', kid: string): Promise<SigningKey> {
  const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true })
  const publicJwk = { ...(await exportJWK(publicKey)), kid, alg, use: 'sig' }
  return { kid, alg, privateKey, publicJwk }
}

export function jwks(...keys: SigningKey[]): string {
  return JSON.stringify({ keys: keys.map((k) => k.publicJwk) })
}

const nowSeconds = () => Math.floor(Date.now() / 1000)

/** A signed JWT: sub, iat and exp (an hour) by default; `claims` adds or overrides (undefined removes). */
export async function signedToken(
  key: SigningKey,
  claims: Record<string, unknown> = {},
  header: { kid?: string } = {}
): Promise<string> {
  const payload: Record<string, unknown> = {
    sub: 'alice',
    iat: nowSeconds(),
    exp: nowSeconds() + 3600,
    ...claims
  }
  for (const [name, value] of Object.entries(payload)) if (value === undefined) delete payload[name]
  return new SignJWT(payload as JWTPayload)
    .setProtectedHeader({ alg: key.alg, kid: header.kid ?? key.kid })
    .sign(key.privateKey)
}

/** An unsecured JWS as Kafka's OAuthBearerUnsecuredLoginCallbackHandler makes them (`alg: none`, no signature). */
export function unsecuredToken(claims: Record<string, unknown> = {}): string {
  const payload = { sub: 'alice', iat: nowSeconds(), exp: nowSeconds() + 3600, ...claims }
  const part = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url')
  return `${part({ alg: 'none' })}.${part(payload)}.`
}

/** A JWKS file in a temporary directory, as a file: URL. */
export async function jwksFile(content: string): Promise<{ url: string; cleanup: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), 'samsa-jwks-'))
  const path = join(dir, 'jwks.json')
  await writeFile(path, content)
  return { url: pathToFileURL(path).href, cleanup: () => rm(dir, { recursive: true, force: true }) }
}

/** A tiny JWKS endpoint whose document a test can change, counting requests; `failures` answers 500 first. */
export class JwksServer {
  requests = 0
  failures = 0

  private constructor(
    private readonly server: Server,
    public document: string
  ) {}

  static async start(document: string): Promise<JwksServer> {
    let self: JwksServer | null = null
    const server = createServer((_req, res) => {
      const s = self!
      s.requests++
      if (s.failures > 0) {
        s.failures--
        res.writeHead(500).end('unavailable')
        return
      }
      res.writeHead(200, { 'content-type': 'application/json' }).end(s.document)
    })
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    self = new JwksServer(server, document)
    return self
  }

  get url(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/.well-known/jwks.json`
  }

  close(): Promise<void> {
    this.server.closeAllConnections()
    return new Promise((resolve) => this.server.close(() => resolve()))
  }
}
