/**
 * Accepts TCP connections on each configured listener and hands every socket to a KafkaConnection.
 * Kafka's SocketServer has acceptor and processor threads; on Node one event loop does both, so this class only
 * owns the listening sockets and the set of live connections. Methods run on the event loop.
 * SSL and SASL_SSL listeners accept TLS (a connection exists once its handshake is done); SASL listeners put
 * an authenticator from src/security in front of the request pipeline.
 */

import { type AddressInfo, createServer, type Server, type Socket } from 'node:net'
import {
  createServer as createTlsServer,
  type TLSSocket,
  type TlsOptions,
  type Server as TlsServer
} from 'node:tls'
import type { BrokerBufferPools } from '../common/buffer-pool.js'
import type { Logger } from '../common/logger.js'
import type { EndPoint } from '../config/end-point.js'
import { ConnectionAuthenticator } from '../security/connection-authenticator.js'
import { ANONYMOUS, type KafkaPrincipal } from '../security/kafka-principal.js'
import { DEFAULT_SASL_MAX_RECEIVE_BYTES, type ListenerSecurity } from '../security/listener-security.js'
import { sslPeerPrincipal } from '../security/ssl/ssl-peer-principal.js'
import { authenticatedProcessor } from './authenticated-processor.js'
import type { ConnectionQuotas } from './connection-quotas.js'
import { type ConnectionLimits, KafkaConnection, type RequestProcessor } from './kafka-connection.js'
import type { ConnectionStats, RequestStats } from './request-stats.js'

const READ_BUFFER_BYTES = 256 * 1024
/** A TLS client that has not finished its handshake by then is dropped (Node's default is 120 s). */
const TLS_HANDSHAKE_TIMEOUT_MS = 10_000

export interface SocketServerOptions {
  readonly listeners: readonly EndPoint[]
  readonly limits: ConnectionLimits
  readonly processor: RequestProcessor
  readonly logger: Logger
  /** Shared by every connection, and with the fetch path that leases from `fetchReads`. */
  readonly pools: BrokerBufferPools
  /** Each listener's security, by listener name; a listener without an entry is PLAINTEXT. */
  readonly security?: () => ReadonlyMap<string, ListenerSecurity>
  /** Connection limits and connection creation rates (see connection-quotas.ts); none without. */
  readonly connectionQuotas?: ConnectionQuotas
  /** Plain-number counters for /metrics (see request-stats.ts). */
  readonly requestStats?: RequestStats
  readonly connectionStats?: ConnectionStats
}

/** A connection waiting for a slot or for its listener's creation throttle to pass. */
interface PendingAccept {
  readonly socket: Socket
  readonly notBeforeMs: number
  readonly admit: () => void
}

export class SocketServer {
  private readonly servers: Server[] = []
  private readonly bound: EndPoint[] = []
  private readonly connections = new Set<KafkaConnection>()
  /** TLS sockets still in their handshake, by peer address: no KafkaConnection owns them yet. */
  private readonly handshaking = new Map<string, Socket>()
  /** The TLS servers by listener name, and the TLS options set at run time (KIP-226) by listener name. */
  private readonly tlsServers = new Map<string, TlsServer>()
  private readonly reloadedTls = new Map<string, TlsOptions>()
  private nextConnectionIndex = 0
  private readonly pendingAccepts = new Map<string, PendingAccept[]>()
  private readonly pendingTimers = new Map<string, NodeJS.Timeout>()
  /** Connections created too fast by their IP, closed once their throttle has passed (KIP-612). */
  private readonly throttledSockets = new Set<Socket>()
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
      this.acceptWithinQuotas(socket, listenerName, security, ANONYMOUS)
    )
  }

  /**
   * New keystore or truststore for a TLS listener (KIP-226): connections accepted from now on handshake with
   * `options`, established ones carry on with the context they have. Before startup, the listener starts
   * with them. The caller has validated them (createSecureContext succeeded).
   */
  reloadTls(listenerName: string, options: TlsOptions): void {
    this.reloadedTls.set(listenerName, options)
    this.tlsServers.get(listenerName)?.setSecureContext(options)
  }

  /** The TLS options a listener's new connections use (those of the last reload, else the configured ones). */
  tlsOptionsInUse(listenerName: string): TlsOptions | undefined {
    return this.reloadedTls.get(listenerName) ?? this.options.security?.().get(listenerName)?.tls?.options
  }

  /** A TLS listener; bytes that are not a TLS handshake (a plaintext client) only cost that one socket. */
  private tlsServer(security: ListenerSecurity): Server {
    const options = this.reloadedTls.get(security.listenerName) ?? security.tls!.options
    const server = createTlsServer({
      ...security.tls!.options,
      ...options,
      allowHalfOpen: true,
      noDelay: true,
      handshakeTimeout: TLS_HANDSHAKE_TIMEOUT_MS
    })
    this.tlsServers.set(security.listenerName, server)
    // Half-open is for established connections; a peer that goes away mid-handshake raises no event at all,
    // so such sockets are tracked and destroyed at shutdown (or by the handshake timeout before that).
    server.on('connection', (raw: Socket) => {
      const peer = `${raw.remoteAddress}:${raw.remotePort}`
      this.handshaking.set(peer, raw)
      raw.once('close', () => this.handshaking.delete(peer))
    })
    server.on('secureConnection', (socket: TLSSocket) => {
      this.handshaking.delete(`${socket.remoteAddress}:${socket.remotePort}`)
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
      this.acceptWithinQuotas(socket, security.listenerName, security, principal)
    })
    server.on('tlsClientError', (err, socket) => {
      this.options.logger.debug(
        { clientAddress: socket.remoteAddress, listener: security.listenerName, reason: err.message },
        'TLS handshake failed'
      )
      // With a listener attached Node leaves the socket open; nothing will ever be served on it.
      socket.destroy()
    })
    return server
  }

  /** Holds a new connection to the connection quotas before it is served, as Kafka's acceptor does. */
  private acceptWithinQuotas(
    socket: Socket,
    listenerName: string,
    security: ListenerSecurity | undefined,
    tlsPrincipal: KafkaPrincipal
  ): void {
    const quotas = this.options.connectionQuotas
    if (quotas === undefined) {
      this.accept(socket, listenerName, security, tlsPrincipal)
      return
    }
    const waitMs = quotas.recordCreation(listenerName)
    const queue = this.pendingAccepts.get(listenerName) ?? []
    this.pendingAccepts.set(listenerName, queue)
    queue.push({
      socket,
      notBeforeMs: Date.now() + waitMs,
      admit: () => this.admit(quotas, socket, listenerName, security, tlsPrincipal)
    })
    this.drainPendingAccepts(listenerName)
  }

  private admit(
    quotas: ConnectionQuotas,
    socket: Socket,
    listenerName: string,
    security: ListenerSecurity | undefined,
    tlsPrincipal: KafkaPrincipal
  ): void {
    const address = socket.remoteAddress ?? 'unknown'
    const verdict = quotas.admit(listenerName, address)
    if (verdict.kind === 'too-many') {
      this.options.logger.info(
        { clientAddress: address, listener: listenerName, max: verdict.max },
        'rejected connection: too many connections from this address (max.connections.per.ip)'
      )
      socket.destroy()
      return
    }
    if (verdict.kind === 'throttled') {
      this.options.logger.info(
        { clientAddress: address, listener: listenerName, throttleTimeMs: verdict.throttleTimeMs },
        'throttling connection: connection_creation_rate of this address exceeded'
      )
      socket.pause()
      this.throttledSockets.add(socket)
      const timer = setTimeout(() => socket.destroy(), verdict.throttleTimeMs)
      socket.once('close', () => {
        clearTimeout(timer)
        this.throttledSockets.delete(socket)
      })
      return
    }
    socket.once('close', () => {
      quotas.release(listenerName, address)
      for (const name of this.pendingAccepts.keys()) this.drainPendingAccepts(name)
    })
    this.accept(socket, listenerName, security, tlsPrincipal)
  }

  /** Serves the listener's waiting connections, in order, while they have a slot and their throttle passed. */
  private drainPendingAccepts(listenerName: string): void {
    const quotas = this.options.connectionQuotas
    const queue = this.pendingAccepts.get(listenerName)
    if (quotas === undefined || queue === undefined) return
    while (queue.length > 0) {
      const head = queue[0]!
      if (head.socket.destroyed) {
        queue.shift()
        continue
      }
      const waitMs = head.notBeforeMs - Date.now()
      if (waitMs > 0) {
        if (!this.pendingTimers.has(listenerName)) {
          const timer = setTimeout(() => {
            this.pendingTimers.delete(listenerName)
            this.drainPendingAccepts(listenerName)
          }, waitMs)
          this.pendingTimers.set(listenerName, timer)
        }
        return
      }
      // Woken again when a connection closes.
      if (!quotas.slotAvailable(listenerName)) return
      queue.shift()
      head.admit()
    }
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
      {
        connectionId,
        listenerName,
        clientAddress,
        clientPort,
        principal,
        throttle: (ms) => connection.throttle(ms)
      },
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
    for (const raw of this.handshaking.values()) raw.destroy()
    for (const timer of this.pendingTimers.values()) clearTimeout(timer)
    this.pendingTimers.clear()
    for (const queue of this.pendingAccepts.values()) for (const p of queue.splice(0)) p.socket.destroy()
    for (const socket of this.throttledSockets) socket.destroy()
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
