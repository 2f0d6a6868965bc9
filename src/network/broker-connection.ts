import { connect, isIP, type Socket } from 'node:net'
import { checkServerIdentity, connect as tlsConnect } from 'node:tls'
import { decodeResponseFrame, encodeRequestFrame } from '../protocol/frame.js'
import { FrameDecoder } from '../protocol/frame-decoder.js'
import { type BrokerChannelSecurity, PLAINTEXT_CHANNEL } from './broker-channel-security.js'
import { authenticateSasl } from './sasl-client-authentication.js'

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
 * On a secured inter-broker listener each new connection completes TLS (and SASL, SaslHandshake then
 * SaslAuthenticate) before its first request; a SASL session with a lifetime is replaced by a new connection
 * between requests once 90% of it has passed, instead of re-authenticating in place.
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
  /** When the peer's SASL session ends (KIP-368), null when it does not. */
  private sessionExpiresAt: number | null = null

  constructor(
    private readonly endpoint: () => { host: string; port: number } | undefined,
    private readonly clientId: string,
    private readonly security: BrokerChannelSecurity = PLAINTEXT_CHANNEL
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
    // KIP-368: a session the peer will end is replaced between requests, before the peer closes it.
    if (this.socket && this.sessionExpiresAt !== null && Date.now() >= this.sessionExpiresAt) {
      if (this.inFlight.size === 0) this.fail(new Error('SASL session expired'))
    }
    if (this.socket) return Promise.resolve(this.socket)
    if (this.connecting) return this.connecting
    const endpoint = this.endpoint()
    if (!endpoint) return Promise.reject(new Error('the leader has no known endpoint'))
    this.connecting = this.open(endpoint, timeoutMs)
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

  /** Connects, completes TLS and SASL when the channel asks for them, and installs the socket. */
  private open(endpoint: { host: string; port: number }, timeoutMs: number): Promise<Socket> {
    const where = `${endpoint.host}:${endpoint.port}`
    const security = this.security
    return new Promise<Socket>((resolve, reject) => {
      const decoder = new FrameDecoder(MAX_RESPONSE_BYTES)
      // Frames that arrive before the socket is installed answer the SASL exchange.
      let authWaiter: ((payload: Buffer) => void) | null = null
      const onBytes = (bytes: Buffer): void => {
        decoder.pushTransient(bytes)
        if (this.socket === socket) {
          this.onFrames()
          return
        }
        try {
          for (let p = decoder.next(); p !== null; p = decoder.next()) {
            const waiter = authWaiter
            authWaiter = null
            waiter?.(p)
          }
        } catch (err) {
          abort(err instanceof Error ? err : new Error(String(err)))
        }
      }
      const socket: Socket = security.tls
        ? tlsConnect({
            ...security.tls,
            host: endpoint.host,
            port: endpoint.port,
            // SNI takes host names only; an IP address is still checked against the certificate's IP SANs.
            ...(isIP(endpoint.host) === 0 ? { servername: endpoint.host } : {}),
            rejectUnauthorized: true,
            checkServerIdentity: security.hostnameVerification ? checkServerIdentity : () => undefined
          })
        : connect({
            host: endpoint.host,
            port: endpoint.port,
            onread: {
              buffer: sharedReadBuffer,
              callback: (nread: number, buf: Uint8Array) => {
                onBytes(Buffer.from(buf.buffer, buf.byteOffset, nread))
                return true
              }
            }
          })
      // A TLS socket cannot read into a caller's buffer: its decrypted chunks are fresh buffers.
      if (security.tls) socket.on('data', onBytes)
      socket.setNoDelay(true)
      let settled = false
      const abort = (err: Error): void => {
        if (settled) return
        settled = true
        clearTimeout(timer)
        socket.removeAllListeners()
        socket.on('error', () => {})
        socket.destroy()
        reject(err)
      }
      const timer = setTimeout(
        () => abort(new Error(`cannot connect to ${where} within ${timeoutMs} ms`)),
        timeoutMs
      )
      socket.once('error', (err) => abort(err))
      socket.once('close', () => abort(new Error(`${where} closed the connection`)))
      const exchange = (apiKey: number, apiVersion: number, body: unknown): Promise<unknown> =>
        new Promise((answer, refuse) => {
          this.correlationId = (this.correlationId + 1) & 0x7fffffff
          const correlationId = this.correlationId
          authWaiter = (payload) => {
            try {
              const decoded = decodeResponseFrame(apiKey, apiVersion, payload)
              if (decoded.correlationId !== correlationId) throw new Error('unexpected correlation id')
              answer(decoded.body)
            } catch (err) {
              refuse(err)
            }
          }
          socket.write(
            encodeRequestFrame(
              {
                requestApiKey: apiKey,
                requestApiVersion: apiVersion,
                correlationId,
                clientId: this.clientId
              },
              body
            )
          )
        })
      const install = (lifetimeMs: number): void => {
        // Closed while the handshakes ran (a fetcher stopped): the new socket must not outlive it.
        if (this.closed) {
          abort(new Error('connection closed'))
          return
        }
        if (settled) return
        settled = true
        clearTimeout(timer)
        socket.removeAllListeners('error')
        socket.removeAllListeners('close')
        socket.on('error', (err) => this.fail(err))
        socket.on('close', () => this.fail(new Error(`${where} closed the connection`)))
        // Replaced at 90% of its lifetime, as Kafka's clients re-authenticate at 85 to 95%.
        this.sessionExpiresAt = lifetimeMs > 0 ? Date.now() + Math.floor(lifetimeMs * 0.9) : null
        this.decoder = decoder
        this.socket = socket
        resolve(socket)
      }
      socket.once(security.tls ? 'secureConnect' : 'connect', () => {
        const sasl = security.sasl
        if (sasl === null) {
          install(0)
          return
        }
        authenticateSasl(sasl.createClient(), exchange).then(install, (err: unknown) =>
          abort(
            new Error(
              `${security.securityProtocol} authentication to ${where} failed: ${err instanceof Error ? err.message : String(err)}`
            )
          )
        )
      })
    })
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

/**
 * One request on a connection of its own, closed after the answer (the controller channel's forwarding,
 * where a fresh connection always reaches the controller the metadata names now).
 */
export async function requestOnce<Res>(
  endpoint: { host: string; port: number },
  clientId: string,
  security: BrokerChannelSecurity,
  request: { apiKey: number; apiVersion: number; body: unknown },
  timeoutMs: number
): Promise<Res> {
  const connection = new BrokerConnection(() => endpoint, clientId, security)
  try {
    return await connection.request<Res>(request.apiKey, request.apiVersion, request.body, timeoutMs)
  } finally {
    connection.close()
  }
}
