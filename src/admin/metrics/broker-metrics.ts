/**
 * The broker's Prometheus registry: prom-client's default process metrics (event loop delay and
 * utilisation, heap, GC) and collectors over the plain-number counters the subsystems keep. docs/metrics.md
 * lists every metric with the Kafka MBean and MSK CloudWatch metric it corresponds to.
 */

import { statfs } from 'node:fs/promises'
import { collectDefaultMetrics, Registry } from 'prom-client'
import { errorInfo } from '../../protocol/error-codes.js'
import { LOG_FLUSH_LATENCY } from '../../storage/log-flush-stats.js'
import type { AdminSources } from '../admin-sources.js'
import { histogramSamples, mapSamples, registerCollected, type Sample } from './collected-metric.js'
import { registerGroupMetrics } from './group-metrics.js'
import { registerPartitionMetrics } from './partition-metrics.js'

export function createBrokerMetrics(sources: AdminSources): Registry {
  const registry = new Registry()
  collectDefaultMetrics({ register: registry })
  // Gauges named like counters, which promtool rejects; nodejs_active_{handles,requests,resources} stay.
  for (const name of [
    'nodejs_active_handles_total',
    'nodejs_active_requests_total',
    'nodejs_active_resources_total'
  ])
    registry.removeSingleMetric(name)
  registerCollected(registry, 'samsa_build_info', 'Samsa version and node id, always 1', 'gauge', () => [
    { labels: { version: sources.version, node_id: sources.config.nodeId }, value: 1 }
  ])
  registerTopicMetrics(registry, sources)
  registerRequestMetrics(registry, sources)
  registerPartitionMetrics(registry, sources)
  registerLogMetrics(registry, sources)
  registerGroupMetrics(registry, sources)
  return registry
}

function registerTopicMetrics(registry: Registry, sources: AdminSources): void {
  const topicCounter = (
    name: string,
    help: string,
    field: 'bytesIn' | 'bytesOut' | 'messagesIn' | 'failedProduceRequests' | 'failedFetchRequests'
  ) =>
    registerCollected(registry, name, help, 'counter', () => {
      const rm = sources.replicaManager()
      if (rm === undefined) return []
      return [...rm.stats.entries()].map(([topic, s]) => ({ labels: { topic }, value: s[field] }))
    })
  topicCounter('samsa_topic_bytes_in_total', 'Bytes of record batches produced to the topic', 'bytesIn')
  topicCounter('samsa_topic_bytes_out_total', 'Bytes of records fetched by consumers', 'bytesOut')
  topicCounter('samsa_topic_messages_in_total', 'Records produced to the topic', 'messagesIn')
  topicCounter(
    'samsa_topic_failed_produce_requests_total',
    'Produce requests to the topic that failed',
    'failedProduceRequests'
  )
  topicCounter(
    'samsa_topic_failed_fetch_requests_total',
    'Consumer fetches of the topic that failed',
    'failedFetchRequests'
  )
  const rmCounter = (
    name: string,
    help: string,
    read: (s: { isrShrinks: number; isrExpands: number; fetcherErrors: number }) => number
  ) =>
    registerCollected(registry, name, help, 'counter', () => {
      const rm = sources.replicaManager()
      return rm === undefined ? [] : [{ value: read(rm.stats) }]
    })
  rmCounter('samsa_isr_shrinks_total', 'ISR shrinks this broker made as leader', (s) => s.isrShrinks)
  rmCounter('samsa_isr_expands_total', 'ISR expansions this broker made as leader', (s) => s.isrExpands)
  rmCounter(
    'samsa_replica_fetcher_errors_total',
    "Failed fetches of this broker's replica fetchers",
    (s) => s.fetcherErrors
  )
}

function registerRequestMetrics(registry: Registry, sources: AdminSources): void {
  const apiName = (apiKey: number) => sources.server()?.apiRegistry.get(apiKey)?.api.name ?? String(apiKey)
  registerCollected(
    registry,
    'samsa_requests_total',
    'Requests answered, by API and top-level error',
    'counter',
    () => {
      const server = sources.server()
      if (server === undefined) return []
      return [...server.requestStats.requestCounts()].map((c) => ({
        labels: { api: apiName(c.apiKey), error: errorInfo(c.errorCode).name },
        value: c.count
      }))
    }
  )
  registerCollected(
    registry,
    'samsa_request_latency_seconds',
    'Time from a request being read to its response being handed to the socket',
    'histogram',
    () => {
      const server = sources.server()
      if (server === undefined) return []
      const samples: Sample[] = []
      for (const { apiKey, histogram } of server.requestStats.phase('total'))
        samples.push(
          ...histogramSamples('samsa_request_latency_seconds', { api: apiName(apiKey) }, histogram)
        )
      return samples
    }
  )
  registerCollected(
    registry,
    'samsa_request_phase_seconds',
    'Where request time went: queue (waiting to start), local (handler), remote (purgatory waits), send',
    'histogram',
    () => {
      const server = sources.server()
      if (server === undefined) return []
      const samples: Sample[] = []
      for (const phase of ['queue', 'local', 'remote', 'send'] as const) {
        for (const { apiKey, histogram } of server.requestStats.phase(phase)) {
          const labels = { api: apiName(apiKey), phase }
          samples.push(...histogramSamples('samsa_request_phase_seconds', labels, histogram))
        }
      }
      return samples
    }
  )
  const connections = (
    name: string,
    help: string,
    type: 'counter' | 'gauge',
    pick: (
      s: NonNullable<ReturnType<AdminSources['server']>>['connectionStats']
    ) => ReadonlyMap<string, number>,
    label: string
  ) =>
    registerCollected(registry, name, help, type, () => {
      const server = sources.server()
      return server === undefined ? [] : mapSamples(pick(server.connectionStats), label)
    })
  connections('samsa_connections', 'Open client connections', 'gauge', (s) => s.open, 'listener')
  connections(
    'samsa_connection_creations_total',
    'Connections accepted',
    'counter',
    (s) => s.created,
    'listener'
  )
  connections('samsa_connection_closes_total', 'Connections closed', 'counter', (s) => s.closed, 'listener')
  connections(
    'samsa_authentication_successes_total',
    'Successful SASL authentications',
    'counter',
    (s) => s.authSuccesses,
    'mechanism'
  )
  connections(
    'samsa_authentication_failures_total',
    'Failed SASL authentications',
    'counter',
    (s) => s.authFailures,
    'mechanism'
  )
}

function registerLogMetrics(registry: Registry, sources: AdminSources): void {
  registerCollected(
    registry,
    'samsa_log_size_bytes',
    "Bytes of the partition's log segments on this broker",
    'gauge',
    () => {
      const rm = sources.replicaManager()
      if (rm === undefined) return []
      const samples: Sample[] = []
      for (const p of rm.allPartitions())
        samples.push({ labels: { topic: p.topic, partition: p.partitionIndex }, value: p.logSize })
      return samples
    }
  )
  registerCollected(
    registry,
    'samsa_log_flush_seconds',
    'Time to flush a log (fsync of segments and indexes)',
    'histogram',
    () => histogramSamples('samsa_log_flush_seconds', {}, LOG_FLUSH_LATENCY)
  )
  registerCollected(
    registry,
    'samsa_log_dir_free_bytes',
    'Free bytes on the file system of each log dir',
    'gauge',
    async () => {
      const samples: Sample[] = []
      for (const dir of sources.config.logDirs) {
        try {
          const s = await statfs(dir)
          samples.push({ labels: { dir }, value: s.bavail * s.bsize })
        } catch {
          // A log dir that is not there (yet) has no free space to report.
        }
      }
      return samples
    }
  )
  registerCollected(
    registry,
    'samsa_log_dir_total_bytes',
    'Size of the file system of each log dir',
    'gauge',
    async () => {
      const samples: Sample[] = []
      for (const dir of sources.config.logDirs) {
        try {
          const s = await statfs(dir)
          samples.push({ labels: { dir }, value: s.blocks * s.bsize })
        } catch {
          // As above.
        }
      }
      return samples
    }
  )
}
