/**
 * Starts and stops the servers under test as their own processes, each on a free loopback port with a
 * fresh data directory: Samsa, the librdkafka mock cluster, redis-server and nats-server.
 */

import { type ChildProcess, execFileSync, spawn } from 'node:child_process'
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import type { Scenario } from './scenarios.js'

export interface RunningServer {
  pid: number
  bootstrap: string
  /** librdkafka properties a client needs for this server (`--property` of the Kafka driver): TLS settings. */
  clientProperties?: readonly string[]
  stop(): Promise<void>
}

function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not start within ${ms} ms`)), ms)
  })
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer))
}

/** Resolves with the first stdout line that `match` maps to a value; rejects if the process exits. */
function waitForLine<T>(
  child: ChildProcess,
  match: (line: string) => T | undefined,
  what: string
): Promise<T> {
  let stderr = ''
  child.stderr?.setEncoding('utf8').on('data', (s: string) => {
    stderr = (stderr + s).slice(-4000)
  })
  const found = new Promise<T>((resolve, reject) => {
    if (!child.stdout) return reject(new Error(`${what} has no stdout`))
    const lines = createInterface({ input: child.stdout })
    lines.on('line', (line) => {
      const value = match(line)
      if (value !== undefined) resolve(value)
    })
    child.once('exit', (code, signal) => reject(new Error(`${what} exited (${code ?? signal}): ${stderr}`)))
  })
  return withTimeout(found, 20_000, what)
}

/** `graceMs` before SIGKILL: a profiled broker writes its CPU profile only once it has shut down. */
function stopper(child: ChildProcess, dir?: string, graceMs = 15_000): () => Promise<void> {
  return async () => {
    if (child.exitCode === null && child.signalCode === null) {
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
      child.kill('SIGTERM')
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs)
      await exited
      clearTimeout(timer)
    }
    if (dir) rmSync(dir, { recursive: true, force: true })
  }
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const address = server.address()
      const port = typeof address === 'object' && address ? address.port : 0
      server.close(() => resolve(port))
    })
  })
}

export interface SamsaOptions {
  repoRoot: string
  /** Directory for a V8 CPU profile (node --cpu-prof), written when the broker exits. */
  cpuProfDir?: string
  /**
   * Serve one SSL listener instead of PLAINTEXT: a CA and a broker certificate for 127.0.0.1 (RSA 2048, as
   * `samsa certs create` makes them), the PEM keystore, no client certificates.
   */
  ssl?: boolean
}

/**
 * A CA (ca.pem) and a broker certificate for 127.0.0.1 and localhost signed by it, key and chain in broker.pem,
 * with the openssl CLI directly: `samsa certs create` would also run keytool, a JVM start per server.
 */
function createBrokerCertificate(dir: string): void {
  mkdirSync(dir, { recursive: true })
  const openssl = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' })
  const subject = (cn: string) => ['-subj', `/CN=${cn}`]
  openssl(
    'req',
    '-x509',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-keyout',
    'ca-key.pem',
    '-out',
    'ca.pem',
    '-days',
    '2',
    ...subject('Samsa Bench CA')
  )
  openssl(
    'req',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-keyout',
    'broker-key.pem',
    '-out',
    'broker.csr',
    ...subject('localhost')
  )
  writeFileSync(join(dir, 'broker.ext'), 'subjectAltName=IP:127.0.0.1,DNS:localhost\n')
  openssl(
    'x509',
    '-req',
    '-in',
    'broker.csr',
    '-CA',
    'ca.pem',
    '-CAkey',
    'ca-key.pem',
    '-CAcreateserial',
    '-days',
    '2',
    '-extfile',
    'broker.ext',
    '-out',
    'broker-cert.pem'
  )
  const read = (name: string) => readFileSync(join(dir, name), 'utf8')
  writeFileSync(join(dir, 'broker.pem'), read('broker-key.pem') + read('broker-cert.pem') + read('ca.pem'))
}

export async function startSamsa(options: SamsaOptions): Promise<RunningServer> {
  const dir = mkdtempSync(join(tmpdir(), 'samsa-bench-'))
  const nodeFlags = options.cpuProfDir ? ['--cpu-prof', `--cpu-prof-dir=${options.cpuProfDir}`] : []
  const cli = join(options.repoRoot, 'bin/samsa.js')
  const certs = join(dir, 'certs')
  if (options.ssl) createBrokerCertificate(certs)
  const listener = options.ssl
    ? [
        'listeners=SSL://127.0.0.1:0',
        'ssl.keystore.type=PEM',
        `ssl.keystore.location=${join(certs, 'broker.pem')}`
      ]
    : ['listeners=PLAINTEXT://127.0.0.1:0']
  // The data directory is a subdirectory, so that the certificates are not in a log dir.
  const logDir = join(dir, 'data')
  const args = [
    ...nodeFlags,
    cli,
    'broker',
    ...[...listener, `log.dirs=${logDir}`].flatMap((o) => ['--override', o])
  ]
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] })
  const port = await waitForLine(
    child,
    (line) => {
      try {
        const log = JSON.parse(line) as { msg?: string; port?: number }
        return log.msg === 'listening' && typeof log.port === 'number' ? log.port : undefined
      } catch {
        return undefined
      }
    },
    'samsa'
  ).catch(async (err: unknown) => {
    await stopper(child, dir)()
    throw err
  })
  // Keep draining the broker's log so a full pipe never stalls it.
  child.stdout?.resume()
  return {
    pid: child.pid ?? -1,
    bootstrap: `127.0.0.1:${port}`,
    // librdkafka 2.x verifies the broker's name (ssl.endpoint.identification.algorithm=https) by default.
    ...(options.ssl
      ? { clientProperties: ['security.protocol=ssl', `ssl.ca.location=${join(certs, 'ca.pem')}`] }
      : {}),
    // Closing 1,000 logs can outlast the default grace on a loaded machine; a killed broker writes no profile.
    stop: stopper(child, dir, options.cpuProfDir ? 120_000 : 15_000)
  }
}

export async function startKafkaMock(
  mockd: string,
  topic: string,
  scenario: Scenario
): Promise<RunningServer> {
  const child = spawn(mockd, ['1', topic, String(scenario.partitions)], { stdio: ['ignore', 'pipe', 'pipe'] })
  const bootstrap = await waitForLine(
    child,
    (line) => (line.includes(':') ? line.trim() : undefined),
    'mockd'
  )
  return { pid: child.pid ?? -1, bootstrap, stop: stopper(child) }
}

export async function startRedis(): Promise<RunningServer> {
  const dir = mkdtempSync(join(tmpdir(), 'samsa-bench-redis-'))
  const port = await freePort()
  // Durability like a Kafka broker's default: an append-only file fsynced every second, no RDB snapshots.
  const args = ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--appendonly', 'yes']
  args.push('--appendfsync', 'everysec', '--save', '', '--daemonize', 'no', '--protected-mode', 'no')
  const child = spawn('redis-server', args, { stdio: ['ignore', 'pipe', 'pipe'] })
  await waitForLine(
    child,
    (line) => (line.includes('Ready to accept connections') ? true : undefined),
    'redis'
  )
  child.stdout?.resume()
  return { pid: child.pid ?? -1, bootstrap: `127.0.0.1:${port}`, stop: stopper(child, dir) }
}

export async function startNats(): Promise<RunningServer> {
  const dir = mkdtempSync(join(tmpdir(), 'samsa-bench-nats-'))
  const port = await freePort()
  const child = spawn('nats-server', ['-js', '-sd', dir, '-a', '127.0.0.1', '-p', String(port)], {
    stdio: ['ignore', 'pipe', 'pipe']
  })
  // nats-server logs to stderr; read "Server is ready" there.
  const ready = new Promise<void>((resolve, reject) => {
    let seen = ''
    child.stderr?.setEncoding('utf8').on('data', (s: string) => {
      seen = (seen + s).slice(-4000)
      if (seen.includes('Server is ready')) resolve()
    })
    child.once('exit', (code) => reject(new Error(`nats-server exited (${code}): ${seen}`)))
  })
  await withTimeout(ready, 20_000, 'nats-server')
  child.stdout?.resume()
  return { pid: child.pid ?? -1, bootstrap: `127.0.0.1:${port}`, stop: stopper(child, dir) }
}

/** Whether an executable is on PATH (peers that are not installed are skipped, not failed). */
export function onPath(command: string): boolean {
  try {
    execFileSync('sh', ['-c', `command -v ${command}`], { stdio: 'ignore' })
    return true
  } catch {
    return false
  }
}
