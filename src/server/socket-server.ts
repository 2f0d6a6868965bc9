/**
 * Accepts TCP connections on each configured listener and hands every socket to a KafkaConnection.
 * Kafka's SocketServer has acceptor and processor threads; on Node one event loop does both, so this class only
 * owns the listening sockets and the set of live connections. Methods run on the event loop.
 */

import { type AddressInfo, createServer, type Server, type Socket } from 'node:net'
import type { BrokerBufferPools } from '../common/buffer-pool.js'
import type { Logger } from '../common/logger.js'
import type { EndPoint } from '../config/end-point.js'
import { type ConnectionLimits, KafkaConnection, type RequestProcessor } from './kafka-connection.js'

const READ_BUFFER_BYTES = 256 * 1024

export interface SocketServerOptions {
  readonly listeners: readonly EndPoint[]
  readonly limits: ConnectionLimits
  readonly processor: RequestProcessor
  readonly logger: Logger
  /** Shared by every connection, and with the fetch path that leases from `fetchReads`. */
  readonly pools: BrokerBufferPools
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
    for (const endPoint of this.options.listeners) {
      const server = createServer({ allowHalfOpen: true, noDelay: true, pauseOnConnect: true }, (socket) =>
        this.accept(socket, endPoint.listenerName)
      )
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

  private accept(socket: Socket, listenerName: string): void {
    const clientAddress = socket.remoteAddress ?? 'unknown'
    const clientPort = socket.remotePort ?? 0
    const connectionId = `${socket.localAddress}:${socket.localPort}-${clientAddress}:${clientPort}-${this.nextConnectionIndex++}`
    const connection = new KafkaConnection(
      socket,
      { connectionId, listenerName, clientAddress, clientPort },
      this.options.processor,
      this.options.limits,
      this.options.logger,
      this.options.pools,
      this.readBuffer
    )
    this.connections.add(connection)
    this.options.logger.debug({ connectionId }, 'connection accepted')
    void connection.whenClosed.then(() => {
      this.connections.delete(connection)
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
