import { connect, type Socket } from 'node:net'
import { decodeResponseFrame, encodeRequestFrame } from '../protocol/frame.js'
import { FrameDecoder } from '../protocol/frame-decoder.js'

/** A response larger than this means a corrupt stream: the connection is failed, not buffered for. */
const MAX_RESPONSE_BYTES = 256 * 1024 * 1024
/**
 * Every connection of this process reads into this one buffer (net.connect's `onread`), and the decoder
 * copies each byte once into the response that keeps it: no allocation per read.
 */
const sharedReadBuffer = Buffer.allocUnsafe(256 * 1024)

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
export class BrokerConnection {
  private socket: Socket | null = null
  private connecting: Promise<Socket> | null = null
  private decoder = new FrameDecoder(MAX_RESPONSE_BYTES)
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
      const decoder = new FrameDecoder(MAX_RESPONSE_BYTES)
      const socket = connect({
        host: endpoint.host,
        port: endpoint.port,
        onread: {
          buffer: sharedReadBuffer,
          callback: (nread: number, buf: Uint8Array) => {
            // Bytes before 'connect' cannot arrive: the leader answers only requests.
            decoder.pushTransient(Buffer.from(buf.buffer, buf.byteOffset, nread))
            if (this.socket === socket) this.onFrames()
            return true
          }
        }
      })
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
        this.decoder = decoder
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

  private onFrames(): void {
    for (;;) {
      let payload: Buffer | null
      try {
        payload = this.decoder.next()
      } catch (err) {
        this.fail(err instanceof Error ? err : new Error(String(err)))
        return
      }
      if (payload === null) return
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
