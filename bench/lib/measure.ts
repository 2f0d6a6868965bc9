/**
 * One scenario against one server: start the server fresh, run the driver, and turn the driver's result and
 * the server's /proc counters into the reported figures.
 */

import type { Binaries } from './build-drivers.js'
import { cpuSeconds, peakRssMb } from './proc-stats.js'
import { type DriverResult, runDriver } from './run-driver.js'
import type { PeerName, Scenario } from './scenarios.js'
import { type RunningServer, startKafkaMock, startNats, startRedis, startSamsa } from './servers.js'

/**
 * What the measured run did: `e2e` produces while one consumer follows in the driver process, `produce-only`
 * runs no consumer, `catchup` reads back data written beforehand.
 */
export type Workload = 'e2e' | 'produce-only' | 'catchup'

/** The listener the driver used: PLAINTEXT, or SSL in a scenario that compares TLS (comparesTls). */
export type Transport = 'PLAINTEXT' | 'SSL'

export interface Measurement {
  peer: PeerName
  workload: Workload
  /** Absent in results written before TLS was measured: PLAINTEXT. */
  transport?: Transport
  ok: boolean
  error?: string
  recordsPerSec: number
  mbPerSec: number
  latencyMs?: { p50: number; p99: number; p999: number; max: number }
  serverCpuSeconds: number
  cpuSecondsPerGB: number
  peakRssMb: number
  /** Driver CPU-seconds per wall-second: well below its thread count means the driver was not the limit. */
  driverCpuPerWallSecond: number
  driver: DriverResult[]
}

export interface MeasureContext {
  binaries: Binaries
  repoRoot: string
  timeoutSeconds: number
  settleMs: number
  cpuProfDir?: string
}

function driverFor(peer: PeerName, binaries: Binaries): string | undefined {
  if (peer === 'redis') return binaries.redisDriver
  if (peer === 'nats') return binaries.natsDriver
  return binaries.kafkaDriver
}

async function startServer(
  peer: PeerName,
  ctx: MeasureContext,
  topic: string,
  scenario: Scenario,
  transport: Transport
) {
  switch (peer) {
    case 'samsa':
      return startSamsa({ repoRoot: ctx.repoRoot, cpuProfDir: ctx.cpuProfDir, ssl: transport === 'SSL' })
    case 'kafka-mock':
      if (!ctx.binaries.mockd) throw new Error(`mockd unavailable: ${ctx.binaries.missing.mockd}`)
      return startKafkaMock(ctx.binaries.mockd, topic, scenario)
    case 'redis':
      return startRedis()
    case 'nats':
      return startNats()
  }
}

/**
 * Waits (at most `maxMs`) until the server uses under 5 % of a core over two consecutive 250 ms windows:
 * work a topic creation started in the background (opening logs) is then done.
 */
async function waitForQuiet(pid: number, maxMs = 30_000): Promise<void> {
  const windowMs = 250
  let quiet = 0
  let last = cpuSeconds(pid)
  for (let waited = 0; waited < maxMs && quiet < 2; waited += windowMs) {
    await new Promise((resolve) => setTimeout(resolve, windowMs))
    const now = cpuSeconds(pid)
    quiet = now - last < 0.05 * (windowMs / 1000) ? quiet + 1 : 0
    last = now
  }
}

/**
 * A warm-up run before the measured one, on a topic of its own with a fifth of the records and at most 16
 * partitions, for Samsa only: it runs on V8, whose JIT compiles the hot path during the first seconds, and
 * JVM and Node benchmarks warm up for that reason. The peers are native code (C, Go) and need none.
 */
function warmUpArgs(args: readonly string[]): string[] {
  const out = [...args]
  const set = (flag: string, value: (old: string) => string) => {
    const i = out.indexOf(flag)
    if (i >= 0 && out[i + 1] !== undefined) out[i + 1] = value(out[i + 1]!)
  }
  set('--topic', (t) => `${t}-warmup`)
  set('--records', (n) => String(Math.max(1000, Math.round(Number(n) / 5))))
  set('--partitions', (n) => String(Math.min(16, Number(n))))
  return out
}

/**
 * The workload a peer runs in a scenario. The mock keeps only the newest 100,000 records (5 MB) per partition,
 * so a consumer that falls behind loses records for good: it always runs produce-only.
 */
export function workloadOf(peer: PeerName, scenario: Scenario, produceOnly = false): Workload {
  if (scenario.mode === 'catchup') return 'catchup'
  return produceOnly || peer === 'kafka-mock' ? 'produce-only' : 'e2e'
}

/** Scenarios where Samsa is also measured produce-only, so that its ratio to the mock compares like with like. */
export function wantsSamsaProduceOnly(scenario: Scenario): boolean {
  return scenario.mode === 'e2e' && scenario.rate === 0 && scenario.peers.includes('kafka-mock')
}

/**
 * `produceOnly` drops the consumer for a peer that otherwise runs one (Samsa beside the mock); `transport`
 * SSL serves Samsa on a TLS listener and passes the driver its TLS settings.
 */
export async function measure(
  peer: PeerName,
  scenario: Scenario,
  ctx: MeasureContext,
  produceOnly = false,
  transport: Transport = 'PLAINTEXT'
): Promise<Measurement> {
  const workload = workloadOf(peer, scenario, produceOnly)
  const driver = driverFor(peer, ctx.binaries)
  if (!driver) throw new Error(`driver for ${peer} unavailable`)
  const topic = `bench-${scenario.id}`
  const server: RunningServer = await startServer(peer, ctx, topic, scenario, transport)
  try {
    const args = [
      ...(server.clientProperties ?? []).flatMap((p) => ['--property', p]),
      '--bootstrap',
      server.bootstrap,
      '--topic',
      topic,
      '--records',
      String(scenario.records),
      '--size',
      String(scenario.size),
      '--partitions',
      String(scenario.partitions),
      '--producers',
      String(scenario.producers),
      '--rate',
      String(scenario.rate),
      '--acks',
      scenario.acks,
      '--compression',
      scenario.compression,
      '--timeout-s',
      String(ctx.timeoutSeconds),
      '--settle-ms',
      String(ctx.settleMs),
      // The mock gets its topic on its command line; Samsa and JetStream get it created by the driver.
      '--create',
      peer === 'samsa' || peer === 'nats' ? '1' : '0'
    ]
    const backstop = (ctx.timeoutSeconds + 60) * 1000
    const noConsumer = workload === 'produce-only'
    const results: DriverResult[] = []
    let measured: DriverResult
    let cpuBefore: number
    // The mock gets its topic before it starts; the others create it in a run of its own and settle before the
    // measured run, so that creating 1,000 partitions is not charged to produce throughput and CPU.
    const noCreate = args.map((a, i) => (args[i - 1] === '--create' ? '0' : a))
    if (peer === 'samsa' || peer === 'nats') {
      results.push(await runDriver(driver, [...args, '--produce', '0', '--consume', '0'], backstop))
      if (peer === 'samsa') results.push(await runDriver(driver, warmUpArgs(args), backstop))
      await waitForQuiet(server.pid)
    }
    if (scenario.mode === 'catchup') {
      // Fill the log first, then measure only the cold read from offset zero.
      results.push(await runDriver(driver, [...noCreate, '--consume', '0'], backstop))
      cpuBefore = cpuSeconds(server.pid)
      measured = await runDriver(driver, [...noCreate, '--produce', '0'], backstop)
    } else {
      cpuBefore = cpuSeconds(server.pid)
      measured = await runDriver(driver, noConsumer ? [...noCreate, '--consume', '0'] : noCreate, backstop)
    }
    results.push(measured)
    const serverCpu = cpuSeconds(server.pid) - cpuBefore
    const rss = peakRssMb(server.pid)
    const catchup = scenario.mode === 'catchup'
    const recordsPerSec = catchup ? measured.consume.recordsPerSec : measured.produce.recordsPerSec
    const bytes = (catchup ? measured.consume.records : measured.produce.acked) * scenario.size
    const errors = results.map((r) => r.error).filter((e) => e)
    const delivered = noConsumer ? measured.produce.acked : measured.consume.records
    const complete = results.every((r) => !r.timedOut) && delivered >= scenario.records
    return {
      peer,
      workload,
      transport,
      ok: complete && errors.length === 0,
      ...(errors.length > 0 || !complete
        ? { error: errors[0] ?? `delivered ${delivered} of ${scenario.records}` }
        : {}),
      recordsPerSec,
      mbPerSec: (recordsPerSec * scenario.size) / 1e6,
      ...(workload !== 'e2e' ? {} : { latencyMs: measured.latencyMs }),
      serverCpuSeconds: serverCpu,
      cpuSecondsPerGB: bytes > 0 ? serverCpu / (bytes / 1e9) : 0,
      peakRssMb: rss,
      driverCpuPerWallSecond: measured.wallSeconds > 0 ? measured.driverCpuSeconds / measured.wallSeconds : 0,
      driver: results
    }
  } finally {
    await server.stop()
  }
}
