/**
 * The broker: wires configuration, logging, the API registry, the request pipeline and the socket server, and
 * runs the lifecycle of the components that own state (storage, cluster metadata, coordinators).
 */

import type { TlsOptions } from 'node:tls'
import { type BrokerBufferPools, createBrokerBufferPools } from '../common/buffer-pool.js'
import type { Logger } from '../common/logger.js'
import type { EndPoint } from '../config/end-point.js'
import type { KafkaConfig } from '../config/kafka-config.js'
import { DenialAuditLog } from '../security/authorizer/denial-audit-log.js'
import type { StandardAuthorizer } from '../security/authorizer/standard-authorizer.js'
import { type ListenerSecurity, listenerSecurity } from '../security/listener-security.js'
import type { SaslMechanismContext } from '../security/sasl/sasl-mechanisms.js'
import type { SaslServerFactory } from '../security/sasl/sasl-server.js'
import { type ApiHandler, ApiRegistry } from './api-registry.js'
import { ConnectionQuotas } from './connection-quotas.js'
import { defaultHandlers } from './handlers/index.js'
import type { ConnectionLimits } from './kafka-connection.js'
import type { ClientQuotas } from './quota/client-quotas.js'
import { type PipelineServices, RequestPipeline } from './request-pipeline.js'
import { ConnectionStats, RequestStats } from './request-stats.js'
import { SocketServer } from './socket-server.js'

/**
 * Something with state the broker must start before serving and stop after the last request (LogManager,
 * the metadata cache, group and transaction coordinators). Started in order, shut down in reverse.
 */
export interface BrokerComponent {
  readonly name: string
  startup(): Promise<void>
  shutdown(): Promise<void>
}

export interface KafkaServerOptions {
  readonly config: KafkaConfig
  readonly logger: Logger
  /** Defaults to defaultHandlers(). */
  readonly handlers?: readonly ApiHandler[]
  readonly components?: readonly BrokerComponent[]
  readonly limits?: Partial<Omit<ConnectionLimits, 'maxRequestBytes'>>
  /** How long shutdown waits for in-flight requests before closing connections forcibly. */
  readonly shutdownGraceMs?: number
  /** Runs first on shutdown while requests are still served (controlled shutdown); its failure is logged. */
  readonly beforeShutdown?: () => Promise<void>
  /**
   * The pools the connections use. The Fetch handler must lease from the same `fetchReads`, so a broker with
   * one passes the pools it gave that handler; without, the server has pools of its own.
   */
  readonly bufferPools?: BrokerBufferPools
  /** What SASL mechanisms read at authentication time (SCRAM credentials, AWS access keys, advertised hosts). */
  readonly saslContext?: SaslMechanismContext
  /** Client quotas the requests are served under (see quota/request-throttling.ts). */
  readonly quotas?: ClientQuotas
  /** The ACL authorizer handlers consult (authorizer.class.name); none: every request is allowed. */
  readonly authorizer?: StandardAuthorizer | null
}

const DEFAULT_MAX_IN_FLIGHT_REQUESTS = 64
const DEFAULT_MAX_QUEUED_RESPONSE_BYTES = 1024 * 1024
const DEFAULT_SHUTDOWN_GRACE_MS = 30_000

type State = 'new' | 'starting' | 'running' | 'stopping' | 'stopped'

export class KafkaServer {
  readonly config: KafkaConfig
  readonly logger: Logger
  readonly apiRegistry: ApiRegistry
  /** Plain-number request and connection counters, read by the admin listener's /metrics. */
  readonly requestStats = new RequestStats()
  readonly connectionStats = new ConnectionStats()
  private readonly components: readonly BrokerComponent[]
  private readonly socketServer: SocketServer
  private readonly shutdownGraceMs: number
  private state: State = 'new'
  private started: BrokerComponent[] = []
  private stopping: Promise<void> | null = null
  private readonly beforeShutdown: (() => Promise<void>) | undefined
  private security: Map<string, ListenerSecurity> | undefined
  private readonly saslContext: SaslMechanismContext

  constructor(options: KafkaServerOptions) {
    this.config = options.config
    this.logger = options.logger
    this.apiRegistry = new ApiRegistry(options.handlers ?? defaultHandlers())
    this.components = options.components ?? []
    this.shutdownGraceMs = options.shutdownGraceMs ?? DEFAULT_SHUTDOWN_GRACE_MS
    this.beforeShutdown = options.beforeShutdown
    this.saslContext = options.saslContext ?? {}
    const services: PipelineServices = {
      config: this.config,
      logger: this.logger,
      apiRegistry: this.apiRegistry,
      quotas: options.quotas,
      authorizer: () => options.authorizer ?? null,
      denials: new DenialAuditLog(this.logger.child({ name: 'kafka.authorizer.logger' }))
    }
    const connectionQuotas = new ConnectionQuotas(this.config)
    options.quotas?.onApply((image) => connectionQuotas.updateIpQuotas(image.quotas))
    this.socketServer = new SocketServer({
      connectionQuotas,
      listeners: this.config.listeners,
      limits: {
        maxRequestBytes: this.config.socketRequestMaxBytes,
        maxInFlightRequests: options.limits?.maxInFlightRequests ?? DEFAULT_MAX_IN_FLIGHT_REQUESTS,
        maxQueuedResponseBytes: options.limits?.maxQueuedResponseBytes ?? DEFAULT_MAX_QUEUED_RESPONSE_BYTES
      },
      processor: new RequestPipeline(services, this.requestStats),
      requestStats: this.requestStats,
      connectionStats: this.connectionStats,
      logger: this.logger,
      pools: options.bufferPools ?? createBrokerBufferPools(),
      security: () => this.security ?? new Map()
    })
  }

  async start(): Promise<void> {
    if (this.state !== 'new') throw new Error(`cannot start a broker that is ${this.state}`)
    this.state = 'starting'
    this.logger.info({ nodeId: this.config.nodeId, logDirs: this.config.logDirs }, 'starting broker')
    // Keystores, truststores and JAAS users are read first, so a bad one stops the broker before it opens logs.
    this.security = new Map(
      this.config.listeners.map((l) => [l.listenerName, listenerSecurity(this.config, l, this.saslContext)])
    )
    for (const c of this.components) {
      await c.startup()
      this.started.push(c)
      this.logger.info({ component: c.name }, 'component started')
    }
    await this.socketServer.startup()
    this.state = 'running'
    this.logger.info({ nodeId: this.config.nodeId, listeners: this.boundEndPoints }, 'started')
  }

  /** Replaces a TLS listener's keystore and truststore for new connections (see SocketServer.reloadTls). */
  reloadListenerTls(listenerName: string, options: TlsOptions): void {
    this.socketServer.reloadTls(listenerName, options)
  }

  /** The TLS options a listener's new connections use. */
  listenerTlsOptions(listenerName: string): TlsOptions | undefined {
    return this.socketServer.tlsOptionsInUse(listenerName)
  }

  /** new, starting, running, stopping or stopped (for /readyz). */
  get lifecycleState(): State {
    return this.state
  }

  /** The SASL mechanisms the listeners enable (the first listener's factory of each); empty before start. */
  saslMechanisms(): ReadonlyMap<string, SaslServerFactory> {
    const out = new Map<string, SaslServerFactory>()
    for (const security of this.security?.values() ?? []) {
      for (const [name, factory] of security.saslMechanisms ?? []) if (!out.has(name)) out.set(name, factory)
    }
    return out
  }

  /** Open client connections. */
  get connectionCount(): number {
    return this.socketServer.connectionCount
  }

  /** Listeners with their bound ports. */
  get boundEndPoints(): readonly EndPoint[] {
    return this.socketServer.boundEndPoints
  }

  /**
   * What Metadata should tell clients: `advertised.listeners`, with port 0 replaced by the port the listener of
   * the same name bound, and a wildcard host replaced by the bound host.
   */
  advertisedEndPoints(): EndPoint[] {
    return this.config.advertisedListeners.map((a) => {
      const bound = this.boundEndPoints.find((b) => b.listenerName === a.listenerName)
      if (!bound) return a
      const host =
        a.host === '' || a.host === '0.0.0.0' || a.host === '::' ? bound.host || '127.0.0.1' : a.host
      return { ...a, host, port: a.port === 0 ? bound.port : a.port }
    })
  }

  /** Stops accepting, finishes in-flight requests, then shuts components down in reverse order. Idempotent. */
  shutdown(): Promise<void> {
    this.stopping ??= this.doShutdown()
    return this.stopping
  }

  private async doShutdown(): Promise<void> {
    this.state = 'stopping'
    this.logger.info('shutting down')
    if (this.beforeShutdown && this.started.length > 0) {
      try {
        await this.beforeShutdown()
      } catch (err) {
        this.logger.error({ err }, 'controlled shutdown failed; shutting down anyway')
      }
    }
    await this.socketServer.shutdown(this.shutdownGraceMs)
    for (const c of this.started.reverse()) {
      try {
        await c.shutdown()
        this.logger.info({ component: c.name }, 'component stopped')
      } catch (err) {
        this.logger.error({ err, component: c.name }, 'component failed to shut down')
      }
    }
    this.started = []
    this.state = 'stopped'
    this.logger.info('shutdown complete')
  }
}
