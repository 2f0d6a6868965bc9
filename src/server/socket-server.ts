/**
 * Accepts TCP connections on each configured listener and hands every socket to a KafkaConnection.
 * Kafka's SocketServer has acceptor and processor threads; on Node one event loop does both, so this class only
 * owns the listening sockets and the set of live connections. Methods run on the event loop.
 * SSL and SASL_SSL listeners accept TLS (a connection exists once its handshake is done); SASL listeners put
 * an authenticator from src/security in front of the request pipeline.
 */

import { type AddressInfo, createServer, type Server, type Socket } from 'node:net'
import { createServer as createTlsServer, type TLSSocket } from 'node:tls'
import type { BrokerBufferPools } from '../common/buffer-pool.js'
import type { Logger } from '../common/logger.js'
import type { EndPoint } from '../config/end-point.js'
import { ConnectionAuthenticator } from '../security/connection-authenticator.js'
import { ANONYMOUS, type KafkaPrincipal } from '../security/kafka-principal.js'
import { DEFAULT_SASL_MAX_RECEIVE_BYTES, type ListenerSecurity } from '../security/listener-security.js'
import { sslPeerPrincipal } from '../security/ssl/ssl-peer-principal.js'
import { authenticatedProcessor } from './authenticated-processor.js'
import { type ConnectionLimits, KafkaConnection, type RequestProcessor } from './kafka-connection.js'
import type { ConnectionStats, RequestStats } from './request-stats.js'

const READ_BUFFER_BYTES = 256 * 1024

export interface SocketServerOptions {
  readonly listeners: readonly EndPoint[]
  readonly limits: ConnectionLimits
  readonly processor: RequestProcessor
  readonly logger: Logger
  /** Shared by every connection, and with the fetch path that leases from `fetchReads`. */
  readonly pools: BrokerBufferPools
  /** Each listener's security, by listener name; a listener without an entry is PLAINTEXT. */
  readonly security?: () => ReadonlyMap<string, ListenerSecurity>
  /** Plain-number counters for /metrics (see request-stats.ts). */
  readonly requestStats?: RequestStats
  readonly connectionStats?: ConnectionStats
}

export class SocketServer {
  private readonly servers: Server[] = []
  private readonly bound: EndPoint[] = []
  private readonly connections = new Set<KafkaConnection>()
  private nextConnectionIndex = 0
  /**
   * Every connection reads into this one buffer and copies out what it keeps. Larger than Node's 64 KiB
   * default, so a produce request of a megabyte takes fewer reads.
   */
  private readonly readBuffer = Buffer.allocUnsafe(READ_BUFFER_BYTES)

  constructor(private readonly options: SocketServerOptions) {}

  /** The listeners with the ports actually bound (differs from the configuration when it asked for port 0). */
  get boundEndPoints(): readonly EndPoint[] {
    return this.bound
  }

  get connectionCount(): number {
    return this.connections.size
  }

  async startup(): Promise<void> {
    const securities = this.options.security?.() ?? new Map<string, ListenerSecurity>()
    for (const endPoint of this.options.listeners) {
      const security = securities.get(endPoint.listenerName)
      const server = security?.tls
        ? this.tlsServer(security)
        : this.tcpServer(endPoint.listenerName, security)
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject)
        // An empty host binds every interface, as in Kafka.
        const host = endPoint.host === '' ? undefined : endPoint.host
        server.listen({ port: endPoint.port, host }, () => {
          server.off('error', reject)
          resolve()
        })
      })
      server.on('error', (err) =>
        this.options.logger.error({ err, listener: endPoint.listenerName }, 'listener error')
      )
      this.servers.push(server)
      const port = (server.address() as AddressInfo).port
      this.bound.push({ ...endPoint, port })
      this.options.logger.info({ listener: endPoint.listenerName, host: endPoint.host, port }, 'listening')
    }
  }

  private tcpServer(listenerName: string, security: ListenerSecurity | undefined): Server {
    return createServer({ allowHalfOpen: true, noDelay: true, pauseOnConnect: true }, (socket) =>
      this.accept(socket, listenerName, security, ANONYMOUS)
    )
  }

  /** A TLS listener; bytes that are not a TLS handshake (a plaintext client) only cost that one socket. */
  private tlsServer(security: ListenerSecurity): Server {
    const server = createTlsServer({ ...security.tls!.options, allowHalfOpen: true, noDelay: true })
    server.on('secureConnection', (socket: TLSSocket) => {
      let principal: KafkaPrincipal
      try {
        const mapper = security.saslMechanisms === null ? security.principalMapper : null
        principal = sslPeerPrincipal(socket, mapper)
      } catch (err) {
        this.options.logger.warn(
          {
            clientAddress: socket.remoteAddress,
            listener: security.listenerName,
            reason: (err as Error).message
          },
          'failed authentication'
        )
        socket.destroy()
        return
      }
      this.accept(socket, security.listenerName, security, principal)
    })
    server.on('tlsClientError', (err, socket) =>
      this.options.logger.debug(
        { clientAddress: socket.remoteAddress, listener: security.listenerName, reason: err.message },
        'TLS handshake failed'
      )
    )
    return server
  }

  private accept(
    socket: Socket,
    listenerName: string,
    security: ListenerSecurity | undefined,
    tlsPrincipal: KafkaPrincipal
  ): void {
    const clientAddress = socket.remoteAddress ?? 'unknown'
    const clientPort = socket.remotePort ?? 0
    const connectionId = `${socket.localAddress}:${socket.localPort}-${clientAddress}:${clientPort}-${this.nextConnectionIndex++}`
    let processor = this.options.processor
    let principal = (): KafkaPrincipal | null => tlsPrincipal
    let limits = this.options.limits
    if (security?.saslMechanisms) {
      // Until it authenticates, a SASL connection may send only small requests (sasl.server.max.receive.size).
      const saslMax = security.saslMaxReceiveBytes ?? DEFAULT_SASL_MAX_RECEIVE_BYTES
      const maxRequestBytes = Math.min(saslMax, limits.maxRequestBytes)
      limits = { ...limits, maxRequestBytes }
      const authenticator = new ConnectionAuthenticator(
        security,
        {
          connectionId,
          clientAddress,
          close: () => void connection.close(),
          logger: this.options.logger,
          onAuthenticated: () => connection.setMaxRequestBytes(this.options.limits.maxRequestBytes),
          onAuthenticationResult: (mechanism, success) =>
            this.options.connectionStats?.authentication(mechanism, success)
        },
        tlsPrincipal
      )
      processor = authenticatedProcessor(authenticator, this.options.processor)
      principal = () => authenticator.principal
    }
    const connection: KafkaConnection = new KafkaConnection(
      socket,
      { connectionId, listenerName, clientAddress, clientPort, principal },
      processor,
      limits,
      this.options.logger,
      this.options.pools,
      // TLS sockets decrypt into their own buffers; only plain TCP sockets read into the shared one.
      security?.tls ? undefined : this.readBuffer,
      this.options.requestStats
    )
    this.connections.add(connection)
    this.options.connectionStats?.connectionCreated(listenerName)
    this.options.logger.debug({ connectionId }, 'connection accepted')
    void connection.whenClosed.then(() => {
      this.connections.delete(connection)
      this.options.connectionStats?.connectionClosed(listenerName)
      this.options.logger.debug({ connectionId }, 'connection closed')
    })
  }

  /**
   * Stops accepting, lets every connection finish and write its in-flight requests, then closes it. Connections
   * still open after `graceMs` are destroyed.
   */
  async shutdown(graceMs: number): Promise<void> {
    const listening = this.servers.map((s) => new Promise<void>((resolve) => s.close(() => resolve())))
    const closing = [...this.connections].map((c) => c.close())
    let timer: NodeJS.Timeout | undefined
    const timedOut = new Promise<boolean>((resolve) => {
      timer = setTimeout(() => resolve(true), graceMs)
    })
    const finished = await Promise.race([Promise.all(closing).then(() => false), timedOut])
    clearTimeout(timer)
    if (finished) {
      this.options.logger.warn(
        { connections: this.connections.size },
        'destroying connections after shutdown grace period'
      )
      for (const c of this.connections) c.destroy()
    }
    await Promise.all(listening)
  }
}
