/**
 * A rate measured as Kafka's quota sensors measure it (a Rate over a SampledStat): `samples` windows of
 * `windowMs` each, the oldest dropped as time moves on, and the rate is the windows' total over the time they
 * span, counted as at least `samples - 1` full windows so that a first burst is not divided by a tiny
 * elapsed time.
 */

export interface QuotaWindow {
  /** quota.window.num */
  readonly samples: number
  /** quota.window.size.seconds, in ms */
  readonly windowMs: number
}

export class SampledRate {
  private readonly starts: number[]
  private readonly values: number[]
  private current = 0
  /** When this rate last recorded a value; lets idle sensors be dropped. */
  lastRecordMs: number

  constructor(
    private readonly window: QuotaWindow,
    nowMs: number
  ) {
    this.starts = new Array<number>(window.samples).fill(nowMs)
    this.values = new Array<number>(window.samples).fill(0)
    this.lastRecordMs = nowMs
  }

  record(value: number, nowMs: number): void {
    this.purge(nowMs)
    if (nowMs - this.starts[this.current]! >= this.window.windowMs) {
      this.current = (this.current + 1) % this.window.samples
      this.starts[this.current] = nowMs
      this.values[this.current] = 0
    }
    this.values[this.current]! += value
    this.lastRecordMs = nowMs
  }

  /** Per second. */
  rate(nowMs: number): number {
    this.purge(nowMs)
    let total = 0
    for (const v of this.values) total += v
    return total / (this.windowSizeMs(nowMs) / 1000)
  }

  /** The time the samples span, stretched to at least `samples - 1` full windows. */
  windowSizeMs(nowMs: number): number {
    this.purge(nowMs)
    let oldest = nowMs
    for (const start of this.starts) if (start < oldest) oldest = start
    let elapsed = nowMs - oldest
    const fullWindows = Math.floor(elapsed / this.window.windowMs)
    const minFullWindows = this.window.samples - 1
    if (fullWindows < minFullWindows) elapsed += (minFullWindows - fullWindows) * this.window.windowMs
    return elapsed
  }

  /** Samples older than the whole window count for nothing; they restart empty at `nowMs`. */
  private purge(nowMs: number): void {
    const expireAge = this.window.samples * this.window.windowMs
    for (let i = 0; i < this.starts.length; i++) {
      if (nowMs - this.starts[i]! >= expireAge) {
        this.starts[i] = nowMs
        this.values[i] = 0
      }
    }
  }
}

/**
 * How long a client must wait for its rate to fall back to the quota (Kafka's QuotaUtils.throttleTime): the
 * excess over the quota, as a fraction of the quota, of the measured window; at most `maxMs`.
 */
export function throttleTimeMs(rate: SampledRate, quota: number, nowMs: number, maxMs: number): number {
  const observed = rate.rate(nowMs)
  if (observed <= quota) return 0
  const ms = Math.round(((observed - quota) / quota) * rate.windowSizeMs(nowMs))
  return Math.max(0, Math.min(ms, maxMs))
}
