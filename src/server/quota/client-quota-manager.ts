/**
 * One kind of client quota (producer_byte_rate, consumer_byte_rate, request_percentage or
 * controller_mutation_rate), as Kafka's ClientQuotaManager: the configured values by entity, a rate per
 * sensor (see client-quota-resolution.ts), and the throttle time a request earns. With no value configured for
 * any entity, `enabled` is false and callers skip it, so the hot path pays one property read.
 */

import { type ClientQuotaRecord, clientQuotaEntityKey } from '../../cluster/metadata-store.js'
import { type ResolvedQuota, resolveClientQuota } from './client-quota-resolution.js'
import { type QuotaWindow, SampledRate, throttleTimeMs } from './sampled-rate.js'

export type ClientQuotaType =
  | 'producer_byte_rate'
  | 'consumer_byte_rate'
  | 'request_percentage'
  | 'controller_mutation_rate'

/** Kafka drops a client's sensors after an hour without a request. */
const INACTIVE_SENSOR_MS = 60 * 60 * 1000
const SWEEP_INTERVAL_MS = 60 * 1000

export class ClientQuotaManager {
  private values = new Map<string, number>()
  private readonly resolved = new Map<string, ResolvedQuota | null>()
  private readonly sensors = new Map<string, SampledRate>()
  private lastSweepMs = 0

  constructor(
    readonly quotaType: ClientQuotaType,
    private readonly window: QuotaWindow,
    private readonly clock: () => number = Date.now
  ) {}

  get enabled(): boolean {
    return this.values.size > 0
  }

  /**
   * Kafka bounds request-time throttles to one quota window (a slow request cannot stall a client for long);
   * bandwidth throttles are as long as the excess needs.
   */
  get maxThrottleTimeMs(): number {
    return this.quotaType === 'request_percentage' ? this.window.windowMs : Number.MAX_SAFE_INTEGER
  }

  /** Takes the configured quotas of every entity (the whole set, as the store publishes it). */
  update(records: readonly ClientQuotaRecord[]): void {
    const values = new Map<string, number>()
    for (const { entity, values: v } of records) {
      const value = v[this.quotaType]
      if (value !== undefined && entity.ip === undefined) values.set(clientQuotaEntityKey(entity), value)
    }
    this.values = values
    this.resolved.clear()
  }

  /** The quota that applies to this user and client id, or null when none does. */
  quotaFor(user: string, clientId: string): ResolvedQuota | null {
    const cacheKey = `${user}\u0000${clientId}`
    let resolved = this.resolved.get(cacheKey)
    if (resolved === undefined) {
      resolved = resolveClientQuota(this.values, user, clientId)
      this.resolved.set(cacheKey, resolved)
    }
    return resolved
  }

  /** Records `value` and answers how long the client must now wait (0 when within its quota). */
  recordAndGetThrottleTimeMs(user: string, clientId: string, value: number): number {
    const quota = this.quotaFor(user, clientId)
    if (quota === null) return 0
    const now = this.clock()
    const rate = this.sensor(quota.sensorKey, now)
    rate.record(value, now)
    return throttleTimeMs(rate, quota.limit, now, this.maxThrottleTimeMs)
  }

  /**
   * KIP-599's strict check, made before recording: the wait the client owes when its rate is already over the
   * quota, else 0 (and the caller may then record).
   */
  throttleTimeIfExceeded(user: string, clientId: string): number {
    const quota = this.quotaFor(user, clientId)
    if (quota === null) return 0
    const now = this.clock()
    const rate = this.sensors.get(quota.sensorKey)
    if (rate === undefined) return 0
    return throttleTimeMs(rate, quota.limit, now, Number.MAX_SAFE_INTEGER)
  }

  /** Records without answering; negative values give back what an abandoned operation recorded. */
  record(user: string, clientId: string, value: number): void {
    const quota = this.quotaFor(user, clientId)
    if (quota === null) return
    const now = this.clock()
    this.sensor(quota.sensorKey, now).record(value, now)
  }

  /** The measured rate of this user and client id's sensor (for tests and metrics); 0 without a quota. */
  measuredRate(user: string, clientId: string): number {
    const quota = this.quotaFor(user, clientId)
    const rate = quota && this.sensors.get(quota.sensorKey)
    return rate ? rate.rate(this.clock()) : 0
  }

  private sensor(key: string, now: number): SampledRate {
    if (now - this.lastSweepMs >= SWEEP_INTERVAL_MS) this.sweep(now)
    let rate = this.sensors.get(key)
    if (rate === undefined) {
      rate = new SampledRate(this.window, now)
      this.sensors.set(key, rate)
    }
    return rate
  }

  /** Drops idle sensors and the resolution cache, which any client id may grow. */
  private sweep(now: number): void {
    this.lastSweepMs = now
    for (const [key, rate] of this.sensors) {
      if (now - rate.lastRecordMs >= INACTIVE_SENSOR_MS) this.sensors.delete(key)
    }
    this.resolved.clear()
  }
}
