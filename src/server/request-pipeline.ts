/**
 * Turns one request frame into its response frame: peek the header, find the handler for the API key and
 * version, decode, run the handler, encode. Stateless apart from its services; safe to share between
 * connections.
 */

import { ProtocolDecodeError, UnsupportedApiVersionError } from '../protocol/decode-error.js'
import { ErrorCode } from '../protocol/error-codes.js'
import { decodeRequestFrame, encodeResponseFrame } from '../protocol/index.js'
import { ApiVersionsApi, type ApiVersionsResponse } from '../protocol/messages/api-versions.js'
import { type ApiRegistry, NO_RESPONSE } from './api-registry.js'
import {
  CloseConnectionError,
  type ConnectionInfo,
  type RequestOutcome,
  type RequestProcessor
} from './kafka-connection.js'
import type { ClientQuotas } from './quota/client-quotas.js'
import { serveWithQuotas } from './quota/request-throttling.js'
import { type BrokerServices, RequestContext } from './request-context.js'
import { PHASE_LOCAL, PHASE_QUEUE, PHASE_REMOTE, type RequestStats } from './request-stats.js'

/** The broker services, with the registry the pipeline looks handlers up in (handlers see less of it). */
export interface PipelineServices extends BrokerServices {
  readonly apiRegistry: ApiRegistry
  /** Client quotas; absent or inactive, requests pay one property read for them. */
  readonly quotas?: ClientQuotas
}

const API_VERSIONS_KEY = ApiVersionsApi.apiKey
/** api key, api version and correlation id: the part of the request header that every version shares. */
const FIXED_HEADER_BYTES = 8

export class RequestPipeline implements RequestProcessor {
  constructor(
    private readonly broker: PipelineServices,
    /** Where request counts and the queue and local phases are recorded (plain numbers, see request-stats.ts). */
    private readonly stats?: RequestStats
  ) {}

  /** `receivedAt` (performance.now()) is when the connection read the frame, for the queue phase. */
  async process(payload: Buffer, connection: ConnectionInfo, receivedAt?: number): Promise<RequestOutcome> {
    const startedAt = performance.now()
    if (payload.length < FIXED_HEADER_BYTES) {
      throw new ProtocolDecodeError(`request of ${payload.length} bytes is shorter than a request header`)
    }
    const apiKey = payload.readInt16BE(0)
    const apiVersion = payload.readInt16BE(2)
    const correlationId = payload.readInt32BE(4)
    const handler = this.broker.apiRegistry.handlerFor(apiKey, apiVersion)
    if (!handler) {
      if (apiKey === API_VERSIONS_KEY) return this.unsupportedApiVersions(correlationId)
      // Kafka closes the connection when it cannot parse a request of an unknown key or version.
      throw new CloseConnectionError(`unsupported api key ${apiKey} version ${apiVersion}`)
    }
    let decoded: ReturnType<typeof decodeRequestFrame>
    try {
      decoded = decodeRequestFrame(payload)
    } catch (err) {
      if (err instanceof UnsupportedApiVersionError) throw new CloseConnectionError(err.message)
      throw err
    }
    const { header, body } = decoded
    const ctx = new RequestContext(header, connection, this.broker)
    const quotas = this.broker.quotas
    if (quotas?.active) return serveWithQuotas(quotas, handler, body, ctx, payload.length)
    const response = await handler.handle(body, ctx)
    const outcome =
      response === NO_RESPONSE ? null : encodeResponseFrame(apiKey, apiVersion, correlationId, response)
    const stats = this.stats
    if (stats !== undefined) {
      // The top-level error code, where the response has one; per-partition errors are not counted here.
      const errorCode = (response as { errorCode?: unknown } | null)?.errorCode
      stats.recordRequest(apiKey, typeof errorCode === 'number' ? errorCode : 0)
      if (receivedAt !== undefined) stats.recordPhase(PHASE_QUEUE, apiKey, (startedAt - receivedAt) / 1000)
      const remoteMs = ctx.remoteTimeMs
      stats.recordPhase(PHASE_LOCAL, apiKey, (performance.now() - startedAt - remoteMs) / 1000)
      stats.recordPhase(PHASE_REMOTE, apiKey, remoteMs / 1000)
    }
    return outcome
  }

  /**
   * A client may open with an ApiVersions version newer than ours. Kafka then answers with a v0 body (which
   * every client can parse) carrying UNSUPPORTED_VERSION and the ApiVersions range it does support, and the
   * client retries with a version in that range (KIP-511).
   */
  private unsupportedApiVersions(correlationId: number): RequestOutcome {
    const own = this.broker.apiRegistry.get(API_VERSIONS_KEY)
    const body: ApiVersionsResponse = {
      errorCode: ErrorCode.UNSUPPORTED_VERSION,
      apiKeys: own
        ? [{ apiKey: API_VERSIONS_KEY, minVersion: own.minVersion, maxVersion: own.maxVersion }]
        : []
    }
    return encodeResponseFrame(API_VERSIONS_KEY, 0, correlationId, body)
  }
}
