/**
 * `samsa cluster start|stop|status|restart-broker|add-broker|remove-broker`: a local multi-broker cluster on
 * loopback for development and tests. `start` runs etcd (the cluster metadata) and N broker processes in the
 * background, records them in D/cluster.json (cluster/cluster-state.ts) and returns; the other actions act
 * on exactly the processes that file names.
 */

import { randomBytes } from 'node:crypto'
import { mkdir, readFile, rm } from 'node:fs/promises'
import { join, resolve } from 'node:path'
import { connect as tlsConnect } from 'node:tls'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { type BrokerChannelSecurity, PLAINTEXT_CHANNEL } from '../network/broker-channel-security.js'
import { createDevCertificates, DEFAULT_HOSTS, writeSecret } from './certs/dev-certificates.js'
import { brokerAnswers } from './cluster/broker-readiness.js'
import {
  freePort,
  isAlive,
  isExecutable,
  isOurs,
  sleep,
  spawnDetached,
  stopProcess,
  tail
} from './cluster/cluster-processes.js'
import {
  type BrokerRecord,
  type ClusterState,
  type ProcessRecord,
  readState,
  STATE_FILE,
  writeState
} from './cluster/cluster-state.js'
import {
  CLIENT_LISTENER,
  clientProperties,
  formatProperties,
  type SaslUser,
  secureBrokerProperties
} from './secure-cluster-config.js'

export { isAlive } from './cluster/cluster-processes.js'
export type { ClusterState } from './cluster/cluster-state.js'

export const CLUSTER_USAGE = `Usage: samsa cluster start --brokers N [--racks a,b,c] [--dir D] [--base-port P] [--secure] [--override k=v ...]
       samsa cluster status [--dir D]
       samsa cluster restart-broker N [--dir D]
       samsa cluster add-broker [--port P] [--dir D]
       samsa cluster remove-broker N [--dir D]
       samsa cluster stop [--dir D]

start: runs etcd (/usr/bin/etcd, on free loopback ports, data in D/etcd) and N brokers on 127.0.0.1 ports
P, P+1, ... (node.id 1..N, broker.rack from --racks round-robin, log.dirs D/broker-<id>, metadata.store=etcd),
waits until each broker answers ApiVersions and lists itself in Metadata, writes D/cluster.json, prints the
bootstrap servers and returns; a broker that fails to start fails the command. --override passes a config
to every broker.
--secure: certificates in D/certs (as samsa certs create), clients on SASL_SSL (PLAIN, user admin) at P...,
brokers among themselves on a second loopback listener over mutual TLS (SSL, free ports), each broker's
settings in D/broker-<id>.properties;
the client settings (password included, 0600) go to D/client.properties, whose path is printed.
Each broker's admin HTTP listener (metrics, health, /v1) gets a free loopback port, recorded in cluster.json
and printed (https with Basic authentication on a --secure cluster).
status: each process, alive or not, with its pid, ports and admin URL; exit code 1 when any is down.
restart-broker: a controlled shutdown (SIGTERM) of broker N, then the same command line again.
add-broker: the next node id on the next port (or P), with start's --override and --racks.
remove-broker: a controlled shutdown of broker N, which unregisters it, then drops it from D/cluster.json
(its partitions are not moved away first; its log dir is kept).
stop: SIGTERM to the brokers and etcd named in D/cluster.json, SIGKILL after 15 s; names those already dead.
Defaults: --dir ./samsa-cluster, --base-port 9092.`

const CERTS_DIR = 'certs'
const CLIENT_PROPERTIES = 'client.properties'
const ADMIN_USER = 'admin'
const START_TIMEOUT_MS = 30_000
const MAIN_PATH = fileURLToPath(new URL('./main.js', import.meta.url))

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
      case 'status':
        return await status(rest)
      case 'restart-broker':
        return await restartBroker(rest)
      case 'add-broker':
        return await addBroker(rest)
      case 'remove-broker':
        return await removeBroker(rest)
      case '--help':
      case '-h':
        process.stdout.write(`${CLUSTER_USAGE}\n`)
        return 0
      default:
        throw new UsageError(
          action === undefined
            ? 'missing the action (start, status, restart-broker, add-broker, remove-broker, stop)'
            : `unknown action ${action}`
        )
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
    const clientPorts = new Set(Array.from({ length: brokers }, (_, i) => basePort + i))
    const etcd = await startEtcd(dir, clientPorts)
    started.push(etcd)
    const records: BrokerRecord[] = []
    for (let nodeId = 1; nodeId <= brokers; nodeId++) {
      const record = await launchBroker(dir, etcd.endpoint, nodeId, basePort + nodeId - 1, {
        racks,
        overrides: values.override,
        security,
        clientPorts
      })
      started.push(record)
      records.push(record)
    }
    await Promise.all(records.map((b) => waitForBroker(b, security)))
    const bootstrap = records.map((b) => `127.0.0.1:${b.port}`).join(',')
    const clientPropertiesPath = security && (await writeClientProperties(dir, bootstrap, security))
    const state: ClusterState = {
      dir,
      bootstrap,
      etcd,
      ...(security && clientPropertiesPath
        ? { secure: { certsDir: security.certsDir, clientProperties: clientPropertiesPath } }
        : {}),
      overrides: values.override,
      racks,
      brokers: records
    }
    await writeState(state)
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

interface LaunchOptions {
  readonly racks: readonly string[]
  readonly overrides: readonly string[]
  readonly security: ClusterSecurity | null
  /** The cluster's client ports: the admin and inter-broker ports picked for this broker must avoid them. */
  readonly clientPorts: ReadonlySet<number>
}

/** Starts broker `nodeId` on `port` in the background; waitForBroker says when it serves. */
async function launchBroker(
  dir: string,
  etcdEndpoint: string,
  nodeId: number,
  port: number,
  options: LaunchOptions
): Promise<BrokerRecord> {
  const { racks, security } = options
  const rack = racks.length > 0 ? racks[(nodeId - 1) % racks.length]! : null
  const logDir = join(dir, `broker-${nodeId}`)
  const secure =
    security && (await writeSecureBrokerProperties(dir, nodeId, port, security, options.clientPorts))
  const adminUrl = `${security ? 'https' : 'http'}://127.0.0.1:${await freePort(options.clientPorts)}`
  const overrides = [
    `node.id=${nodeId}`,
    `admin.listeners=${adminUrl}`,
    ...(secure ? [] : [`listeners=PLAINTEXT://127.0.0.1:${port}`]),
    `log.dirs=${logDir}`,
    'metadata.store=etcd',
    `etcd.endpoints=${etcdEndpoint}`,
    ...(rack === null ? [] : [`broker.rack=${rack}`]),
    ...options.overrides
  ]
  const args = [...(secure ? [secure.properties] : []), ...overrides.flatMap((o) => ['--override', o])]
  const log = join(dir, `broker-${nodeId}.log`)
  const child = spawnDetached(process.execPath, [MAIN_PATH, 'broker', ...args], log)
  return {
    nodeId,
    pid: child.pid!,
    port,
    ...(secure ? { brokerPort: secure.brokerPort } : {}),
    adminUrl,
    rack,
    logDir,
    log,
    args
  }
}

/**
 * Waits until the broker answers as itself (cluster/broker-readiness.ts), on its PLAINTEXT client listener
 * or, in a secure cluster, on its mutual-TLS inter-broker one; a secure client listener must then also
 * complete a TLS handshake trusting the cluster's CA, which proves the certificates work.
 */
async function waitForBroker(broker: BrokerRecord, security: ClusterSecurity | null): Promise<void> {
  const { nodeId, port, pid, log } = broker
  const probePort = broker.brokerPort ?? port
  const ca = security ? await readFile(security.truststore) : undefined
  // A secure cluster's BROKER listener is SSL with client certificates: probe it as a broker would.
  const keystore = security ? await readFile(security.keystore) : undefined
  const channel: BrokerChannelSecurity =
    ca === undefined || keystore === undefined
      ? PLAINTEXT_CHANNEL
      : {
          securityProtocol: 'SSL',
          tls: { ca, key: keystore, cert: keystore },
          hostnameVerification: false,
          sasl: null
        }
  const deadline = Date.now() + START_TIMEOUT_MS
  while (Date.now() < deadline) {
    if (!isAlive(pid))
      throw new Error(`broker ${nodeId} (port ${port}) exited during startup; see ${log}\n${await tail(log)}`)
    if (
      (await brokerAnswers(probePort, nodeId, channel)) &&
      (ca === undefined || (await tlsAccepts(port, ca)))
    )
      return
    await sleep(200)
  }
  throw new Error(
    `broker ${nodeId} (port ${port}) did not answer ApiVersions and Metadata within ${START_TIMEOUT_MS} ms; see ${log}`
  )
}

async function stop(argv: readonly string[]): Promise<number> {
  const { dir, state } = await stateFrom(argv)
  // Brokers first, so they can resign the controllership and revoke their leases while etcd still runs.
  // A pid from the state file may have been reused by an unrelated process since: only ours are signalled.
  const dead = state.brokers.filter((b) => !isOurs(b.pid, dir))
  await Promise.all(state.brokers.filter((b) => isOurs(b.pid, dir)).map((b) => stopProcess(b.pid)))
  const etcdDead = !isOurs(state.etcd.pid, dir)
  if (!etcdDead) await stopProcess(state.etcd.pid)
  await rm(join(dir, STATE_FILE), { force: true })
  process.stdout.write(
    `stopped ${state.brokers.length - dead.length} broker(s)${etcdDead ? '' : ' and etcd'}\n`
  )
  for (const b of dead)
    process.stdout.write(`broker ${b.nodeId} (pid ${b.pid}) was already dead; see ${b.log}\n`)
  if (etcdDead) process.stdout.write(`etcd (pid ${state.etcd.pid}) was already dead; see ${state.etcd.log}\n`)
  return 0
}

async function stateFrom(
  argv: readonly string[],
  extra: Record<string, { type: 'string' }> = {},
  positionalsAllowed = 0
): Promise<{
  dir: string
  state: ClusterState
  values: Record<string, string | undefined>
  positionals: string[]
}> {
  const { values, positionals } = parseArgs({
    args: [...argv],
    strict: true,
    allowPositionals: true,
    options: { dir: { type: 'string', default: 'samsa-cluster' }, ...extra }
  })
  if (positionals.length > positionalsAllowed)
    throw new UsageError(`unexpected argument ${positionals.slice(positionalsAllowed).join(' ')}`)
  const dir = resolve(values.dir as string)
  const state = await readState(dir)
  if (!state) throw new Error(`no cluster state in ${join(dir, STATE_FILE)}`)
  return { dir, state, values: values as Record<string, string | undefined>, positionals }
}

/** Each process of the cluster: alive or not, pid, ports, admin URL. Exit code 1 when any is down. */
async function status(argv: readonly string[]): Promise<number> {
  const { dir, state } = await stateFrom(argv)
  const lines: string[] = []
  const etcdUp = isOurs(state.etcd.pid, dir)
  lines.push(`etcd      ${etcdUp ? 'alive' : 'DEAD '}  pid ${state.etcd.pid}  ${state.etcd.endpoint}`)
  let down = etcdUp ? 0 : 1
  for (const b of state.brokers) {
    const up = isOurs(b.pid, dir)
    const serving = up && (await brokerAnswers(b.brokerPort ?? b.port, b.nodeId))
    if (!serving) down++
    const health = !up ? 'DEAD ' : serving ? 'alive' : 'not answering'
    lines.push(
      `broker ${b.nodeId}  ${health}  pid ${b.pid}  127.0.0.1:${b.port}` +
        (b.brokerPort === undefined ? '' : `  inter-broker 127.0.0.1:${b.brokerPort}`) +
        (b.rack === null ? '' : `  rack ${b.rack}`) +
        (b.adminUrl === undefined ? '' : `  admin ${b.adminUrl}`) +
        (up ? '' : `  log ${b.log}`)
    )
  }
  process.stdout.write(`cluster in ${dir}, bootstrap ${state.bootstrap}\n${lines.join('\n')}\n`)
  return down === 0 ? 0 : 1
}

function brokerOf(state: ClusterState, raw: string | undefined): BrokerRecord {
  if (raw === undefined) throw new UsageError('missing the broker node id')
  const broker = state.brokers.find((b) => String(b.nodeId) === raw)
  if (!broker)
    throw new Error(
      `no broker ${raw} in this cluster (brokers: ${state.brokers.map((b) => b.nodeId).join(', ')})`
    )
  return broker
}

/** restart-broker N: SIGTERM (a controlled shutdown), then the same command line again; waits until it serves. */
async function restartBroker(argv: readonly string[]): Promise<number> {
  const { dir, state, positionals } = await stateFrom(argv, {}, 1)
  const broker = brokerOf(state, positionals[0])
  if (!broker.args)
    throw new Error(`${join(dir, STATE_FILE)} predates restart-broker: stop and start the cluster`)
  if (isOurs(broker.pid, dir)) await stopProcess(broker.pid)
  const child = spawnDetached(process.execPath, [MAIN_PATH, 'broker', ...broker.args], broker.log)
  const restarted: BrokerRecord = { ...broker, pid: child.pid! }
  await writeState({ ...state, brokers: state.brokers.map((b) => (b === broker ? restarted : b)) })
  await waitForBroker(restarted, state.secure ? await prepareSecurity(dir) : null)
  process.stdout.write(`broker ${broker.nodeId} restarted (pid ${restarted.pid})\n`)
  return 0
}

/** add-broker [--port P]: the next node id, on the port after the highest one unless --port says otherwise. */
async function addBroker(argv: readonly string[]): Promise<number> {
  const { dir, state, values } = await stateFrom(argv, { port: { type: 'string' } })
  if (!isOurs(state.etcd.pid, dir)) throw new Error(`etcd of the cluster in ${dir} is not running`)
  const nodeId = Math.max(0, ...state.brokers.map((b) => b.nodeId)) + 1
  const port =
    values.port === undefined
      ? Math.max(...state.brokers.map((b) => b.port)) + 1
      : integerOption('--port', values.port, 1, 65535)
  const security = state.secure ? await prepareSecurity(dir) : null
  const record = await launchBroker(dir, state.etcd.endpoint, nodeId, port, {
    racks: state.racks ?? [],
    overrides: state.overrides ?? [],
    security,
    clientPorts: new Set([port, ...state.brokers.map((b) => b.port)])
  })
  try {
    await waitForBroker(record, security)
  } catch (err) {
    await stopProcess(record.pid)
    throw err
  }
  const brokers = [...state.brokers, record]
  await writeState({ ...state, brokers, bootstrap: brokers.map((b) => `127.0.0.1:${b.port}`).join(',') })
  process.stdout.write(`broker ${nodeId} added on 127.0.0.1:${port} (pid ${record.pid})\n`)
  return 0
}

/**
 * remove-broker N: a controlled shutdown (SIGTERM: the broker hands its leaderships over and revokes its
 * etcd registration), then the broker leaves cluster.json. Its partitions are not moved first (no draining
 * yet) and its log dir stays on disk.
 */
async function removeBroker(argv: readonly string[]): Promise<number> {
  const { dir, state, positionals } = await stateFrom(argv, {}, 1)
  const broker = brokerOf(state, positionals[0])
  if (state.brokers.length === 1) throw new Error('cannot remove the last broker: use samsa cluster stop')
  if (isOurs(broker.pid, dir)) await stopProcess(broker.pid)
  const brokers = state.brokers.filter((b) => b !== broker)
  await writeState({ ...state, brokers, bootstrap: brokers.map((b) => `127.0.0.1:${b.port}`).join(',') })
  process.stdout.write(`broker ${broker.nodeId} stopped and removed; its log dir ${broker.logDir} is kept\n`)
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
  security: ClusterSecurity,
  clientPorts: ReadonlySet<number>
): Promise<{ properties: string; brokerPort: number }> {
  const brokerPort = await freePort(clientPorts)
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

async function startEtcd(
  dir: string,
  brokerPorts: ReadonlySet<number>
): Promise<ProcessRecord & { endpoint: string; dataDir: string }> {
  const dataDir = join(dir, 'etcd')
  const log = join(dir, 'etcd.log')
  const binary = (await isExecutable('/usr/bin/etcd')) ? '/usr/bin/etcd' : 'etcd'
  // A port found free can be taken before etcd binds it: another pair is tried then.
  for (let attempt = 1; ; attempt++) {
    const clientUrl = `http://127.0.0.1:${await freePort(brokerPorts)}`
    const peerUrl = `http://127.0.0.1:${await freePort(brokerPorts)}`
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

/** Whether the port completes a TLS handshake trusting `ca`. */
function tlsAccepts(port: number, ca: Buffer): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = tlsConnect({ host: '127.0.0.1', port, ca })
    socket.setTimeout(1000)
    const done = (ok: boolean): void => {
      socket.destroy()
      resolve(ok)
    }
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

function integerOption(name: string, raw: string | undefined, min: number, max: number): number {
  if (raw === undefined) throw new UsageError(`${name} is required`)
  const n = Number(raw)
  if (!Number.isInteger(n) || n < min || n > max) {
    throw new UsageError(`${name} must be an integer between ${min} and ${max}, got ${raw}`)
  }
  return n
}
