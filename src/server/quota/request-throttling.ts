/**
 * Serves a request under client quotas, as Kafka's KafkaApis and SocketServer do (KIP-219): the response
 * carries `throttle_time_ms` and is sent at once, then the connection reads nothing more until the throttle
 * has passed, so a client that ignores the field gains nothing. Produce is recorded after the append (the
 * request's size), Fetch on the size of its response (consumers only, not follower fetches), and every request
 * on its handling time (request_percentage: percent of one thread per second). The largest throttle wins.
 * Responses of versions from before KIP-219 are delayed by the throttle instead, as Kafka does for old clients.
 */

import { FORWARDED_CLIENT_ID_PREFIX } from '../../cluster/controller-channel.js'
import { encodeResponseFrame } from '../../protocol/index.js'
import { FetchApi, type FetchRequest } from '../../protocol/messages/fetch.js'
import { ProduceApi } from '../../protocol/messages/produce.js'
import { type ApiHandler, NO_RESPONSE } from '../api-registry.js'
import type { RequestOutcome } from '../kafka-connection.js'
import type { RequestContext } from '../request-context.js'
import type { ClientQuotas } from './client-quotas.js'

const PRODUCE_KEY = ProduceApi.apiKey
const FETCH_KEY = FetchApi.apiKey
/** The first versions whose clients back off by themselves (KIP-219). */
const PRODUCE_CLIENT_THROTTLES_VERSION = 6
const FETCH_CLIENT_THROTTLES_VERSION = 8
const FETCH_FLEXIBLE_VERSION = 12
const FETCH_REPLICA_STATE_VERSION = 15
const NANOS_TO_PERCENT = 100 / 1e9
/**
 * Requests only brokers send (Kafka's ClusterAction APIs), which Kafka exempts from request quotas so that a
 * `<default>` quota never slows replication or the controller: LeaderAndIsr, StopReplica, UpdateMetadata,
 * ControlledShutdown, WriteTxnMarkers, AlterPartition, Envelope, BrokerRegistration, BrokerHeartbeat,
 * UnregisterBroker and AllocateProducerIds. Follower fetches and requests another broker forwards to the
 * controller (counted where the client sent them) are exempt too.
 */
const CLUSTER_ACTION_API_KEYS: ReadonlySet<number> = new Set([4, 5, 6, 7, 27, 56, 58, 62, 63, 64, 67])

export async function serveWithQuotas(
  quotas: ClientQuotas,
  handler: ApiHandler,
  body: unknown,
  ctx: RequestContext,
  requestBytes: number
): Promise<RequestOutcome> {
  const { requestApiKey: apiKey, requestApiVersion: apiVersion, correlationId } = ctx.header
  const user = ctx.principal.name
  const clientId = ctx.clientId ?? ''
  const timed = quotas.request.enabled && !exemptFromRequestQuota(apiKey, apiVersion, body, clientId)
  const start = timed ? process.hrtime.bigint() : 0n
  const pending = handler.handle(body, ctx)
  // Kafka counts the time a handler thread spends on the request; on one event loop that is the synchronous
  // part of the handler (time parked in a purgatory is not work) plus the encoding below.
  let handlingNs = timed ? process.hrtime.bigint() - start : 0n
  const response = await pending

  let throttleMs = 0
  if (apiKey === PRODUCE_KEY && quotas.produce.enabled) {
    throttleMs = quotas.produce.recordAndGetThrottleTimeMs(user, clientId, requestBytes)
  }
  if (response === NO_RESPONSE) {
    if (timed) throttleMs = Math.max(throttleMs, recordRequestTime(quotas, user, clientId, handlingNs))
    muteOrDelay(ctx, throttleMs, true)
    return null
  }
  const encodeStart = timed ? process.hrtime.bigint() : 0n
  setThrottleTime(response, throttleMs)
  const frame = encodeResponseFrame(apiKey, apiVersion, correlationId, response)
  if (timed) handlingNs += process.hrtime.bigint() - encodeStart
  if (apiKey === FETCH_KEY && quotas.fetch.enabled && isConsumerFetch(body as FetchRequest, apiVersion)) {
    let size = 0
    for (const chunk of frame) size += chunk.length
    throttleMs = Math.max(throttleMs, quotas.fetch.recordAndGetThrottleTimeMs(user, clientId, size))
  }
  if (timed) throttleMs = Math.max(throttleMs, recordRequestTime(quotas, user, clientId, handlingNs))
  if (throttleMs > 0) {
    // The field is written in place: encoding again would cost as much as the fetch's records.
    if (apiKey === FETCH_KEY) writeFetchThrottleTime(frame, apiVersion, throttleMs)
    else if (hasThrottleTime(response) && response.throttleTimeMs < throttleMs) {
      return muteOrDelay(ctx, throttleMs, clientThrottles(apiKey, apiVersion)).then(() =>
        encodeResponseFrame(apiKey, apiVersion, correlationId, { ...response, throttleTimeMs: throttleMs })
      )
    }
  }
  await muteOrDelay(ctx, throttleMs, clientThrottles(apiKey, apiVersion))
  return frame
}

function exemptFromRequestQuota(
  apiKey: number,
  apiVersion: number,
  body: unknown,
  clientId: string
): boolean {
  if (CLUSTER_ACTION_API_KEYS.has(apiKey)) return true
  if (apiKey === FETCH_KEY && !isConsumerFetch(body as FetchRequest, apiVersion)) return true
  return clientId.startsWith(FORWARDED_CLIENT_ID_PREFIX)
}

function recordRequestTime(quotas: ClientQuotas, user: string, clientId: string, ns: bigint): number {
  if (!quotas.request.enabled) return 0
  return quotas.request.recordAndGetThrottleTimeMs(user, clientId, Number(ns) * NANOS_TO_PERCENT)
}

/** Mutes the connection after the response (KIP-219), or, for a client too old to back off, delays it. */
function muteOrDelay(ctx: RequestContext, throttleMs: number, clientThrottles: boolean): Promise<void> {
  if (throttleMs <= 0) return Promise.resolve()
  ctx.connection.throttle?.(throttleMs)
  if (clientThrottles) return Promise.resolve()
  return new Promise((resolve) => setTimeout(resolve, throttleMs))
}

function clientThrottles(apiKey: number, apiVersion: number): boolean {
  if (apiKey === PRODUCE_KEY) return apiVersion >= PRODUCE_CLIENT_THROTTLES_VERSION
  if (apiKey === FETCH_KEY) return apiVersion >= FETCH_CLIENT_THROTTLES_VERSION
  return true
}

function hasThrottleTime(response: unknown): response is { throttleTimeMs: number } {
  return typeof (response as { throttleTimeMs?: unknown }).throttleTimeMs === 'number'
}

function setThrottleTime(response: unknown, throttleMs: number): void {
  if (throttleMs > 0 && hasThrottleTime(response) && response.throttleTimeMs < throttleMs) {
    response.throttleTimeMs = throttleMs
  }
}

function isConsumerFetch(request: FetchRequest, apiVersion: number): boolean {
  const replicaId =
    apiVersion >= FETCH_REPLICA_STATE_VERSION
      ? (request.replicaState?.replicaId ?? -1)
      : (request.replicaId ?? -1)
  return replicaId < 0
}

/**
 * Fetch's throttle_time_ms is the first field of its body (v1 and later): after the size prefix, the
 * correlation id and, from the flexible versions, the header's empty tagged-field count.
 */
function writeFetchThrottleTime(frame: readonly Buffer[], apiVersion: number, throttleMs: number): void {
  let offset = 8 + (apiVersion >= FETCH_FLEXIBLE_VERSION ? 1 : 0)
  const value = Buffer.alloc(4)
  value.writeInt32BE(throttleMs)
  let written = 0
  for (const chunk of frame) {
    while (offset < chunk.length && written < 4) chunk[offset++] = value[written++]!
    if (written === 4) return
    offset -= chunk.length
  }
}
