/**
 * Keeps `npm run bench` from rotting: runs every scenario at smoke size (BENCH_SMOKE=1) against Samsa and
 * whichever peers are installed, and checks that each produced a complete, well-formed result. No timing
 * assertions: only that every record made the round trip and the figures were measured.
 */

import assert from 'node:assert/strict'
import { execFileSync, spawn } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'node:test'
import { fileURLToPath } from 'node:url'
import { type Measurement, wantsSamsaProduceOnly } from '../../bench/lib/measure.js'
import { scenarios } from '../../bench/lib/scenarios.js'
import { INSTALL, requirePeer } from '../helpers/test-peers.js'

const RUNNER = fileURLToPath(new URL('../../bench/run.js', import.meta.url))

function succeeds(command: string, args: readonly string[]): boolean {
  try {
    execFileSync(command, args, { stdio: 'ignore' })
    return true
  } catch {
    return false
  }
}

const onPath = (command: string) => succeeds('sh', ['-c', `command -v ${command}`])
const hasPkg = (pkg: string) => succeeds('pkg-config', ['--exists', pkg])

/**
 * The bench peers as scripts/install-bench-peers.sh lists them. Without the first three nothing can be
 * measured, so the test skips (outside CI); without the others the runner records those peers as not run,
 * which this test only accepts outside CI. Under CI=true any of them missing fails here, naming it.
 */
const benchSkip =
  requirePeer('C compiler (cc)', onPath('cc'), INSTALL.benchPeers) ||
  requirePeer('pkg-config', onPath('pkg-config'), INSTALL.benchPeers) ||
  requirePeer('librdkafka-dev', hasPkg('rdkafka'), INSTALL.benchPeers)
const partialPeers = [
  requirePeer('libhiredis-dev', hasPkg('hiredis'), INSTALL.benchPeers),
  requirePeer('libnats-dev', hasPkg('libnats'), INSTALL.benchPeers),
  requirePeer('redis-server', onPath('redis-server'), INSTALL.benchPeers),
  requirePeer('nats-server', onPath('nats-server'), INSTALL.benchPeers)
].filter((reason) => reason !== false)

function runSmoke(outDir: string, timeoutMs: number): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [RUNNER], {
      env: { ...process.env, BENCH_SMOKE: '1', BENCH_OUT: outDir },
      stdio: ['ignore', 'pipe', 'pipe']
    })
    let output = ''
    child.stdout.setEncoding('utf8').on('data', (s: string) => {
      output += s
    })
    child.stderr.setEncoding('utf8').on('data', (s: string) => {
      output += s
    })
    const timer = setTimeout(() => {
      child.kill('SIGKILL')
      reject(new Error(`bench smoke run did not finish in ${timeoutMs} ms:\n${output}`))
    }, timeoutMs)
    child.once('exit', (code) => {
      clearTimeout(timer)
      resolve({ code, output })
    })
  })
}

test('BENCH_SMOKE=1 runs every scenario end to end', {
  skip: benchSkip,
  timeout: 230_000
}, async (t) => {
  for (const reason of partialPeers) t.diagnostic(`not measured: ${reason}`)
  const outDir = mkdtempSync(join(tmpdir(), 'samsa-bench-smoke-'))
  try {
    const { code, output } = await runSmoke(outDir, 220_000)
    assert.equal(code, 0, output)
    for (const scenario of scenarios({ BENCH_SMOKE: '1' })) {
      const file = JSON.parse(readFileSync(join(outDir, `${scenario.id}.json`), 'utf8')) as {
        measurements: Measurement[]
        skipped: { peer: string; reason: string }[]
      }
      const samsa = file.measurements.find((m) => m.peer === 'samsa' && m.workload !== 'produce-only')
      assert.ok(samsa?.ok, `${scenario.id}: samsa ${samsa?.error ?? 'missing'}`)
      // Where the mock runs flat out, Samsa is measured produce-only as well, to be compared with it.
      const samsaWorkloads = file.measurements.filter((m) => m.peer === 'samsa').map((m) => m.workload)
      const expected =
        scenario.mode === 'catchup'
          ? ['catchup']
          : wantsSamsaProduceOnly(scenario)
            ? ['e2e', 'produce-only']
            : scenario.comparesTls
              ? ['e2e', 'e2e']
              : ['e2e']
      assert.deepEqual(samsaWorkloads, expected, `${scenario.id}: Samsa's workloads`)
      // A TLS comparison runs Samsa over PLAINTEXT and then over SSL.
      const transports = file.measurements.filter((m) => m.peer === 'samsa').map((m) => m.transport)
      assert.deepEqual(
        transports,
        expected.map((_, i) => (scenario.comparesTls && i === 1 ? 'SSL' : 'PLAINTEXT')),
        `${scenario.id}: Samsa's listeners`
      )
      const mock = file.measurements.find((m) => m.peer === 'kafka-mock')
      if (mock) assert.equal(mock.workload, 'produce-only', `${scenario.id}: the mock runs produce-only`)
      const ran = new Set([...file.measurements.map((m) => m.peer), ...file.skipped.map((s) => s.peer)])
      assert.deepEqual(
        [...ran].sort(),
        [...scenario.peers].sort(),
        `${scenario.id}: every peer ran or was skipped`
      )
      // A peer the runner could not run (not installed, or its driver did not build) fails under CI.
      for (const s of file.skipped) {
        const reason = requirePeer(`bench peer ${s.peer}`, false, INSTALL.benchPeers, s.reason)
        if (reason) t.diagnostic(`${scenario.id}: ${reason}`)
      }
      for (const m of file.measurements) {
        assert.ok(m.ok, `${scenario.id}/${m.peer}: ${m.error}`)
        const last = m.driver.at(-1)
        const delivered = m.workload === 'produce-only' ? last?.produce.acked : last?.consume.records
        assert.equal(delivered, scenario.records, `${scenario.id}/${m.peer}: every record delivered`)
        assert.ok(m.recordsPerSec > 0 && m.peakRssMb > 0, `${scenario.id}/${m.peer}: figures measured`)
        if (m.workload === 'e2e') assert.equal(last?.latencyMs.count, scenario.records)
        // Produce-only means no consumer ran: nothing was read and no latency was reported.
        if (m.workload === 'produce-only') {
          assert.equal(last?.consume.records, 0, `${scenario.id}/${m.peer}: no consumer`)
          assert.equal(m.latencyMs, undefined)
        }
      }
    }
    const report = readFileSync(join(outDir, 'benchmarks.md'), 'utf8')
    assert.match(report, /\| Samsa \|/, 'catch-up row')
    assert.match(report, /\| Samsa \(e2e\) \|/)
    assert.match(report, /\| Samsa \(produce only\) \|/)
    assert.match(report, /Samsa \(produce only\)\* is what the mock is compared with/)
    assert.match(report, /\| Samsa \(e2e, SSL\) \|/, 'the TLS row')
    assert.match(report, /SSL \/ PLAINTEXT \(one run each\): throughput [0-9.]+×, e2e p99 [0-9.]+×/)
  } finally {
    rmSync(outDir, { recursive: true, force: true })
  }
})
