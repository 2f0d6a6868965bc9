/**
 * Kafka's RequestMetrics as plain numbers: per API key, request counts by error code and latency histograms of
 * the whole request and of where its time went. The request pipeline and the connections record into typed
 * arrays (no allocation, no metrics library call per request); the admin listener turns them into Prometheus
 * histograms when /metrics is scraped.
 *
 * Phases, as Kafka's RequestMetrics names them where Node has an equivalent:
 *  - queue: from the frame being read to the pipeline starting it (waits behind a SASL step);
 *  - local: decode, handler and encode, less the remote time;
 *  - remote: waits in the purgatories (acks=all, fetch.min.bytes), which the Produce and Fetch handlers
 *    report on the RequestContext (the span from the first wait's start to the last one's end);
 *  - send: from the response being ready to it being handed to the socket, behind earlier responses
 *    (Kafka's responseQueue + responseSend).
 *
 * Ownership: one per KafkaServer, on its event loop.
 */

import { LatencyHistogram } from '../common/latency-histogram.js'

const MAX_API_KEY = 128

export const REQUEST_PHASES = ['total', 'queue', 'local', 'remote', 'send'] as const
export type RequestPhase = (typeof REQUEST_PHASES)[number]

export class RequestStats {
  /** [phase][apiKey], created on an API's first request. */
  private readonly histograms: (LatencyHistogram | undefined)[][] = REQUEST_PHASES.map(() =>
    new Array<LatencyHistogram | undefined>(MAX_API_KEY).fill(undefined)
  )
  /** apiKey * 65536 + (errorCode + 32768) -> count. */
  private readonly counts = new Map<number, number>()

  /** One answered request with its top-level error code (0 when the response has none). */
  recordRequest(apiKey: number, errorCode: number): void {
    const key = apiKey * 65536 + (errorCode + 32768)
    this.counts.set(key, (this.counts.get(key) ?? 0) + 1)
  }

  recordPhase(phase: number, apiKey: number, seconds: number): void {
    if (apiKey < 0 || apiKey >= MAX_API_KEY) return
    const row = this.histograms[phase]!
    let h = row[apiKey]
    if (h === undefined) {
      h = new LatencyHistogram()
      row[apiKey] = h
    }
    h.observe(seconds)
  }

  /** Every (apiKey, errorCode, count) recorded. */
  *requestCounts(): Generator<{ apiKey: number; errorCode: number; count: number }> {
    for (const [key, count] of this.counts) {
      yield { apiKey: Math.floor(key / 65536), errorCode: (key % 65536) - 32768, count }
    }
  }

  /** The histograms of one phase, by API key. */
  *phase(phase: RequestPhase): Generator<{ apiKey: number; histogram: LatencyHistogram }> {
    const row = this.histograms[REQUEST_PHASES.indexOf(phase)]!
    for (let apiKey = 0; apiKey < row.length; apiKey++) {
      const histogram = row[apiKey]
      if (histogram !== undefined) yield { apiKey, histogram }
    }
  }
}

export const PHASE_TOTAL = 0
export const PHASE_QUEUE = 1
export const PHASE_LOCAL = 2
export const PHASE_REMOTE = 3
export const PHASE_SEND = 4

/** Connections by listener and SASL outcomes by mechanism (Kafka's SocketServer and authenticator metrics). */
export class ConnectionStats {
  readonly created = new Map<string, number>()
  readonly closed = new Map<string, number>()
  readonly open = new Map<string, number>()
  readonly authSuccesses = new Map<string, number>()
  readonly authFailures = new Map<string, number>()

  connectionCreated(listener: string): void {
    bump(this.created, listener, 1)
    bump(this.open, listener, 1)
  }

  connectionClosed(listener: string): void {
    bump(this.closed, listener, 1)
    bump(this.open, listener, -1)
  }

  authentication(mechanism: string, success: boolean): void {
    bump(success ? this.authSuccesses : this.authFailures, mechanism, 1)
  }
}

function bump(map: Map<string, number>, key: string, by: number): void {
  map.set(key, (map.get(key) ?? 0) + by)
}
