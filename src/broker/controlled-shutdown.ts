/**
 * The broker's side of controlled shutdown (Kafka's KafkaServer.controlledShutdown): before it stops
 * serving, a broker of a multi-broker cluster asks the controller to move the leadership of its partitions
 * to other ISR members and take it out of ISRs, then waits until its metadata cache shows that it leads
 * nothing, so clients that refresh metadata find the new leaders at once. Every step is bounded: after
 * `maxRetries` attempts the broker shuts down anyway and its lease expiry finishes the job.
 */

import type { Controller } from '../cluster/controller/controller.js'
import type { ControllerChannel } from '../cluster/controller-channel.js'
import type { MetadataCache } from '../cluster/metadata-cache.js'
import type { Logger } from '../common/logger.js'
import { ErrorCode } from '../protocol/error-codes.js'
import {
  ControlledShutdownApi,
  type ControlledShutdownRequest,
  type ControlledShutdownResponse
} from '../protocol/messages/controlled-shutdown.js'

const CONTROLLED_SHUTDOWN_VERSION = 3
/** How long one attempt waits for the controller's changes to reach this broker's metadata cache. */
const CACHE_CONVERGENCE_TIMEOUT_MS = 5_000
const CACHE_POLL_MS = 50
/**
 * The whole controlled shutdown stays well under the 15 s `samsa cluster stop` (and most supervisors) give a
 * broker before SIGKILL: when every broker stops at once, the controller may be gone mid-way.
 */
const TOTAL_TIMEOUT_MS = 10_000

export interface ControlledShutdownOptions {
  readonly nodeId: number
  readonly controller: Controller
  readonly controllerChannel: ControllerChannel
  readonly metadataCache: MetadataCache
  readonly logger: Logger
  /** controlled.shutdown.max.retries */
  readonly maxRetries: number
  /** controlled.shutdown.retry.backoff.ms */
  readonly retryBackoffMs: number
}

/** Resolves true when this broker leads nothing any more, false when it gave up after its retries. */
export async function controlledShutdown(options: ControlledShutdownOptions): Promise<boolean> {
  const { logger, nodeId, metadataCache } = options
  // With no other live broker there is nobody to hand leadership or ISR membership to.
  if (!metadataCache.liveBrokers().some((b) => b.nodeId !== nodeId)) return true
  const deadline = Date.now() + TOTAL_TIMEOUT_MS
  for (let attempt = 1; attempt <= Math.max(1, options.maxRetries); attempt++) {
    const code = await requestShutdown(options).catch(() => ErrorCode.UNKNOWN_SERVER_ERROR)
    if (code === ErrorCode.NONE && (await leadsNothing(options, deadline))) {
      logger.info({ attempt }, 'controlled shutdown succeeded')
      return true
    }
    logger.warn({ attempt, errorCode: code, nodeId }, 'controlled shutdown attempt did not complete')
    if (attempt >= options.maxRetries) break
    // The backoff ends early once this broker leads nothing (its leaderships moved some other way).
    if (await leadsNothing(options, Math.min(deadline, Date.now() + options.retryBackoffMs))) return true
    if (Date.now() >= deadline) break
  }
  logger.warn('controlled shutdown gave up; shutting down anyway')
  return false
}

async function requestShutdown(options: ControlledShutdownOptions): Promise<number> {
  const { controllerChannel, nodeId } = options
  if (controllerChannel.isActiveController()) {
    await options.controller.controlledShutdown(nodeId)
    return ErrorCode.NONE
  }
  const body: ControlledShutdownRequest = {
    brokerId: nodeId,
    brokerEpoch: options.metadataCache.broker(nodeId)?.brokerEpoch ?? -1n
  }
  const response = await controllerChannel.forward<ControlledShutdownResponse>(
    { requestApiKey: ControlledShutdownApi.apiKey, requestApiVersion: CONTROLLED_SHUTDOWN_VERSION },
    body
  )
  return response === null ? ErrorCode.NOT_CONTROLLER : response.errorCode
}

/** Waits (bounded) until the metadata cache shows no partition led by this broker. */
async function leadsNothing(options: ControlledShutdownOptions, notAfter: number): Promise<boolean> {
  const deadline = Math.min(notAfter, Date.now() + CACHE_CONVERGENCE_TIMEOUT_MS)
  for (;;) {
    if (ledPartitions(options.metadataCache, options.nodeId) === 0) return true
    if (Date.now() >= deadline) return false
    await sleep(CACHE_POLL_MS)
  }
}

function ledPartitions(cache: MetadataCache, nodeId: number): number {
  let count = 0
  for (const topic of cache.topics()) for (const p of topic.partitions) if (p.leader === nodeId) count++
  return count
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms))
}
