import { connect, type Socket } from 'node:net'
import { decodeResponseFrame, encodeRequestFrame } from '../protocol/frame.js'

interface InFlight {
  apiKey: number
  apiVersion: number
  resolve: (body: unknown) => void
  reject: (err: Error) => void
  timer: NodeJS.Timeout
}

/**
 * One persistent connection from a follower to a partition leader, the broker-to-broker client of a replica
 * fetcher (Kafka's BlockingSend, but asynchronous): requests are pipelined with correlation ids and each has
 * its own timeout. Any socket error or timeout fails every request in flight and closes the connection; the
 * next request opens a new one, so a leader that restarted is reached again without extra state.
 *
 * Event loop: all I/O is asynchronous; response payloads are decoded as they arrive.
 */
export class ReplicaFetcherConnection {
  private socket: Socket | null = null
  private connecting: Promise<Socket> | null = null
  private buffered: Buffer = Buffer.alloc(0)
  private readonly inFlight = new Map<number, InFlight>()
  private correlationId = 0
  private closed = false

  constructor(
    private readonly endpoint: () => { host: string; port: number } | undefined,
    private readonly clientId: string
  ) {}

  async request<Res>(apiKey: number, apiVersion: number, body: unknown, timeoutMs: number): Promise<Res> {
    const socket = await this.ensureConnected(timeoutMs)
    this.correlationId = (this.correlationId + 1) & 0x7fffffff
    const correlationId = this.correlationId
    const frame = encodeRequestFrame(
      { requestApiKey: apiKey, requestApiVersion: apiVersion, correlationId, clientId: this.clientId },
      body
    )
    return new Promise<Res>((resolve, reject) => {
      const timer = setTimeout(
        () => this.fail(new Error(`no answer to api ${apiKey} within ${timeoutMs} ms`)),
        timeoutMs
      )
      this.inFlight.set(correlationId, {
        apiKey,
        apiVersion,
        resolve: resolve as (body: unknown) => void,
        reject,
        timer
      })
      socket.write(frame)
    })
  }

  /** Closes the connection for good; requests in flight fail. */
  close(): void {
    this.closed = true
    this.fail(new Error('connection closed'))
  }

  private ensureConnected(timeoutMs: number): Promise<Socket> {
    if (this.closed) return Promise.reject(new Error('connection closed'))
    if (this.socket) return Promise.resolve(this.socket)
    if (this.connecting) return this.connecting
    const endpoint = this.endpoint()
    if (!endpoint) return Promise.reject(new Error('the leader has no known endpoint'))
    this.connecting = new Promise<Socket>((resolve, reject) => {
      const socket = connect({ host: endpoint.host, port: endpoint.port })
      socket.setNoDelay(true)
      const timer = setTimeout(() => {
        socket.destroy()
        reject(new Error(`cannot connect to ${endpoint.host}:${endpoint.port} within ${timeoutMs} ms`))
      }, timeoutMs)
      socket.once('connect', () => {
        clearTimeout(timer)
        socket.removeAllListeners('error')
        socket.on('error', (err) => this.fail(err))
        socket.on('close', () =>
          this.fail(new Error(`${endpoint.host}:${endpoint.port} closed the connection`))
        )
        socket.on('data', (chunk: Buffer) => this.onData(chunk))
        this.socket = socket
        resolve(socket)
      })
      socket.once('error', (err) => {
        clearTimeout(timer)
        socket.destroy()
        reject(err)
      })
    })
    const pending = this.connecting
    pending.then(
      () => {
        this.connecting = null
      },
      () => {
        this.connecting = null
      }
    )
    return pending
  }

  private onData(chunk: Buffer): void {
    this.buffered = this.buffered.length === 0 ? chunk : Buffer.concat([this.buffered, chunk])
    while (this.buffered.length >= 4) {
      const size = this.buffered.readInt32BE(0)
      if (this.buffered.length < 4 + size) return
      const payload = this.buffered.subarray(4, 4 + size)
      this.buffered = this.buffered.subarray(4 + size)
      const correlationId = payload.readInt32BE(0)
      const pending = this.inFlight.get(correlationId)
      if (!pending) continue
      this.inFlight.delete(correlationId)
      clearTimeout(pending.timer)
      try {
        pending.resolve(decodeResponseFrame(pending.apiKey, pending.apiVersion, payload).body)
      } catch (err) {
        pending.reject(err instanceof Error ? err : new Error(String(err)))
      }
    }
  }

  private fail(err: Error): void {
    const socket = this.socket
    this.socket = null
    this.buffered = Buffer.alloc(0)
    socket?.removeAllListeners()
    socket?.on('error', () => {})
    socket?.destroy()
    for (const pending of this.inFlight.values()) {
      clearTimeout(pending.timer)
      pending.reject(err)
    }
    this.inFlight.clear()
  }
}
