/**
 * The verification keys of a secured OAUTHBEARER listener: a JSON Web Key Set read from
 * `sasl.oauthbearer.jwks.endpoint.url`, a file: URL (read at startup, so a missing or broken file stops the
 * broker) or an http(s) URL (fetched in the background, so an identity provider that is down does not). The
 * set is refreshed once it is `refreshMs` old, and at once when a token names a key id the set does not hold,
 * which is how a provider's key rotation reaches the broker before the next scheduled refresh. Failed fetches
 * are retried with exponential backoff from `retryBackoffMs` for at most `retryBackoffMaxMs`; the previous
 * keys stay in use meanwhile. Expedited refreshes are spaced by `retryBackoffMaxMs` so that tokens with made-up
 * key ids cannot turn the broker into a load generator against the provider.
 */

import { readFileSync } from 'node:fs'
import { readFile } from 'node:fs/promises'
import { fileURLToPath } from 'node:url'
import { createLocalJWKSet, type JSONWebKeySet, type JWTVerifyGetKey } from 'jose'

export interface JwksSourceOptions {
  readonly url: URL
  readonly refreshMs: number
  readonly retryBackoffMs: number
  readonly retryBackoffMaxMs: number
  readonly now?: () => number
  /** Told about fetches that failed after all retries (the previous keys stay in use). */
  readonly onRefreshError?: (err: unknown) => void
}

const HTTP_TIMEOUT_MS = 10_000

function parseJwks(text: string, where: string): JWTVerifyGetKey {
  let json: unknown
  try {
    json = JSON.parse(text)
  } catch {
    throw new Error(`the JWKS at ${where} is not JSON`)
  }
  // createLocalJWKSet checks the shape ({ keys: [...] }) and throws on anything else.
  return createLocalJWKSet(json as JSONWebKeySet)
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms).unref())

export class JwksSource {
  private keySet: JWTVerifyGetKey | null = null
  private loadedAt = Number.NEGATIVE_INFINITY
  /** Counts installed key sets, so a caller can tell whether a refresh brought one. */
  private generation = 0
  private lastExpeditedAt = Number.NEGATIVE_INFINITY
  private inFlight: Promise<void> | null = null
  private readonly now: () => number
  /** The last refresh failure, for the reason a token with an unknown key is refused. */
  lastError: unknown = null

  constructor(private readonly options: JwksSourceOptions) {
    this.now = options.now ?? Date.now
    if (options.url.protocol === 'file:') {
      const path = fileURLToPath(options.url)
      this.install(parseJwks(readFileSync(path, 'utf8'), path))
    } else {
      void this.refresh()
    }
  }

  /** The current keys, loading them first if there are none yet; starts a refresh in the background when stale. */
  async current(): Promise<JWTVerifyGetKey> {
    if (this.keySet === null) await this.refresh()
    else if (this.now() - this.loadedAt >= this.options.refreshMs) void this.refresh()
    if (this.keySet === null) throw new Error(`no JWKS could be loaded from ${this.describeUrl()}`)
    return this.keySet
  }

  /**
   * A token named a key the set does not hold: refresh now unless an expedited refresh happened recently.
   * Resolves true when a refresh completed, so the caller tries the token once more.
   */
  async refreshForUnknownKey(): Promise<boolean> {
    const now = this.now()
    if (this.inFlight === null && now - this.lastExpeditedAt < this.options.retryBackoffMaxMs) return false
    this.lastExpeditedAt = now
    const before = this.generation
    await this.refresh()
    return this.generation !== before
  }

  /** One refresh at a time; callers arriving meanwhile wait for the same one. */
  private refresh(): Promise<void> {
    this.inFlight ??= this.fetchWithRetry().finally(() => {
      this.inFlight = null
    })
    return this.inFlight
  }

  private async fetchWithRetry(): Promise<void> {
    const started = this.now()
    let backoff = Math.max(this.options.retryBackoffMs, 1)
    for (;;) {
      try {
        this.install(parseJwks(await this.read(), this.describeUrl()))
        this.lastError = null
        return
      } catch (err) {
        this.lastError = err
        const waited = this.now() - started
        if (waited + backoff > this.options.retryBackoffMaxMs) {
          try {
            this.options.onRefreshError?.(err)
          } catch {
            // A failing observer must not turn into an unhandled rejection of a background refresh.
          }
          return
        }
        await sleep(backoff)
        backoff = Math.min(backoff * 2, this.options.retryBackoffMaxMs)
      }
    }
  }

  private async read(): Promise<string> {
    const url = this.options.url
    if (url.protocol === 'file:') return readFile(fileURLToPath(url), 'utf8')
    const response = await fetch(url, { signal: AbortSignal.timeout(HTTP_TIMEOUT_MS) })
    if (!response.ok) throw new Error(`JWKS endpoint ${this.describeUrl()} answered HTTP ${response.status}`)
    return response.text()
  }

  private install(keySet: JWTVerifyGetKey): void {
    this.keySet = keySet
    this.loadedAt = this.now()
    this.generation++
  }

  /** The URL without credentials or query, fit for logs and error messages. */
  private describeUrl(): string {
    const u = this.options.url
    return u.protocol === 'file:' ? fileURLToPath(u) : `${u.protocol}//${u.host}${u.pathname}`
  }
}
