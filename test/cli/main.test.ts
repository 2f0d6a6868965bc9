import assert from 'node:assert/strict'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, it } from 'node:test'
import { BrokerProcess, runCli } from '../helpers/broker-process.js'

describe('samsa CLI', () => {
  it('exits 1 on a bad override, naming the key, the value and the allowed range', async () => {
    const r = await runCli(['broker', '--override', 'num.partitions=abc'])
    assert.equal(r.code, 1)
    assert.match(r.stderr, /Invalid value abc for configuration num\.partitions: must be an integer >= 1/)
  })

  it('exits 1 on a bad value in the properties file', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'samsa-cli-'))
    try {
      const path = join(dir, 'server.properties')
      await writeFile(path, '# broker\nlog.cleaner.enable = maybe\n')
      const r = await runCli(['broker', path])
      assert.equal(r.code, 1)
      assert.match(
        r.stderr,
        /Invalid value maybe for configuration log\.cleaner\.enable: must be true or false/
      )
    } finally {
      await rm(dir, { recursive: true, force: true })
    }
  })

  it('exits 1 on a TLS listener without a keystore, naming the key', async () => {
    const r = await runCli(['broker', '--override', 'listeners=PLAINTEXT://127.0.0.1:0,SSL://127.0.0.1:0'])
    assert.equal(r.code, 1)
    assert.match(
      r.stderr,
      /configuration ssl\.keystore\.location: listener SSL uses TLS and needs a keystore/
    )
  })

  it('exits 1 on a missing properties file, an unknown command or a bad option', async () => {
    assert.equal((await runCli(['broker', '/nonexistent/server.properties'])).code, 1)
    assert.equal((await runCli(['frobnicate'])).code, 1)
    const r = await runCli(['broker', '--no-such-option'])
    assert.equal(r.code, 1)
    assert.match(r.stderr, /no-such-option/)
  })

  it('exits 1 when the listener port is taken', async () => {
    const blocker = createServer()
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve))
    const port = (blocker.address() as { port: number }).port
    try {
      const r = await runCli(['broker', '--override', `listeners=PLAINTEXT://127.0.0.1:${port}`])
      assert.equal(r.code, 1)
      assert.match(r.stdout, /broker failed to start/)
    } finally {
      blocker.close()
    }
  })

  it('logs JSON, warns about unknown keys, and exits 0 on SIGTERM', async () => {
    const broker = await BrokerProcess.start({ overrides: ['some.unknown.key=1'] })
    const warning = await broker.waitForLog((l) => l.level === 'warn' && l.key === 'some.unknown.key')
    assert.match(warning.msg, /isn't a known config/)
    assert.equal(typeof broker.port, 'number')
    const exit = await broker.stop('SIGTERM')
    assert.deepEqual(exit, { code: 0, signal: null })
    assert.ok(broker.logs.some((l) => l.msg === 'shutdown complete'))
  })

  it('exits 0 on SIGINT', async () => {
    const broker = await BrokerProcess.start()
    const exit = await broker.stop('SIGINT')
    assert.deepEqual(exit, { code: 0, signal: null })
  })
})
