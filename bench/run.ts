/**
 * `npm run bench`: runs every scenario against Samsa and its peers, writes bench/results/<scenario>.json and
 * regenerates docs/benchmarks.md. Each measurement's `workload` says whether a consumer ran (`e2e`), did not
 * (`produce-only`: the mock, and Samsa a second time beside it) or the run was a catch-up read.
 *
 * Environment: BENCH_SMOKE=1 (tiny sizes; results go to bench/results/tmp/smoke, docs untouched), BENCH_OUT
 * (another results directory, which then also gets the report instead of docs/),
 * BENCH_CATCHUP_MB (catch-up size, default 256), BENCH_SCENARIOS / BENCH_PEERS (comma-separated filters),
 * BENCH_CPU_PROF=<dir> (write a V8 CPU profile of each Samsa broker there), BENCH_TIMEOUT_S (per driver run).
 */

import { mkdirSync, writeFileSync } from 'node:fs'
import { cpus } from 'node:os'
import { join, resolve } from 'node:path'
import { buildBinaries, REPO_ROOT } from './lib/build-drivers.js'
import {
  type Measurement,
  measure,
  type Transport,
  wantsSamsaProduceOnly,
  workloadOf
} from './lib/measure.js'
import { renderMarkdown, type ScenarioResult } from './lib/report.js'
import { type PeerName, scenarios } from './lib/scenarios.js'
import { onPath } from './lib/servers.js'

const env = process.env
const smoke = env.BENCH_SMOKE === '1'
const list = (v: string | undefined) => (v ? v.split(',').map((s) => s.trim()) : undefined)
const onlyScenarios = list(env.BENCH_SCENARIOS)
const onlyPeers = list(env.BENCH_PEERS)
const outDir = resolve(env.BENCH_OUT ?? join(REPO_ROOT, smoke ? 'bench/results/tmp/smoke' : 'bench/results'))
const docPath = smoke || env.BENCH_OUT ? join(outDir, 'benchmarks.md') : join(REPO_ROOT, 'docs/benchmarks.md')

const binaries = buildBinaries()
const unavailable = new Map<PeerName, string>()
if (!binaries.kafkaDriver) throw new Error(`kafka driver did not build: ${binaries.missing.kafkaDriver}`)
if (!binaries.mockd) unavailable.set('kafka-mock', `mockd did not build: ${binaries.missing.mockd}`)
if (!onPath('redis-server')) unavailable.set('redis', 'redis-server not installed')
else if (!binaries.redisDriver)
  unavailable.set('redis', `driver did not build: ${binaries.missing.redisDriver}`)
if (!onPath('nats-server')) unavailable.set('nats', 'nats-server not installed')
else if (!binaries.natsDriver) unavailable.set('nats', `driver did not build: ${binaries.missing.natsDriver}`)

mkdirSync(outDir, { recursive: true })
const results: ScenarioResult[] = []
let failures = 0
const timeoutSeconds = Number(env.BENCH_TIMEOUT_S ?? (smoke ? 30 : 150))

for (const scenario of scenarios(env)) {
  if (onlyScenarios && !onlyScenarios.includes(scenario.id)) continue
  const result: ScenarioResult = { scenario, measurements: [], skipped: [] }
  // Samsa runs twice where the mock runs flat out: produce-only (no consumer, like the mock) for the ratio to
  // the mock, and e2e (one consumer following) for latency and the comparison with Redis and NATS.
  const runs = scenario.peers.flatMap(
    (peer): { peer: PeerName; produceOnly: boolean; transport: Transport }[] =>
      peer === 'samsa' && wantsSamsaProduceOnly(scenario)
        ? [
            { peer, produceOnly: false, transport: 'PLAINTEXT' },
            { peer, produceOnly: true, transport: 'PLAINTEXT' }
          ]
        : peer === 'samsa' && scenario.comparesTls
          ? [
              { peer, produceOnly: false, transport: 'PLAINTEXT' },
              { peer, produceOnly: false, transport: 'SSL' }
            ]
          : [{ peer, produceOnly: false, transport: 'PLAINTEXT' }]
  )
  for (const { peer, produceOnly, transport } of runs) {
    if (onlyPeers && !onlyPeers.includes(peer)) continue
    const reason = unavailable.get(peer)
    if (reason) {
      if (!produceOnly) result.skipped.push({ peer, reason })
      continue
    }
    let m: Measurement
    const started = Date.now()
    try {
      m = await measure(
        peer,
        scenario,
        {
          binaries,
          repoRoot: REPO_ROOT,
          timeoutSeconds,
          settleMs: smoke ? 100 : 1000,
          ...(env.BENCH_CPU_PROF && peer === 'samsa' ? { cpuProfDir: resolve(env.BENCH_CPU_PROF) } : {})
        },
        produceOnly,
        transport
      )
    } catch (err) {
      m = {
        peer,
        workload: workloadOf(peer, scenario, produceOnly),
        transport,
        ok: false,
        error: (err as Error).message.split('\n')[0] ?? 'failed',
        recordsPerSec: 0,
        mbPerSec: 0,
        serverCpuSeconds: 0,
        cpuSecondsPerGB: 0,
        peakRssMb: 0,
        driverCpuPerWallSecond: 0,
        driver: []
      }
    }
    if (!m.ok) failures++
    const latency = m.latencyMs ? ` p50 ${m.latencyMs.p50} ms p99 ${m.latencyMs.p99} ms` : ''
    console.log(
      `${scenario.id.padEnd(18)} ${peer.padEnd(10)} ${m.workload.padEnd(12)} ${transport.padEnd(9)} ${m.ok ? 'ok    ' : 'FAILED'} ` +
        `${Math.round(m.recordsPerSec)} rec/s ${m.mbPerSec.toFixed(1)} MB/s${latency} ` +
        `cpu ${m.cpuSecondsPerGB.toFixed(2)} s/GB rss ${Math.round(m.peakRssMb)} MB` +
        ` (${((Date.now() - started) / 1000).toFixed(1)} s)` +
        (m.error ? ` (${m.error})` : '')
    )
    result.measurements.push(m)
  }
  results.push(result)
  writeFileSync(
    join(outDir, `${scenario.id}.json`),
    `${JSON.stringify({ scenario, smoke, date: new Date().toISOString(), measurements: result.measurements, skipped: result.skipped }, null, 2)}\n`
  )
}

const cpu = cpus()
const catchup = results.find((r) => r.scenario.id === 'catchup')?.scenario
writeFileSync(
  docPath,
  renderMarkdown(results, {
    date: new Date().toISOString().slice(0, 10),
    command: smoke ? 'BENCH_SMOKE=1 npm run bench' : 'npm run bench',
    machine: `${cpu.length} × ${cpu[0]?.model.trim() ?? 'unknown CPU'}, Node ${process.version}`,
    smoke,
    catchupMb: catchup ? Math.round((catchup.records * catchup.size) / 1e6) : 0
  })
)
console.log(`results: ${outDir}; report: ${docPath}`)
if (failures > 0) process.exitCode = 1
