/**
 * Connection limits, as Kafka's ConnectionQuotas: `max.connections` for the broker and per listener
 * (`listener.name.<l>.max.connections`), `max.connection.creation.rate` likewise (KIP-402), per IP
 * `max.connections.per.ip` with `max.connections.per.ip.overrides`, and the `connection_creation_rate` client
 * quota of the ip entity (KIP-612). What happens to a connection over a limit follows Kafka:
 *
 * - over a listener or broker count, or a listener or broker creation rate: it waits, unserved, until a slot
 *   frees or the throttle has passed (Kafka's acceptor stops accepting; here the socket waits in a queue);
 * - over its IP's count: it is closed at once;
 * - over its IP's creation rate: it is closed once the throttle time has passed, so the client cannot
 *   reconnect at once.
 *
 * The inter-broker listener is not held to the broker-wide `max.connections`, so replication keeps working.
 */

import { isIP } from 'node:net'
import type { ClientQuotaRecord } from '../cluster/metadata-store.js'
import type { KafkaConfig } from '../config/kafka-config.js'
import { type QuotaWindow, SampledRate, throttleTimeMs } from './quota/sampled-rate.js'

const INT_MAX = 2147483647

/** The verdict on an IP's new connection. */
export type IpAdmission =
  | { readonly kind: 'accepted' }
  | { readonly kind: 'too-many'; readonly max: number }
  | { readonly kind: 'throttled'; readonly throttleTimeMs: number }

/** `::ffff:1.2.3.4` (an IPv4 client of a dual-stack socket) counts as 1.2.3.4, as Java's InetAddress does. */
export function normalizeIp(address: string): string {
  return address.startsWith('::ffff:') && isIP(address.slice(7)) === 4 ? address.slice(7) : address
}

export function parsePerIpOverrides(value: string): Map<string, number> {
  const overrides = new Map<string, number>()
  for (const entry of value.split(',')) {
    const trimmed = entry.trim()
    if (trimmed === '') continue
    const colon = trimmed.lastIndexOf(':')
    const host = trimmed.slice(0, colon)
    const count = Number(trimmed.slice(colon + 1))
    if (colon <= 0 || !Number.isInteger(count) || count < 0) {
      throw new Error(`Invalid max.connections.per.ip.overrides entry '${trimmed}': expected host:count`)
    }
    overrides.set(normalizeIp(host), count)
  }
  return overrides
}

export class ConnectionQuotas {
  private readonly perIpDefault: number
  private readonly perIpOverrides: Map<string, number>
  private readonly brokerMax: number
  private readonly brokerRateLimit: number
  private readonly window: QuotaWindow
  private readonly brokerRate: SampledRate
  private readonly listenerRates = new Map<string, SampledRate>()
  private readonly ipCounts = new Map<string, number>()
  private readonly listenerCounts = new Map<string, number>()
  private total = 0
  /** connection_creation_rate by IP, and for the default IP entity (null). */
  private ipRateQuotas = new Map<string | null, number>()
  private readonly ipRates = new Map<string, SampledRate>()
  private readonly listenerLimits = new Map<string, number>()

  constructor(
    private readonly config: KafkaConfig,
    private readonly clock: () => number = Date.now
  ) {
    this.perIpDefault = config.getNumber('max.connections.per.ip')
    this.perIpOverrides = parsePerIpOverrides(config.getString('max.connections.per.ip.overrides') ?? '')
    this.brokerMax = config.getNumber('max.connections')
    this.brokerRateLimit = config.getNumber('max.connection.creation.rate')
    this.window = {
      samples: config.getNumber('quota.window.num'),
      windowMs: config.getNumber('quota.window.size.seconds') * 1000
    }
    this.brokerRate = new SampledRate(this.window, clock())
  }

  /** Takes the ip entities' connection_creation_rate from the client quotas. */
  updateIpQuotas(records: readonly ClientQuotaRecord[]): void {
    const quotas = new Map<string | null, number>()
    for (const { entity, values } of records) {
      const rate = values.connection_creation_rate
      if (entity.ip !== undefined && rate !== undefined) {
        quotas.set(entity.ip === null ? null : normalizeIp(entity.ip), rate)
      }
    }
    this.ipRateQuotas = quotas
    for (const ip of this.ipRates.keys()) if (this.ipRateQuota(ip) === undefined) this.ipRates.delete(ip)
  }

  /**
   * Records a new connection on the listener's and the broker's creation rates and answers how long it must
   * wait before it is served for them (Kafka's acceptor throttle, at most one quota window).
   */
  recordCreation(listenerName: string): number {
    const now = this.clock()
    let wait = 0
    const listenerLimit = this.listenerNumber(listenerName, 'max.connection.creation.rate')
    if (listenerLimit < INT_MAX) {
      let rate = this.listenerRates.get(listenerName)
      if (rate === undefined) {
        rate = new SampledRate(this.window, now)
        this.listenerRates.set(listenerName, rate)
      }
      rate.record(1, now)
      wait = Math.max(wait, throttleTimeMs(rate, listenerLimit, now, this.window.windowMs))
    }
    if (this.brokerRateLimit < INT_MAX && !this.isInterBroker(listenerName)) {
      this.brokerRate.record(1, now)
      wait = Math.max(wait, throttleTimeMs(this.brokerRate, this.brokerRateLimit, now, this.window.windowMs))
    }
    return wait
  }

  /** Whether the listener and the broker have room for one more connection. */
  slotAvailable(listenerName: string): boolean {
    const listenerMax = this.listenerNumber(listenerName, 'max.connections')
    if ((this.listenerCounts.get(listenerName) ?? 0) >= listenerMax) return false
    return this.isInterBroker(listenerName) || this.total < this.brokerMax
  }

  /**
   * Counts a connection from `ip` once it has a slot. A connection over its IP's limits is not counted (the
   * caller closes it: at once when too many, after the throttle when created too fast).
   */
  admit(listenerName: string, address: string): IpAdmission {
    const ip = normalizeIp(address)
    const max = this.perIpOverrides.get(ip) ?? this.perIpDefault
    if ((this.ipCounts.get(ip) ?? 0) >= max) return { kind: 'too-many', max }
    const rateQuota = this.ipRateQuota(ip)
    if (rateQuota !== undefined) {
      const now = this.clock()
      let rate = this.ipRates.get(ip)
      if (rate === undefined) {
        rate = new SampledRate(this.window, now)
        this.ipRates.set(ip, rate)
      }
      rate.record(1, now)
      const throttle = throttleTimeMs(rate, rateQuota, now, Number.MAX_SAFE_INTEGER)
      if (throttle > 0) {
        // A refused connection was never created: it does not count against the rate.
        rate.record(-1, now)
        return { kind: 'throttled', throttleTimeMs: throttle }
      }
    }
    this.ipCounts.set(ip, (this.ipCounts.get(ip) ?? 0) + 1)
    this.listenerCounts.set(listenerName, (this.listenerCounts.get(listenerName) ?? 0) + 1)
    this.total++
    return { kind: 'accepted' }
  }

  /** Forgets an admitted connection once it has closed. */
  release(listenerName: string, address: string): void {
    const ip = normalizeIp(address)
    const count = (this.ipCounts.get(ip) ?? 0) - 1
    if (count > 0) this.ipCounts.set(ip, count)
    else this.ipCounts.delete(ip)
    const listenerCount = (this.listenerCounts.get(listenerName) ?? 0) - 1
    if (listenerCount > 0) this.listenerCounts.set(listenerName, listenerCount)
    else this.listenerCounts.delete(listenerName)
    this.total = Math.max(0, this.total - 1)
  }

  private ipRateQuota(ip: string): number | undefined {
    return this.ipRateQuotas.get(ip) ?? this.ipRateQuotas.get(null)
  }

  /**
   * A listener's own limit (`listener.name.<l>.<key>`): unlike most listener overrides it does not fall back to
   * the broker-wide key, which is a separate limit on all listeners together.
   */
  private listenerNumber(listenerName: string, key: string): number {
    const cacheKey = `${listenerName}\u0000${key}`
    let value = this.listenerLimits.get(cacheKey)
    if (value === undefined) {
      const raw = this.config.originals.get(`listener.name.${listenerName.toLowerCase()}.${key}`)
      value = raw === undefined ? INT_MAX : Number(raw.trim())
      this.listenerLimits.set(cacheKey, value)
    }
    return value
  }

  private isInterBroker(listenerName: string): boolean {
    return listenerName === this.config.interBrokerListenerName
  }
}
