/**
 * The broker's API handlers, keyed by API key. Each handler lives in its own file under handlers/ and declares
 * the version range it serves; ApiVersions advertises exactly these ranges. No dispatch switch: lookup only.
 */

import type { ApiVersionRange, RequestContext, SupportedApis } from './request-context.js'

/** Returned by a handler when Kafka sends no response (Produce with acks=0). */
export const NO_RESPONSE: unique symbol = Symbol('NO_RESPONSE')
export type NoResponse = typeof NO_RESPONSE

export interface ApiHandler<Req = unknown, Res = unknown> {
  readonly apiKey: number
  readonly minVersion: number
  readonly maxVersion: number
  /** May reject with ProtocolDecodeError (or CloseConnectionError) to close the connection, as Kafka does. */
  handle(request: Req, ctx: RequestContext): Res | NoResponse | Promise<Res | NoResponse>
}

export class ApiRegistry implements SupportedApis {
  private readonly handlers = new Map<number, ApiHandler>()

  constructor(handlers: Iterable<ApiHandler> = []) {
    for (const h of handlers) this.register(h)
  }

  register(handler: ApiHandler): this {
    if (this.handlers.has(handler.apiKey))
      throw new Error(`a handler for api key ${handler.apiKey} is already registered`)
    if (handler.minVersion > handler.maxVersion) {
      throw new Error(`handler for api key ${handler.apiKey} has an empty version range`)
    }
    this.handlers.set(handler.apiKey, handler)
    return this
  }

  get(apiKey: number): ApiHandler | undefined {
    return this.handlers.get(apiKey)
  }

  /** The handler for this key if it serves this version. */
  handlerFor(apiKey: number, apiVersion: number): ApiHandler | undefined {
    const h = this.handlers.get(apiKey)
    return h && apiVersion >= h.minVersion && apiVersion <= h.maxVersion ? h : undefined
  }

  /** Supported ranges, ordered by API key, as ApiVersions reports them. */
  versionRanges(): ApiVersionRange[] {
    return [...this.handlers.values()]
      .map(({ apiKey, minVersion, maxVersion }) => ({ apiKey, minVersion, maxVersion }))
      .sort((a, b) => a.apiKey - b.apiKey)
  }
}
