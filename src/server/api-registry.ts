/**
 * The broker's API handlers, keyed by API key. Each handler lives in its own file under handlers/ and declares
 * the generated descriptor of its API and the version range it serves; ApiVersions advertises exactly these
 * ranges. No dispatch switch: lookup only.
 */

import type { ApiDescriptor } from '../protocol/api-descriptor.js'
import type { ApiVersionRange, RequestContext, SupportedApis } from './request-context.js'

/** Returned by a handler when Kafka sends no response (Produce with acks=0). */
export const NO_RESPONSE: unique symbol = Symbol('NO_RESPONSE')
export type NoResponse = typeof NO_RESPONSE

export interface ApiHandler<Req = unknown, Res = unknown> {
  /** The API this handler serves (its key, and the request and response types it decodes and encodes). */
  readonly api: ApiDescriptor<Req, Res>
  /**
   * The versions this handler implements, within the descriptor's. Declared by the handler rather than taken
   * from the descriptor, so that regenerating from newer schemas never advertises versions nobody implements.
   */
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
    const { api, minVersion, maxVersion } = handler
    if (this.handlers.has(api.apiKey))
      throw new Error(`a handler for api key ${api.apiKey} is already registered`)
    if (minVersion > maxVersion) {
      throw new Error(`handler for api key ${api.apiKey} has an empty version range`)
    }
    // The request is decoded by the generated code: a version it does not know could never be served.
    if (minVersion < api.minVersion || maxVersion > api.maxVersion) {
      throw new Error(
        `handler for ${api.name} serves versions ${minVersion}-${maxVersion}, outside ${api.minVersion}-${api.maxVersion}`
      )
    }
    this.handlers.set(api.apiKey, handler)
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
      .map(({ api, minVersion, maxVersion }) => ({ apiKey: api.apiKey, minVersion, maxVersion }))
      .sort((a, b) => a.apiKey - b.apiKey)
  }
}
