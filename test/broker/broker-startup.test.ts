import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { chmod, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { createServer, type Server } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { BrokerProcess, CLI_PATH, runCli } from '../helpers/broker-process.js'

const lastLine = (text: string): string => text.trimEnd().split('\n').at(-1) ?? ''

describe('broker start-up safety', () => {
  let dir: string
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'samsa-startup-'))
  })
  after(async () => {
    await rm(dir, { recursive: true, force: true })
  })

  it('a second broker on the same log dir exits non-zero naming the lock, and the first keeps running', async () => {
    const first = await BrokerProcess.start()
    try {
      const lock = await readFile(join(first.logDir, '.lock'), 'utf8')
      assert.match(lock, new RegExp(`^pid=${first.pid} `))
      const r = await runCli(
        [
          'broker',
          '--override',
          'listeners=PLAINTEXT://127.0.0.1:0',
          '--override',
          `log.dirs=${first.logDir}`
        ],
        20_000
      )
      assert.equal(r.code, 1)
      assert.match(
        lastLine(r.stderr),
        new RegExp(
          `^samsa broker: failed to start: Failed to acquire lock on file \\.lock in ${first.logDir}: another broker process \\(pid ${first.pid}\\)`
        )
      )
      assert.equal(first.child.exitCode, null)
      // The failed broker left the lock to its owner.
      assert.equal(await readFile(join(first.logDir, '.lock'), 'utf8'), lock)
    } finally {
      assert.equal(await stopKeepingDir(first), 0)
    }
  })

  it('a log dir under a file, or one that cannot be created, fails fast with one clear last line', async () => {
    const file = join(dir, 'a-file')
    await writeFile(file, 'not a directory')
    for (const [logDir, expected] of [
      [join(file, 'logs'), /log dir .* is unusable: .*a-file exists and is not a directory$/],
      // Node's recursive mkdir used to spin here forever, deaf to SIGTERM.
      ['/proc/samsa-no-such-dir/logs', /log dir \/proc\/samsa-no-such-dir\/logs could not be created/]
    ] as const) {
      const started = Date.now()
      const r = await runCli(
        ['broker', '--override', 'listeners=PLAINTEXT://127.0.0.1:0', '--override', `log.dirs=${logDir}`],
        20_000
      )
      assert.equal(r.code, 1, r.stderr)
      assert.match(lastLine(r.stderr), /^samsa broker: failed to start: /)
      assert.match(lastLine(r.stderr), expected)
      assert.ok(Date.now() - started < 15_000)
    }
  })

  it('a taken listener port and an unreachable etcd each end with one clear last line', async () => {
    const blocker = await new Promise<Server>((resolve) => {
      const s = createServer()
      s.listen(0, '127.0.0.1', () => resolve(s))
    })
    const taken = (blocker.address() as { port: number }).port
    try {
      const r = await runCli(
        [
          'broker',
          '--override',
          `listeners=PLAINTEXT://127.0.0.1:${taken}`,
          '--override',
          `log.dirs=${join(dir, 'port')}`
        ],
        20_000
      )
      assert.equal(r.code, 1)
      assert.match(
        lastLine(r.stderr),
        new RegExp(`^samsa broker: failed to start: a listener's port is already in use .*:${taken}`)
      )
    } finally {
      blocker.close()
    }
    // Nothing listens on the etcd port: the connection is refused.
    const closed = await freePort()
    const r = await runCli(
      [
        'broker',
        '--override',
        `listeners=PLAINTEXT://127.0.0.1:${await freePort()}`,
        '--override',
        `log.dirs=${join(dir, 'etcd')}`,
        '--override',
        'metadata.store=etcd',
        '--override',
        `etcd.endpoints=http://127.0.0.1:${closed}`
      ],
      45_000
    )
    assert.equal(r.code, 1)
    assert.match(
      lastLine(r.stderr),
      new RegExp(`^samsa broker: failed to start: etcd is unreachable at http://127\\.0\\.0\\.1:${closed}`)
    )
  })

  it('an unwritable log dir exits non-zero fast', async (t) => {
    let unwritable: string
    if (process.getuid?.() === 0) {
      // File modes do not stop root; sysfs refuses new files even to root.
      unwritable = '/sys/kernel'
      const probe = await writeFile(join(unwritable, '.samsa-probe'), '', { flag: 'wx' }).then(
        () => true,
        () => false
      )
      if (probe) return t.skip('running as root where /sys/kernel is writable: no unwritable directory')
    } else {
      unwritable = join(dir, 'read-only')
      await mkdir(unwritable)
      await chmod(unwritable, 0o555)
    }
    const started = Date.now()
    const r = await runCli(
      ['broker', '--override', 'listeners=PLAINTEXT://127.0.0.1:0', '--override', `log.dirs=${unwritable}`],
      20_000
    )
    assert.equal(r.code, 1)
    assert.match(
      lastLine(r.stderr),
      new RegExp(`^samsa broker: failed to start: log dir ${unwritable} is not writable`)
    )
    assert.ok(Date.now() - started < 15_000)
  })

  it('SIGTERM during a slow start-up (etcd that never answers) ends the process', async () => {
    const silent: Server = createServer(() => {})
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve))
    const etcdPort = (silent.address() as { port: number }).port
    const port = await freePort()
    const child = spawn(
      process.execPath,
      [
        CLI_PATH,
        'broker',
        '--override',
        `listeners=PLAINTEXT://127.0.0.1:${port}`,
        '--override',
        `log.dirs=${join(dir, 'slow')}`,
        '--override',
        'metadata.store=etcd',
        '--override',
        `etcd.endpoints=http://127.0.0.1:${etcdPort}`
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] }
    )
    let stdout = ''
    let stderr = ''
    child.stdout.setEncoding('utf8').on('data', (s: string) => {
      stdout += s
    })
    child.stderr.setEncoding('utf8').on('data', (s: string) => {
      stderr += s
    })
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)))
    try {
      const deadline = Date.now() + 15_000
      while (!stdout.includes('starting broker') && Date.now() < deadline)
        await new Promise((r) => setTimeout(r, 50))
      assert.ok(stdout.includes('starting broker'), 'the broker reached start-up')
      await new Promise((r) => setTimeout(r, 300))
      child.kill('SIGTERM')
      const signalled = Date.now()
      const code = await Promise.race([
        exited,
        new Promise<'hung'>((r) => setTimeout(() => r('hung'), 15_000))
      ])
      assert.equal(code, 1)
      assert.ok(Date.now() - signalled < 12_000)
      assert.match(lastLine(stderr), /start-up interrupted by SIGTERM/)
    } finally {
      child.kill('SIGKILL')
      silent.close()
    }
  })

  it('a stock KRaft server.properties starts with one note and does not open the controller listener', async () => {
    const controllerPort = await freePort()
    const properties = join(dir, 'kraft.properties')
    await writeFile(
      properties,
      [
        'process.roles=broker,controller',
        'node.id=1',
        `controller.quorum.voters=1@127.0.0.1:${controllerPort}`,
        `controller.quorum.bootstrap.servers=127.0.0.1:${controllerPort}`,
        'controller.listener.names=CONTROLLER',
        'listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT',
        'inter.broker.listener.name=PLAINTEXT',
        ''
      ].join('\n')
    )
    const broker = await BrokerProcess.start({
      args: [properties],
      overrides: [`listeners=PLAINTEXT://127.0.0.1:0,CONTROLLER://127.0.0.1:${controllerPort}`]
    })
    try {
      const notes = broker.logs.filter((l) => /KRaft/.test(l.msg))
      assert.equal(notes.length, 1)
      assert.match(notes[0]!.msg, /process\.roles/)
      assert.match(notes[0]!.msg, /controller\.quorum\.voters/)
      assert.match(
        notes[0]!.msg,
        new RegExp(`controller listener not opened: CONTROLLER://127\\.0\\.0\\.1:${controllerPort}`)
      )
      assert.deepEqual(
        broker.logs.filter((l) => l.msg === 'listening').map((l) => l.listener),
        ['PLAINTEXT']
      )
      // The controller port is still free: nothing listens there.
      const probe = createServer()
      await new Promise<void>((resolve, reject) =>
        probe.once('error', reject).listen(controllerPort, '127.0.0.1', resolve)
      )
      probe.close()
    } finally {
      assert.equal((await broker.stop()).code, 0)
    }
  })
})

async function stopKeepingDir(broker: BrokerProcess): Promise<number | null> {
  // stop() removes the log dir afterwards; the lock's removal is checked before that through a copy of the path.
  broker.child.kill('SIGTERM')
  const code = await new Promise<number | null>((resolve) => {
    if (broker.child.exitCode !== null) return resolve(broker.child.exitCode)
    broker.child.once('exit', (c) => resolve(c))
  })
  const stillThere = await readFile(join(broker.logDir, '.lock'), 'utf8').catch(() => null)
  await broker.stop()
  if (stillThere !== null) throw new Error('the lock survived a clean shutdown')
  return code
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer()
    s.once('error', reject)
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port
      s.close(() => resolve(port))
    })
  })
}
