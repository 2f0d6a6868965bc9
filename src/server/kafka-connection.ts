/**
 * One client connection: frames requests, runs them through the RequestProcessor concurrently, and writes the
 * responses strictly in request order. Reading pauses while too many requests are in flight or too many
 * response bytes wait in the socket's write buffer, so a client that never reads cannot make the broker buffer
 * without limit. Owned by SocketServer; all methods run on the event loop.
 */

import type { Socket } from 'node:net'
import type { BrokerBufferPools } from '../common/buffer-pool.js'
import type { Logger } from '../common/logger.js'
import { ProtocolDecodeError } from '../protocol/decode-error.js'
import { FrameDecoder, InvalidReceiveError } from '../protocol/frame-decoder.js'
import { ProduceApi } from '../protocol/messages/produce.js'
import type { KafkaPrincipal } from '../security/kafka-principal.js'
import { PHASE_SEND, PHASE_TOTAL, type RequestStats } from './request-stats.js'
import { readIntoSharedBuffer } from './socket-read-buffer.js'

/** Response frame chunks (already size-prefixed), or null when the request gets no response (acks=0). */
export type RequestOutcome = readonly Buffer[] | null

export interface ConnectionInfo {
  readonly connectionId: string
  readonly listenerName: string
  readonly clientAddress: string
  readonly clientPort: number
  /** Who the connection acts as: null while a SASL connection has not yet authenticated. */
  readonly principal?: () => KafkaPrincipal | null
  /** Mutes the connection for a quota's throttle: no request is read until it has passed (KIP-219). */
  readonly throttle?: (throttleTimeMs: number) => void
}

export interface RequestProcessor {
  /** `receivedAt` is performance.now() when the frame was read (for the request-queue time). */
  process(payload: Buffer, connection: ConnectionInfo, receivedAt?: number): Promise<RequestOutcome>
}

/** Thrown by a processor when Kafka's answer to a request is to close the connection. */
export class CloseConnectionError extends Error {
  override readonly name = 'CloseConnectionError'
}

export interface ConnectionLimits {
  readonly maxRequestBytes: number
  /** Requests read but whose response is not yet handed to the socket. */
  readonly maxInFlightRequests: number
  /** Response bytes the socket may hold unsent before reading pauses. */
  readonly maxQueuedResponseBytes: number
}

const SMALL_RESPONSE_BYTES = 4096
/**
 * APIs whose handlers keep no view into the request frame once their response is ready, so the frame's
 * pooled buffer is reused right away. Produce qualifies: its record batches are written to the log before
 * it answers. Others (JoinGroup metadata, for one) may be retained and are left to the garbage collector.
 */
const RECYCLED_FRAME_API_KEYS: ReadonlySet<number> = new Set([ProduceApi.apiKey])

interface Slot {
  done: boolean
  outcome: RequestOutcome
  /** Set when this request's answer is to close the connection once earlier responses are written. */
  closeReason: string | null
  apiKey: number
  /** performance.now() at dispatch and when the outcome was ready, for the total and send phases. */
  receivedAt: number
  readyAt: number
}

export class KafkaConnection {
  private readonly decoder: FrameDecoder
  private readonly slots: Slot[] = []
  private paused = false
  /** No more requests are read once set; the socket closes after the responses before it are written. */
  private closing = false
  private closed = false
  /** The client shut down its sending side; close once its last requests are answered. */
  private peerEnded = false
  private readonly closedPromise: Promise<void>
  /** Until when a quota mutes this connection (ms since the epoch); 0 when it is not throttled. */
  private throttledUntilMs = 0
  private throttleTimer: NodeJS.Timeout | null = null

  constructor(
    private readonly socket: Socket,
    readonly info: ConnectionInfo,
    private readonly processor: RequestProcessor,
    private readonly limits: ConnectionLimits,
    private readonly logger: Logger,
    /** Frames are leased from `requestFrames`; fetched bytes go back to `fetchReads` once written. */
    private readonly pools: BrokerBufferPools,
    /** A buffer shared by the event loop's sockets to read into (see socket-read-buffer.ts). */
    readBuffer?: Buffer,
    /** Where the total and send phases of each request are recorded. */
    private readonly stats?: RequestStats
  ) {
    this.decoder = new FrameDecoder(limits.maxRequestBytes, pools.requestFrames)
    this.closedPromise = new Promise((resolve) => socket.once('close', () => resolve()))
    if (
      readBuffer === undefined ||
      !readIntoSharedBuffer(socket, readBuffer, (c) => this.onTransientData(c))
    ) {
      socket.on('data', (chunk: Buffer) => this.onData(chunk))
    }
    // A server socket may start paused (pauseOnConnect), so that its read buffer is set before any read.
    socket.resume()
    socket.on('drain', () => this.pump())
    // The server allows half-open sockets so that a client that shuts down its side still gets its answers.
    socket.once('end', () => {
      this.peerEnded = true
      this.pump()
    })
    socket.on('error', (err) =>
      this.logger.debug({ err, connectionId: info.connectionId }, 'connection error')
    )
    socket.once('close', () => {
      this.closed = true
      if (this.throttleTimer !== null) clearTimeout(this.throttleTimer)
      this.slots.length = 0
    })
  }

  /** Resolves when the socket has fully closed. */
  get whenClosed(): Promise<void> {
    return this.closedPromise
  }

  get inFlightRequests(): number {
    return this.slots.length
  }

  /** Changes `socket.request.max.bytes` for this connection's next requests (see FrameDecoder). */
  setMaxRequestBytes(maxRequestBytes: number): void {
    this.decoder.setMaxFrameBytes(maxRequestBytes)
  }

  /**
   * Reads no further request for `throttleTimeMs` (Kafka mutes the channel once the throttled response is
   * sent); responses to requests already read are still written.
   */
  throttle(throttleTimeMs: number): void {
    const until = Date.now() + throttleTimeMs
    if (until <= this.throttledUntilMs || this.closed) return
    this.throttledUntilMs = until
    if (this.throttleTimer !== null) clearTimeout(this.throttleTimer)
    this.throttleTimer = setTimeout(() => {
      this.throttleTimer = null
      this.throttledUntilMs = 0
      this.pump()
    }, throttleTimeMs)
    this.pump()
  }

  /** Graceful close: stop reading, finish and write in-flight requests, then close the socket. */
  close(): Promise<void> {
    if (!this.closing) this.beginClose(null)
    return this.closedPromise
  }

  destroy(): void {
    this.socket.destroy()
  }

  private onData(chunk: Buffer): void {
    if (this.closing) return
    this.decoder.push(chunk)
    this.pump()
  }

  private onTransientData(chunk: Buffer): void {
    if (this.closing) return
    this.decoder.pushTransient(chunk)
    this.pump()
  }

  private canDispatch(): boolean {
    return (
      this.throttledUntilMs === 0 &&
      this.slots.length < this.limits.maxInFlightRequests &&
      this.socket.writableLength < this.limits.maxQueuedResponseBytes
    )
  }

  /** Dispatches buffered frames while under the limits, and pauses or resumes reading accordingly. */
  private pump(): void {
    while (!this.closing && this.canDispatch()) {
      let payload: Buffer | null
      try {
        payload = this.decoder.next()
      } catch (err) {
        if (!(err instanceof InvalidReceiveError)) throw err
        this.logger.warn({ connectionId: this.info.connectionId, reason: err.message }, 'closing connection')
        // Responses to the requests before the bad frame are still written, then the connection closes.
        const now = performance.now()
        this.slots.push({
          done: true,
          outcome: null,
          closeReason: err.message,
          apiKey: -1,
          receivedAt: now,
          readyAt: now
        })
        this.closing = true
        this.socket.pause()
        this.flush()
        return
      }
      if (payload === null) {
        // Every request the client sent before shutting down its side has been dispatched.
        if (this.peerEnded) this.beginClose(null)
        break
      }
      this.dispatch(payload)
    }
    if (this.closing) return
    const shouldPause = !this.canDispatch()
    if (shouldPause && !this.paused) {
      this.paused = true
      this.socket.pause()
    } else if (!shouldPause && this.paused) {
      this.paused = false
      this.socket.resume()
    }
  }

  private dispatch(payload: Buffer): void {
    const receivedAt = performance.now()
    const apiKey = payload.length >= 2 ? payload.readInt16BE(0) : -1
    const slot: Slot = { done: false, outcome: null, closeReason: null, apiKey, receivedAt, readyAt: 0 }
    this.slots.push(slot)
    const framePool = this.pools.requestFrames
    const recycle = framePool.isLeased(payload) && RECYCLED_FRAME_API_KEYS.has(apiKey)
    this.processor.process(payload, this.info, receivedAt).then(
      (outcome) => {
        if (recycle) framePool.release(payload)
        slot.outcome = outcome
        slot.readyAt = performance.now()
        this.complete(slot)
      },
      (err: unknown) => {
        slot.closeReason = this.describeFailure(err)
        this.complete(slot)
      }
    )
  }

  private describeFailure(err: unknown): string {
    const log = { connectionId: this.info.connectionId, clientAddress: this.info.clientAddress, err }
    if (err instanceof ProtocolDecodeError || err instanceof CloseConnectionError) {
      this.logger.warn(log, 'closing connection after invalid request')
    } else {
      this.logger.error(log, 'request failed, closing connection')
    }
    return err instanceof Error ? err.message : String(err)
  }

  private complete(slot: Slot): void {
    slot.done = true
    if (this.closed) return
    this.flush()
    this.pump()
  }

  /** Writes the completed responses at the head of the queue, in request order. */
  private flush(): void {
    let corked = false
    while (this.slots.length > 0 && this.slots[0]!.done) {
      const slot = this.slots.shift()!
      if (slot.closeReason !== null) {
        this.slots.length = 0
        if (corked) this.socket.uncork()
        this.beginClose(slot.closeReason)
        return
      }
      if (this.stats !== undefined) {
        const now = performance.now()
        this.stats.recordPhase(PHASE_TOTAL, slot.apiKey, (now - slot.receivedAt) / 1000)
        this.stats.recordPhase(PHASE_SEND, slot.apiKey, (now - slot.readyAt) / 1000)
      }
      if (slot.outcome === null) continue
      if (!corked) {
        // Corking turns the chunk list into one writev, so record bytes are never copied into a single buffer.
        this.socket.cork()
        corked = true
      }
      this.write(slot.outcome)
    }
    if (corked) this.socket.uncork()
    if (this.closing && this.slots.length === 0) this.endSocket()
  }

  private write(chunks: readonly Buffer[]): void {
    let total = 0
    for (const c of chunks) total += c.length
    if (total <= SMALL_RESPONSE_BYTES) {
      // Small responses are joined: one write entry costs more memory than copying a few hundred bytes.
      this.socket.write(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, total))
      return
    }
    const last = chunks.length - 1
    for (let i = 0; i < last; i++) this.socket.write(chunks[i]!)
    // Record bytes a fetch read into pooled buffers go back to the pool once the kernel has them (the callback
    // also runs when the write fails); chunks that are not pooled are ignored.
    this.socket.write(chunks[last]!, () => this.pools.fetchReads.releaseAll(chunks))
  }

  private beginClose(reason: string | null): void {
    this.closing = true
    if (reason !== null) {
      // Kafka drops the requests behind a bad one; the client sees the connection close.
      this.slots.length = 0
    }
    this.socket.pause()
    if (this.slots.length === 0) this.endSocket()
  }

  private endSocket(): void {
    if (this.socket.destroyed || this.socket.writableEnded) return
    this.socket.end(() => this.socket.destroy())
  }
}
