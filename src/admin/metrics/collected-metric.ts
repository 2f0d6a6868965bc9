/**
 * A Prometheus metric whose values are read from plain-number counters when /metrics is scraped. prom-client
 * serializes any registered object with `name`, `help`, `type` and `get()`; this is that object, so the hot
 * path never calls prom-client and a scrape reads each counter once.
 */

import type { Registry } from 'prom-client'
import { LATENCY_BUCKETS_SECONDS, type LatencyHistogram } from '../../common/latency-histogram.js'

export type Labels = Record<string, string | number>
export interface Sample {
  readonly labels?: Labels
  readonly value: number
  readonly metricName?: string
}
type MetricType = 'counter' | 'gauge' | 'histogram'

export function registerCollected(
  registry: Registry,
  name: string,
  help: string,
  type: MetricType,
  collect: () => Sample[] | Promise<Sample[]>
): void {
  const metric = {
    name,
    help,
    type,
    aggregator: 'sum',
    async get() {
      return { name, help, type, aggregator: 'sum', values: await collect() }
    }
  }
  // prom-client's types want its own Metric class; its registry only calls get() and reads these fields.
  registry.registerMetric(metric as unknown as Parameters<Registry['registerMetric']>[0])
}

/** The samples of one histogram with `labels`: cumulative buckets, +Inf, sum and count. */
export function histogramSamples(name: string, labels: Labels, h: LatencyHistogram): Sample[] {
  const samples: Sample[] = []
  let cumulative = 0
  for (let i = 0; i < LATENCY_BUCKETS_SECONDS.length; i++) {
    cumulative += h.buckets[i]!
    samples.push({
      metricName: `${name}_bucket`,
      labels: { ...labels, le: LATENCY_BUCKETS_SECONDS[i]! },
      value: cumulative
    })
  }
  samples.push({ metricName: `${name}_bucket`, labels: { ...labels, le: '+Inf' }, value: h.count })
  samples.push({ metricName: `${name}_sum`, labels, value: h.sum })
  samples.push({ metricName: `${name}_count`, labels, value: h.count })
  return samples
}

/** A map of counts as samples labelled with `label`. */
export function mapSamples(map: ReadonlyMap<string, number>, label: string): Sample[] {
  return [...map].map(([key, value]) => ({ labels: { [label]: key }, value }))
}
