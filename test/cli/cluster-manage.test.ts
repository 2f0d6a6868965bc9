/**
 * `samsa cluster` as a thing to manage: start fails while a broker fails (its port taken, in the ephemeral
 * range where a readiness probe used to connect to itself), status, restart-broker, add-broker,
 * remove-broker (which unregisters the broker) and stop naming a broker that was already dead.
 */

import assert from 'node:assert/strict'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { createServer, type Server } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { brokerAnswers } from '../../src/cli/cluster/broker-readiness.js'
import type { ClusterState } from '../../src/cli/cluster-command.js'
import { isAlive } from '../../src/cli/cluster-command.js'
import { runCli } from '../helpers/broker-process.js'
import { ensureEtcd } from '../helpers/etcd-process.js'

const EPHEMERAL = { low: 32768, high: 60999 }

/** `count` consecutive free loopback ports inside Linux's ephemeral range. */
async function freeRun(count: number): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const base = EPHEMERAL.low + Math.floor(Math.random() * (EPHEMERAL.high - EPHEMERAL.low - count))
    const servers: Server[] = []
    try {
      for (let i = 0; i < count; i++) servers.push(await listen(base + i))
      return base
    } catch {
      // Taken: another run.
    } finally {
      await Promise.all(servers.map((s) => new Promise((r) => s.close(r))))
    }
  }
  throw new Error('no free port run in the ephemeral range')
}

function listen(port: number): Promise<Server> {
  return new Promise((resolve, reject) => {
    const s = createServer()
    s.once('error', reject)
    s.listen(port, '127.0.0.1', () => resolve(s))
  })
}

async function state(dir: string): Promise<ClusterState> {
  return JSON.parse(await readFile(join(dir, 'cluster.json'), 'utf8')) as ClusterState
}

async function eventually(what: string, check: () => Promise<boolean>, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (Date.now() < deadline) {
    if (await check()) return
    await new Promise((r) => setTimeout(r, 200))
  }
  throw new Error(`timed out: ${what}`)
}

describe('samsa cluster management', async () => {
  const skip = await ensureEtcd()
  let dir = ''
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'samsa-cluster-manage-'))
  })
  after(async () => {
    if (!skip) await runCli(['cluster', 'stop', '--dir', dir], 60_000).catch(() => {})
    await rm(dir, { recursive: true, force: true })
  })

  it('start fails, naming the broker, when one broker port in the ephemeral range is taken', {
    skip
  }, async () => {
    const base = await freeRun(2)
    const blocker = await listen(base + 1)
    try {
      const r = await runCli(
        ['cluster', 'start', '--brokers', '2', '--base-port', String(base), '--dir', join(dir, 'taken')],
        90_000
      )
      assert.equal(r.code, 1, r.stdout)
      assert.match(r.stderr, new RegExp(`broker 2 \\(port ${base + 1}\\) exited during startup`))
      assert.match(r.stderr, /already in use/)
      assert.equal(r.stdout, '', 'no bootstrap servers printed')
      await assert.rejects(readFile(join(dir, 'taken', 'cluster.json')), { code: 'ENOENT' })
    } finally {
      blocker.close()
    }
  })

  it('status, restart-broker, add-broker, remove-broker, and stop with a dead broker', { skip }, async () => {
    const base = await freeRun(3)
    const start = await runCli(
      [
        'cluster',
        'start',
        '--brokers',
        '2',
        '--base-port',
        String(base),
        '--dir',
        dir,
        '--override',
        'broker.session.timeout.ms=3000'
      ],
      90_000
    )
    assert.equal(start.code, 0, start.stderr)
    // The bootstrap servers come first, then each broker's admin URL.
    assert.equal(start.stdout.split('\n')[0], `127.0.0.1:${base},127.0.0.1:${base + 1}`)

    const status = await runCli(['cluster', 'status', '--dir', dir], 30_000)
    assert.equal(status.code, 0, status.stderr)
    const initial = await state(dir)
    assert.match(status.stdout, new RegExp(`etcd +alive +pid ${initial.etcd.pid} +${initial.etcd.endpoint}`))
    for (const b of initial.brokers)
      assert.match(
        status.stdout,
        new RegExp(`broker ${b.nodeId} +alive +pid ${b.pid} +127\\.0\\.0\\.1:${b.port}`)
      )

    const restart = await runCli(['cluster', 'restart-broker', '2', '--dir', dir], 90_000)
    assert.equal(restart.code, 0, restart.stderr)
    const restarted = (await state(dir)).brokers.find((b) => b.nodeId === 2)!
    const before2 = initial.brokers.find((b) => b.nodeId === 2)!
    assert.notEqual(restarted.pid, before2.pid)
    assert.equal(isAlive(before2.pid), false)
    assert.equal(await brokerAnswers(base + 1, 2), true)

    const add = await runCli(['cluster', 'add-broker', '--dir', dir], 90_000)
    assert.equal(add.code, 0, add.stderr)
    assert.match(add.stdout, new RegExp(`broker 3 added on 127\\.0\\.0\\.1:${base + 2}`))
    const added = await state(dir)
    assert.deepEqual(
      added.brokers.map((b) => b.nodeId),
      [1, 2, 3]
    )
    assert.equal(added.bootstrap.split(',').length, 3)
    // Broker 1 sees broker 3 in its Metadata: it joined the cluster.
    await eventually('broker 1 lists broker 3', () => brokerAnswers(base, 3))

    const remove = await runCli(['cluster', 'remove-broker', '3', '--dir', dir], 90_000)
    assert.equal(remove.code, 0, remove.stderr)
    const removed = await state(dir)
    assert.deepEqual(
      removed.brokers.map((b) => b.nodeId),
      [1, 2]
    )
    assert.equal(isAlive(added.brokers[2]!.pid), false)
    // Unregistered: broker 1's Metadata no longer lists it.
    await eventually('broker 1 no longer lists broker 3', async () => !(await brokerAnswers(base, 3)))
    assert.equal(await brokerAnswers(base, 1), true)

    const dead = removed.brokers[0]!
    process.kill(dead.pid, 'SIGKILL')
    await eventually('broker 1 is gone', async () => !isAlive(dead.pid))
    const degraded = await runCli(['cluster', 'status', '--dir', dir], 30_000)
    assert.equal(degraded.code, 1)
    assert.match(degraded.stdout, new RegExp(`broker 1 +DEAD +pid ${dead.pid}`))

    const stop = await runCli(['cluster', 'stop', '--dir', dir], 60_000)
    assert.equal(stop.code, 0, stop.stderr)
    assert.match(stop.stdout, /stopped 1 broker\(s\) and etcd/)
    assert.match(stop.stdout, new RegExp(`broker 1 \\(pid ${dead.pid}\\) was already dead`))
    assert.equal(isAlive(removed.brokers[1]!.pid), false)
    assert.equal(isAlive(removed.etcd.pid), false)
  })
})
