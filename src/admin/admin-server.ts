/**
 * The admin HTTP listener (fastify) on every broker: /metrics (Prometheus text), /healthz, /readyz and the
 * JSON admin API under /v1. It binds each `admin.listeners` URL before the broker's components start, so
 * /readyz can say what it is still waiting for.
 *
 * https URLs use the TLS settings (ssl.*) of the broker's first TLS listener. When the broker authenticates
 * with SASL, every path but /healthz and /readyz (probes) requires HTTP Basic authentication against the
 * broker's PLAIN and SCRAM users; a listener reachable beyond loopback without it is logged as a warning.
 * A listener that cannot bind is logged and skipped: the Kafka listeners serve regardless.
 */

import Fastify, { type FastifyInstance, type FastifyRequest } from 'fastify'
import type { Logger } from '../common/logger.js'
import { ConfigError } from '../config/config-error.js'
import { sslListenerSettings } from '../security/ssl/ssl-server-options.js'
import { principalOf, registerAdminApi } from './admin-api.js'
import { AdminBasicAuth } from './admin-basic-auth.js'
import { type AdminListener, isLoopback, parseAdminListeners } from './admin-listener-config.js'
import { type AdminAuthorizer, type AdminSources, ALLOW_ALL } from './admin-sources.js'
import { notReadyReasons } from './health.js'
import { createBrokerMetrics } from './metrics/broker-metrics.js'

/** Paths served without authentication: orchestrators probe them without credentials. */
const OPEN_PATHS: ReadonlySet<string> = new Set(['/healthz', '/readyz'])

export interface BoundAdminListener extends AdminListener {
  readonly boundPort: number
}

export class AdminHttpServer {
  private readonly listeners: AdminListener[]
  private readonly apps: FastifyInstance[] = []
  private readonly bound: BoundAdminListener[] = []
  private readonly auth: AdminBasicAuth
  private readonly authRequired: boolean
  private readonly registry

  constructor(
    private readonly sources: AdminSources,
    private readonly logger: Logger,
    /** The ACL hook: the authorizer's decision per route once it lands (see AdminAuthorizer). */
    private readonly authorizer: AdminAuthorizer = ALLOW_ALL
  ) {
    this.listeners = parseAdminListeners(sources.config.getList('admin.listeners'))
    this.authRequired = sources.config.listeners.some((l) => l.securityProtocol.startsWith('SASL_'))
    this.auth = new AdminBasicAuth(sources.auth)
    this.registry = createBrokerMetrics(sources)
  }

  /** The listeners with the ports they bound. */
  get boundListeners(): readonly BoundAdminListener[] {
    return this.bound
  }

  async start(): Promise<void> {
    for (const listener of this.listeners) {
      const app = this.build(listener)
      try {
        await app.listen({ host: listener.host === '' ? '0.0.0.0' : listener.host, port: listener.port })
      } catch (err) {
        this.logger.error({ err, url: listener.url }, 'admin listener could not bind; serving without it')
        await app.close()
        continue
      }
      this.apps.push(app)
      const address = app.server.address()
      const boundPort = typeof address === 'object' && address !== null ? address.port : listener.port
      this.bound.push({ ...listener, boundPort })
      this.logger.info({ url: listener.url, host: listener.host, port: boundPort }, 'admin listening')
      if (!this.authRequired && !isLoopback(listener.host)) {
        this.logger.warn(
          { url: listener.url },
          'admin listener is reachable beyond loopback without authentication (the broker has no SASL listener)'
        )
      }
    }
  }

  async shutdown(): Promise<void> {
    await Promise.allSettled(this.apps.map((a) => a.close()))
    this.apps.length = 0
  }

  private build(listener: AdminListener): FastifyInstance {
    const app = Fastify({ logger: false, ...(listener.tls ? { https: this.tlsOptions(listener) } : {}) })
    app.addHook('onRequest', async (request, reply) => {
      if (!this.authRequired || OPEN_PATHS.has(request.url.split('?')[0]!)) return
      const result = await this.auth.verify(request.headers.authorization)
      if (result === null) {
        return reply
          .code(401)
          .header('www-authenticate', 'Basic realm="samsa"')
          .send({ error: 'unauthorized' })
      }
      ;(request as FastifyRequest & { samsaPrincipal?: string }).samsaPrincipal = `User:${result.user}`
    })
    app.get('/healthz', async () => ({ status: 'ok' }))
    app.get('/readyz', async (_request, reply) => {
      const reasons = notReadyReasons(this.sources)
      if (reasons.length > 0) return reply.code(503).send({ ready: false, reasons })
      return { ready: true }
    })
    app.get('/metrics', async (request, reply) => {
      if (
        !this.authorizer.authorize(principalOf(request), 'DESCRIBE', {
          type: 'CLUSTER',
          name: 'kafka-cluster'
        })
      )
        return reply.code(403).send({ error: 'not authorized' })
      const text = await this.registry.metrics()
      return reply.header('content-type', this.registry.contentType).send(text)
    })
    registerAdminApi(app, this.sources, this.authorizer)
    return app
  }

  /** The TLS settings of the broker's first TLS listener. */
  private tlsOptions(listener: AdminListener) {
    const tlsListener = this.sources.config.listeners.find(
      (l) => l.securityProtocol === 'SSL' || l.securityProtocol === 'SASL_SSL'
    )
    if (tlsListener === undefined) {
      throw ConfigError.invalidValue(
        'admin.listeners',
        listener.url,
        'https needs a broker listener with TLS (SSL or SASL_SSL) whose ssl.* settings it uses'
      )
    }
    return sslListenerSettings(this.sources.config, tlsListener.listenerName).tlsOptions
  }
}
