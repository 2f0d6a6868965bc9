/**
 * `samsa cluster start|stop`: a local multi-broker cluster on loopback for development and tests. `start`
 * runs etcd (the cluster metadata) and N broker processes in the background, records them in a state file
 * and returns; `stop` ends exactly the processes that file names.
 */

import { type ChildProcess, spawn } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { closeSync, constants, openSync, readFileSync } from 'node:fs'
import { access, mkdir, readFile, rm, writeFile } from 'node:fs/promises'
import { connect, createServer } from 'node:net'
import { join, resolve } from 'node:path'
import { connect as tlsConnect } from 'node:tls'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { createDevCertificates, DEFAULT_HOSTS, writeSecret } from './certs/dev-certificates.js'
import {
  CLIENT_LISTENER,
  clientProperties,
  formatProperties,
  type SaslUser,
  secureBrokerProperties
} from './secure-cluster-config.js'

export const CLUSTER_USAGE = `Usage: samsa cluster start --brokers N [--racks a,b,c] [--dir D] [--base-port P] [--secure] [--override k=v ...]
       samsa cluster stop [--dir D]

start: runs etcd (/usr/bin/etcd, on free loopback ports, data in D/etcd) and N brokers on 127.0.0.1 ports
P, P+1, ... (node.id 1..N, broker.rack from --racks round-robin, log.dirs D/broker-<id>, metadata.store=etcd),
writes D/cluster.json, prints the bootstrap servers and returns. --override passes a config to every broker.
--secure: certificates in D/certs (as samsa certs create), clients on SASL_SSL (PLAIN, user admin) at P...,
brokers among themselves on a second loopback listener over mutual TLS (SSL, free ports), each broker's
settings in D/broker-<id>.properties;
the client settings (password included, 0600) go to D/client.properties, whose path is printed.
Each broker's admin HTTP listener (metrics, health, /v1) gets a free loopback port, recorded in cluster.json
and printed (https with Basic authentication on a --secure cluster).
stop: SIGTERM to the brokers and etcd named in D/cluster.json, SIGKILL after 15 s.
Defaults: --dir ./samsa-cluster, --base-port 9092.`

const STATE_FILE = 'cluster.json'
const CERTS_DIR = 'certs'
const CLIENT_PROPERTIES = 'client.properties'
const ADMIN_USER = 'admin'
const START_TIMEOUT_MS = 30_000
const STOP_TIMEOUT_MS = 15_000
const MAIN_PATH = fileURLToPath(new URL('./main.js', import.meta.url))

interface ProcessRecord {
  readonly pid: number
  readonly log: string
}

export interface ClusterState {
  readonly dir: string
  readonly bootstrap: string
  readonly etcd: ProcessRecord & { readonly endpoint: string; readonly dataDir: string }
  /** Present when started with --secure. */
  readonly secure?: { readonly certsDir: string; readonly clientProperties: string }
  readonly brokers: readonly (ProcessRecord & {
    readonly nodeId: number
    readonly port: number
    /** The inter-broker (BROKER) listener's port of a secure cluster. */
    readonly brokerPort?: number
    /** The admin HTTP listener (admin.listeners): /metrics, /healthz, /readyz, /v1/... */
    readonly adminUrl?: string
    readonly rack: string | null
    readonly logDir: string
  })[]
}

class UsageError extends Error {}

/** Resolves with the process exit code. */
export async function runCluster(argv: readonly string[]): Promise<number> {
  const [action, ...rest] = argv
  try {
    switch (action) {
      case 'start':
        return await start(rest)
      case 'stop':
        return await stop(rest)
      case '--help':
      case '-h':
        process.stdout.write(`${CLUSTER_USAGE}\n`)
        return 0
      default:
        throw new UsageError(action === undefined ? 'missing start or stop' : `unknown action ${action}`)
    }
  } catch (err) {
    const usage = err instanceof UsageError || (err as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')
    process.stderr.write(`samsa cluster: ${(err as Error).message}\n${usage ? `${CLUSTER_USAGE}\n` : ''}`)
    return 1
  }
}

async function start(argv: readonly string[]): Promise<number> {
  const { values } = parseArgs({
    args: [...argv],
    strict: true,
    options: {
      brokers: { type: 'string' },
      racks: { type: 'string' },
      dir: { type: 'string', default: 'samsa-cluster' },
      'base-port': { type: 'string', default: '9092' },
      secure: { type: 'boolean', default: false },
      override: { type: 'string', multiple: true, default: [] }
    }
  })
  const brokers = integerOption('--brokers', values.brokers, 1, 64)
  const basePort = integerOption('--base-port', values['base-port'], 1, 65535 - brokers + 1)
  const racks = values.racks === undefined ? [] : values.racks.split(',').map((r) => r.trim())
  if (racks.some((r) => r === ''))
    throw new UsageError('--racks must be a comma-separated list of rack names')
  const dir = resolve(values.dir)
  await mkdir(dir, { recursive: true })
  const existing = await readState(dir)
  if (existing && [existing.etcd, ...existing.brokers].some((p) => isOurs(p.pid, dir))) {
    throw new Error(`a cluster is already running from ${dir} (run: samsa cluster stop --dir ${dir})`)
  }

  const security = values.secure ? await prepareSecurity(dir) : null
  const started: ProcessRecord[] = []
  try {
    const etcd = await startEtcd(dir)
    started.push(etcd)
    const records: ClusterState['brokers'][number][] = []
    for (let nodeId = 1; nodeId <= brokers; nodeId++) {
      const port = basePort + nodeId - 1
      const rack = racks.length > 0 ? racks[(nodeId - 1) % racks.length]! : null
      const logDir = join(dir, `broker-${nodeId}`)
      const secure = security && (await writeSecureBrokerProperties(dir, nodeId, port, security))
      const adminUrl = `${security ? 'https' : 'http'}://127.0.0.1:${await freePort()}`
      const overrides = [
        `node.id=${nodeId}`,
        `admin.listeners=${adminUrl}`,
        ...(secure ? [] : [`listeners=PLAINTEXT://127.0.0.1:${port}`]),
        `log.dirs=${logDir}`,
        'metadata.store=etcd',
        `etcd.endpoints=${etcd.endpoint}`,
        ...(rack === null ? [] : [`broker.rack=${rack}`]),
        ...values.override
      ]
      const log = join(dir, `broker-${nodeId}.log`)
      const child = spawnDetached(
        process.execPath,
        [
          MAIN_PATH,
          'broker',
          ...(secure ? [secure.properties] : []),
          ...overrides.flatMap((o) => ['--override', o])
        ],
        log
      )
      const record = {
        nodeId,
        pid: child.pid!,
        port,
        ...(secure ? { brokerPort: secure.brokerPort } : {}),
        adminUrl,
        rack,
        logDir,
        log
      }
      started.push(record)
      records.push(record)
    }
    // Brokers bind their listener only once registered in etcd, so an accepting port means a live broker.
    // A secure listener is probed with a full TLS handshake against the CA: that proves the certificates
    // work, and a connection dropped before its handshake would keep the broker's shutdown waiting.
    const ca = security ? await readFile(security.truststore) : undefined
    await Promise.all(records.map((b) => waitForPort(b.port, b.pid, b.log, ca)))
    const bootstrap = records.map((b) => `127.0.0.1:${b.port}`).join(',')
    const clientPropertiesPath = security && (await writeClientProperties(dir, bootstrap, security))
    const state: ClusterState = {
      dir,
      bootstrap,
      etcd,
      ...(security && clientPropertiesPath
        ? { secure: { certsDir: security.certsDir, clientProperties: clientPropertiesPath } }
        : {}),
      brokers: records
    }
    await writeFile(join(dir, STATE_FILE), `${JSON.stringify(state, null, 2)}\n`)
    process.stdout.write(`${state.bootstrap}\n`)
    for (const b of records) process.stdout.write(`broker ${b.nodeId} admin: ${b.adminUrl}\n`)
    if (clientPropertiesPath) {
      process.stdout.write(
        `${CLIENT_LISTENER} listeners: SASL_SSL, SASL/PLAIN user ${ADMIN_USER}; client settings in ${clientPropertiesPath}\n`
      )
    }
    return 0
  } catch (err) {
    await Promise.all(started.reverse().map((p) => stopProcess(p.pid)))
    throw err
  }
}

async function stop(argv: readonly string[]): Promise<number> {
  const { values } = parseArgs({
    args: [...argv],
    strict: true,
    options: { dir: { type: 'string', default: 'samsa-cluster' } }
  })
  const dir = resolve(values.dir)
  const state = await readState(dir)
  if (!state) throw new Error(`no cluster state in ${join(dir, STATE_FILE)}`)
  // Brokers first, so they can resign the controllership and revoke their leases while etcd still runs.
  // A pid from the state file may have been reused by an unrelated process since: only ours are signalled.
  await Promise.all(state.brokers.filter((b) => isOurs(b.pid, dir)).map((b) => stopProcess(b.pid)))
  if (isOurs(state.etcd.pid, dir)) await stopProcess(state.etcd.pid)
  await rm(join(dir, STATE_FILE), { force: true })
  process.stdout.write(`stopped ${state.brokers.length} broker(s) and etcd\n`)
  return 0
}

interface ClusterSecurity {
  readonly certsDir: string
  readonly keystore: string
  readonly truststore: string
  readonly users: readonly SaslUser[]
}

/**
 * Certificates in D/certs (an existing CA and broker certificate are reused, so clients keep trusting the
 * cluster across restarts) and the SASL user, whose password survives restarts in D/client.properties.
 */
async function prepareSecurity(dir: string): Promise<ClusterSecurity> {
  const certsDir = join(dir, CERTS_DIR)
  const certs = await createDevCertificates({ dir: certsDir, hosts: DEFAULT_HOSTS, clients: [], days: 365 })
  const password = (await previousPassword(dir)) ?? randomBytes(18).toString('base64url')
  return {
    certsDir,
    keystore: certs.broker.pem,
    truststore: certs.caCert,
    users: [{ name: ADMIN_USER, password }]
  }
}

async function previousPassword(dir: string): Promise<string | null> {
  try {
    const text = await readFile(join(dir, CLIENT_PROPERTIES), 'utf8')
    return /^sasl\.password=([A-Za-z0-9_-]+)$/m.exec(text)?.[1] ?? null
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null
    throw err
  }
}

/** D/broker-<id>.properties (0600: it lists the SASL passwords), on a free port for the BROKER listener. */
async function writeSecureBrokerProperties(
  dir: string,
  nodeId: number,
  port: number,
  security: ClusterSecurity
): Promise<{ properties: string; brokerPort: number }> {
  const brokerPort = await freePort()
  const properties = join(dir, `broker-${nodeId}.properties`)
  const entries = secureBrokerProperties({
    host: '127.0.0.1',
    clientPort: port,
    brokerPort,
    // Mutual TLS between brokers: each presents the broker certificate and checks the other's.
    interBrokerProtocol: 'SSL',
    keystore: security.keystore,
    truststore: security.truststore,
    users: security.users
  })
  await writeSecret(properties, formatProperties(entries, `written by samsa cluster start --secure`))
  return { properties, brokerPort }
}

async function writeClientProperties(dir: string, bootstrap: string, security: ClusterSecurity) {
  const path = join(dir, CLIENT_PROPERTIES)
  const entries = clientProperties({ bootstrap, caLocation: security.truststore, user: security.users[0]! })
  await writeSecret(
    path,
    formatProperties(entries, 'client settings of the local secure cluster (librdkafka names)')
  )
  return path
}

async function startEtcd(dir: string): Promise<ProcessRecord & { endpoint: string; dataDir: string }> {
  const dataDir = join(dir, 'etcd')
  const log = join(dir, 'etcd.log')
  const binary = (await isExecutable('/usr/bin/etcd')) ? '/usr/bin/etcd' : 'etcd'
  // A port found free can be taken before etcd binds it: another pair is tried then.
  for (let attempt = 1; ; attempt++) {
    const clientUrl = `http://127.0.0.1:${await freePort()}`
    const peerUrl = `http://127.0.0.1:${await freePort()}`
    const child = spawnDetached(
      binary,
      [
        '--name=samsa',
        `--data-dir=${dataDir}`,
        `--listen-client-urls=${clientUrl}`,
        `--advertise-client-urls=${clientUrl}`,
        `--listen-peer-urls=${peerUrl}`,
        `--initial-advertise-peer-urls=${peerUrl}`,
        `--initial-cluster=samsa=${peerUrl}`,
        '--initial-cluster-state=new',
        '--log-level=warn'
      ],
      log
    )
    try {
      await waitForEtcd(clientUrl, child.pid!, log)
      return { pid: child.pid!, log, endpoint: clientUrl, dataDir }
    } catch (err) {
      await stopProcess(child.pid!)
      if (attempt >= 3) throw err
    }
  }
}

/** Starts a process that outlives this command: its own process group, output appended to `log`. */
function spawnDetached(command: string, args: readonly string[], log: string): ChildProcess {
  const fd = openSync(log, 'a')
  try {
    const child = spawn(command, args, { detached: true, stdio: ['ignore', fd, fd] })
    if (child.pid === undefined) throw new Error(`could not start ${command}`)
    child.unref()
    return child
  } finally {
    closeSync(fd)
  }
}

async function waitForEtcd(url: string, pid: number, log: string): Promise<void> {
  const deadline = Date.now() + START_TIMEOUT_MS
  while (Date.now() < deadline) {
    if (!isAlive(pid)) throw new Error(`etcd exited during startup; see ${log}\n${await tail(log)}`)
    try {
      const response = await fetch(`${url}/health`, { signal: AbortSignal.timeout(1000) })
      if (response.ok && ((await response.json()) as { health?: string }).health === 'true') return
    } catch {
      // Not listening yet.
    }
    await sleep(100)
  }
  throw new Error(`etcd did not become healthy within ${START_TIMEOUT_MS} ms; see ${log}`)
}

async function waitForPort(port: number, pid: number, log: string, ca?: Buffer): Promise<void> {
  const deadline = Date.now() + START_TIMEOUT_MS
  while (Date.now() < deadline) {
    if (!isAlive(pid))
      throw new Error(`the broker on port ${port} exited during startup; see ${log}\n${await tail(log)}`)
    if (await accepts(port, ca)) return
    await sleep(100)
  }
  throw new Error(`the broker on port ${port} did not start within ${START_TIMEOUT_MS} ms; see ${log}`)
}

/** Whether the port accepts a connection, or with `ca` completes a TLS handshake trusting it. */
function accepts(port: number, ca?: Buffer): Promise<boolean> {
  return new Promise((resolve) => {
    const socket =
      ca === undefined ? connect({ host: '127.0.0.1', port }) : tlsConnect({ host: '127.0.0.1', port, ca })
    socket.setTimeout(1000)
    const done = (ok: boolean): void => {
      socket.destroy()
      resolve(ok)
    }
    socket.once('connect', () => {
      if (ca === undefined) done(true)
    })
    // A TLS connection is closed with close_notify (end), not dropped: a broker waits at shutdown for a
    // TLS connection its client destroyed (seen with the security branch's listeners).
    socket.once('secureConnect', () => {
      socket.setTimeout(0)
      socket.once('close', () => resolve(true))
      socket.end()
      setTimeout(() => socket.destroy(), 1000).unref()
    })
    socket.once('error', () => done(false))
    socket.once('timeout', () => done(false))
  })
}

/** SIGTERM, then SIGKILL when the process has not exited within STOP_TIMEOUT_MS. */
async function stopProcess(pid: number): Promise<void> {
  if (!isAlive(pid)) return
  signal(pid, 'SIGTERM')
  const deadline = Date.now() + STOP_TIMEOUT_MS
  while (Date.now() < deadline) {
    if (!isAlive(pid)) return
    await sleep(100)
  }
  signal(pid, 'SIGKILL')
  const killDeadline = Date.now() + 5000
  while (isAlive(pid) && Date.now() < killDeadline) await sleep(50)
}

function signal(pid: number, name: NodeJS.Signals): void {
  try {
    process.kill(pid, name)
  } catch {
    // Already gone.
  }
}

/**
 * Whether `pid` runs. A zombie counts as gone: the brokers outlive `start`, and whoever inherits them (init,
 * or a container's first process) may be slow to reap them.
 */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0)
  } catch {
    return false
  }
  try {
    // /proc/<pid>/stat: "pid (comm) state ..."; comm may contain spaces, the state follows the last ')'.
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z'
  } catch {
    return true
  }
}

/** Whether `pid` is still a process this cluster started (its command line names the cluster dir). */
function isOurs(pid: number, dir: string): boolean {
  if (!isAlive(pid)) return false
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(dir)
  } catch {
    // No /proc: trust the state file.
    return true
  }
}

async function readState(dir: string): Promise<ClusterState | null> {
  try {
    return JSON.parse(await readFile(join(dir, STATE_FILE), 'utf8')) as ClusterState
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null
    throw err
  }
}

function integerOption(name: string, raw: string | undefined, min: number, max: number): number {
  if (raw === undefined) throw new UsageError(`${name} is required`)
  const n = Number(raw)
  if (!Number.isInteger(n) || n < min || n > max) {
    throw new UsageError(`${name} must be an integer between ${min} and ${max}, got ${raw}`)
  }
  return n
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

async function isExecutable(path: string): Promise<boolean> {
  try {
    await access(path, constants.X_OK)
    return true
  } catch {
    return false
  }
}

async function tail(path: string): Promise<string> {
  try {
    return (await readFile(path, 'utf8')).split('\n').slice(-20).join('\n')
  } catch {
    return ''
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms))
}
