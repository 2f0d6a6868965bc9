/** What a handler knows about the request it is serving besides the request body. */

import type { Logger } from '../common/logger.js'
import type { KafkaConfig } from '../config/kafka-config.js'
import type { RequestHeader } from '../protocol/messages/request-header.js'
import { ANONYMOUS, type KafkaPrincipal } from '../security/kafka-principal.js'
import type { ApiRegistry } from './api-registry.js'
import type { ConnectionInfo } from './kafka-connection.js'

/**
 * Broker-wide services shared by all handlers. Storage (LogManager) and cluster metadata are deliberately not
 * here: handlers that need them are built with them (e.g. `createProduceHandler(logManager)`), which keeps this
 * interface narrow and each handler's dependencies explicit.
 */
export interface BrokerServices {
  readonly config: KafkaConfig
  readonly logger: Logger
  readonly apiRegistry: ApiRegistry
}

export class RequestContext {
  private childLogger: Logger | undefined

  constructor(
    readonly header: RequestHeader,
    readonly connection: ConnectionInfo,
    readonly broker: BrokerServices
  ) {}

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
