/**
 * /readyz is 503 with its reasons while the broker waits for its cluster metadata (an etcd endpoint that
 * accepts connections and never answers), and a broker with a SASL listener guards /metrics and /v1 with
 * HTTP Basic authentication against its PLAIN users while leaving the probes open.
 */

import assert from 'node:assert/strict'
import { type ChildProcess, spawn } from 'node:child_process'
import { mkdtemp, rm } from 'node:fs/promises'
import { type AddressInfo, createServer, type Server, type Socket } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, describe, it } from 'node:test'
import { BrokerProcess, CLI_PATH } from '../helpers/broker-process.js'

async function freePort(): Promise<number> {
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  await new Promise<void>((resolve) => server.close(() => resolve()))
  return port
}

async function adminPortOf(child: ChildProcess, output: () => string): Promise<number> {
  const deadline = Date.now() + 10_000
  while (Date.now() < deadline) {
    const m = /"port":(\d+),"msg":"admin listening"/.exec(output())
    if (m) return Number(m[1])
    if (child.exitCode !== null) throw new Error(`broker exited: ${output()}`)
    await new Promise((r) => setTimeout(r, 20))
  }
  throw new Error(`no admin listener: ${output()}`)
}

describe('/readyz before the broker is ready', () => {
  let silentEtcd: Server | undefined
  const held: Socket[] = []
  let child: ChildProcess | undefined
  let dir = ''

  after(async () => {
    child?.kill('SIGKILL')
    for (const s of held) s.destroy()
    silentEtcd?.close()
    if (dir) await rm(dir, { recursive: true, force: true })
  })

  it('answers 503 with the reasons while metadata, recovery and listeners are pending', async () => {
    silentEtcd = createServer((s) => held.push(s))
    await new Promise<void>((resolve) => silentEtcd!.listen(0, '127.0.0.1', resolve))
    const etcdPort = (silentEtcd.address() as AddressInfo).port
    dir = await mkdtemp(join(tmpdir(), 'samsa-readyz-'))
    let output = ''
    child = spawn(
      process.execPath,
      [
        CLI_PATH,
        'broker',
        ...[
          `log.dirs=${dir}`,
          `listeners=PLAINTEXT://127.0.0.1:${await freePort()}`,
          'admin.listeners=http://127.0.0.1:0',
          'metadata.store=etcd',
          `etcd.endpoints=http://127.0.0.1:${etcdPort}`
        ].flatMap((o) => ['--override', o])
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] }
    )
    child.stdout?.on('data', (d: Buffer) => {
      output += d.toString()
    })
    const port = await adminPortOf(child, () => output)
    assert.equal((await fetch(`http://127.0.0.1:${port}/healthz`)).status, 200)
    const ready = await fetch(`http://127.0.0.1:${port}/readyz`)
    assert.equal(ready.status, 503)
    const body = (await ready.json()) as { ready: boolean; reasons: string[] }
    assert.equal(body.ready, false)
    assert.ok(body.reasons.includes('cluster metadata not loaded'), body.reasons.join('; '))
    assert.ok(body.reasons.includes('log recovery not finished'))
  })
})

describe('admin listener with SASL: HTTP Basic against the PLAIN users', () => {
  const JAAS =
    'org.apache.kafka.common.security.plain.PlainLoginModule required username="admin" password="admin-secret" user_admin="admin-secret";'
  let broker: BrokerProcess | undefined

  after(async () => {
    await broker?.stop()
  })

  it('refuses /metrics and /v1 without the right password and serves them with it', async () => {
    broker = await BrokerProcess.start({
      overrides: [
        'listeners=PLAINTEXT://127.0.0.1:0,SASL_PLAINTEXT://127.0.0.1:0',
        'listener.name.sasl_plaintext.sasl.enabled.mechanisms=PLAIN',
        `listener.name.sasl_plaintext.plain.sasl.jaas.config=${JAAS}`
      ]
    })
    const base = `http://127.0.0.1:${broker.adminPort}`
    const basic = (user: string, password: string) => ({
      authorization: `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`
    })
    const none = await fetch(`${base}/metrics`)
    assert.equal(none.status, 401)
    assert.match(none.headers.get('www-authenticate') ?? '', /^Basic /)
    assert.equal((await fetch(`${base}/v1/brokers`, { headers: basic('admin', 'wrong') })).status, 401)
    assert.equal(
      (await fetch(`${base}/v1/brokers`, { headers: basic('nobody', 'admin-secret') })).status,
      401
    )
    const metrics = await fetch(`${base}/metrics`, { headers: basic('admin', 'admin-secret') })
    assert.equal(metrics.status, 200)
    assert.match(await metrics.text(), /samsa_build_info\{/)
    const brokers = await fetch(`${base}/v1/brokers`, { headers: basic('admin', 'admin-secret') })
    assert.equal(brokers.status, 200)
    assert.equal(((await brokers.json()) as unknown[]).length, 1)
    // Probes stay open to orchestrators without credentials.
    assert.equal((await fetch(`${base}/readyz`)).status, 200)
  })
})
