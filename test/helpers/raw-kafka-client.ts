/** Test kit: a bare TCP Kafka client that writes frames and reads size-prefixed responses, nothing more. */

import { connect, type Socket } from 'node:net'
import { decodeResponseFrame, encodeRequestFrame } from '../../src/protocol/index.js'
import type { RequestHeader } from '../../src/protocol/messages/request-header.js'

export class RawKafkaClient {
  private buffered = Buffer.alloc(0)
  private readonly frames: Buffer[] = []
  private waiters: (() => void)[] = []
  closed = false

  private constructor(readonly socket: Socket) {
    socket.on('data', (chunk: Buffer) => {
      this.buffered = Buffer.concat([this.buffered, chunk])
      while (this.buffered.length >= 4) {
        const size = this.buffered.readInt32BE(0)
        if (this.buffered.length < 4 + size) break
        this.frames.push(this.buffered.subarray(4, 4 + size))
        this.buffered = this.buffered.subarray(4 + size)
      }
      this.wake()
    })
    socket.on('error', () => {})
    socket.once('close', () => {
      this.closed = true
      this.wake()
    })
  }

  /** Over a socket that is already connected (a TLS socket, for one). */
  static over(socket: Socket): RawKafkaClient {
    return new RawKafkaClient(socket)
  }

  static connect(port: number, host = '127.0.0.1'): Promise<RawKafkaClient> {
    return new Promise((resolve, reject) => {
      const socket = connect({ port, host }, () => {
        socket.off('error', reject)
        resolve(new RawKafkaClient(socket))
      })
      socket.once('error', reject)
    })
  }

  private wake(): void {
    const ws = this.waiters
    this.waiters = []
    for (const w of ws) w()
  }

  write(bytes: Buffer): void {
    this.socket.write(bytes)
  }

  send(header: RequestHeader, body: unknown): void {
    this.socket.write(encodeRequestFrame(header, body))
  }

  /** The next response payload (after its size), or null once the broker has closed the connection. */
  async nextFrame(timeoutMs = 5000): Promise<Buffer | null> {
    const deadline = Date.now() + timeoutMs
    for (;;) {
      const f = this.frames.shift()
      if (f) return f
      if (this.closed) return null
      const left = deadline - Date.now()
      if (left <= 0) throw new Error('timed out waiting for a response frame')
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left)
        this.waiters.push(() => {
          clearTimeout(t)
          resolve()
        })
      })
    }
  }

  async nextResponse<T>(apiKey: number, apiVersion: number, timeoutMs = 5000) {
    const frame = await this.nextFrame(timeoutMs)
    if (frame === null) throw new Error('connection closed before a response arrived')
    const decoded = decodeResponseFrame(apiKey, apiVersion, frame)
    return decoded as { correlationId: number; body: T }
  }

  /** Resolves true if the broker closes the connection within the timeout. */
  async waitForClose(timeoutMs = 5000): Promise<boolean> {
    const deadline = Date.now() + timeoutMs
    while (!this.closed) {
      const left = deadline - Date.now()
      if (left <= 0) return false
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left)
        this.waiters.push(() => {
          clearTimeout(t)
          resolve()
        })
      })
    }
    return true
  }

  close(): void {
    this.socket.destroy()
  }
}
