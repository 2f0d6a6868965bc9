/**
 * A latency histogram as plain numbers (bucket counts, sum, count) for the hot path: observing costs a short
 * scan of fixed bounds and three additions, no allocation and no metrics library. The admin listener turns
 * these into Prometheus histograms at scrape time.
 */

/** Upper bounds in seconds; one more bucket holds everything above the last (+Inf). */
export const LATENCY_BUCKETS_SECONDS: readonly number[] = [
  0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30
]

export class LatencyHistogram {
  /** Per-bucket counts, not cumulative; the last entry is the +Inf bucket. */
  readonly buckets = new Float64Array(LATENCY_BUCKETS_SECONDS.length + 1)
  sum = 0
  count = 0

  observe(seconds: number): void {
    let i = 0
    while (i < LATENCY_BUCKETS_SECONDS.length && seconds > LATENCY_BUCKETS_SECONDS[i]!) i++
    this.buckets[i]!++
    this.sum += seconds
    this.count++
  }
}
