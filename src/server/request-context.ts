/** What a handler knows about the request it is serving besides the request body. */

import type { Logger } from '../common/logger.js'
import type { KafkaConfig } from '../config/kafka-config.js'
import type { RequestHeader } from '../protocol/messages/request-header.js'
import { ANONYMOUS, type KafkaPrincipal } from '../security/kafka-principal.js'
import type { ConnectionInfo } from './kafka-connection.js'

/** The versions of one API this broker serves, as ApiVersions reports them. */
export interface ApiVersionRange {
  readonly apiKey: number
  readonly minVersion: number
  readonly maxVersion: number
}

/**
 * What a handler may ask of the broker's API registry (ApiVersions lists the ranges). The registry itself
 * holds the handlers, whose signature names RequestContext, so this file must not import it.
 */
export interface SupportedApis {
  /** Supported ranges, ordered by API key. */
  versionRanges(): ApiVersionRange[]
}

/**
 * Broker-wide services shared by all handlers. Storage (LogManager) and cluster metadata are deliberately not
 * here: handlers that need them are built with them (e.g. `createProduceHandler(logManager)`), which keeps this
 * interface narrow and each handler's dependencies explicit.
 */
export interface BrokerServices {
  readonly config: KafkaConfig
  readonly logger: Logger
  readonly apiRegistry: SupportedApis
}

export class RequestContext {
  private childLogger: Logger | undefined
  /** performance.now() bounds of the request's waits in a purgatory (Kafka's remote time); -1 when none. */
  private waitStart = -1
  private waitEnd = -1

  constructor(
    readonly header: RequestHeader,
    readonly connection: ConnectionInfo,
    readonly broker: BrokerServices
  ) {}

  /**
   * A wait of this request in a purgatory (acks=all, fetch.min.bytes), from `start` to `end` (performance.now()).
   * Waits of several partitions overlap: the remote time is the span from the first start to the last end.
   */
  recordWait(start: number, end: number): void {
    if (this.waitStart < 0 || start < this.waitStart) this.waitStart = start
    if (end > this.waitEnd) this.waitEnd = end
  }

  /** Milliseconds the request spent waiting in a purgatory (0 when it did not wait). */
  get remoteTimeMs(): number {
    return this.waitStart < 0 ? 0 : this.waitEnd - this.waitStart
  }

  get apiVersion(): number {
    return this.header.requestApiVersion
  }

  /** Who sent the request; handlers only run once the connection has authenticated. */
  get principal(): KafkaPrincipal {
    return this.connection.principal?.() ?? ANONYMOUS
  }

  get clientId(): string | null {
    return this.header.clientId ?? null
  }

  /** A logger bound to this request; created on first use because most requests never log. */
  get logger(): Logger {
    this.childLogger ??= this.broker.logger.child({
      connectionId: this.connection.connectionId,
      apiKey: this.header.requestApiKey,
      apiVersion: this.header.requestApiVersion,
      correlationId: this.header.correlationId
    })
    return this.childLogger
  }
}
