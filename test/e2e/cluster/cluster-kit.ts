/**
 * Shared by the multi-broker e2e tests: a `samsa cluster` on free ports, partition metadata through kcat,
 * bounded polling, restarting one broker with its node id, port and log dir, and reading a stopped
 * replica's log with the storage layer.
 */

import { type ChildProcess, spawn } from 'node:child_process'
import { closeSync, openSync } from 'node:fs'
import { readFile } from 'node:fs/promises'
import { connect, createServer } from 'node:net'
import { join } from 'node:path'
import type { ClusterState } from '../../../src/cli/cluster-command.js'
import { decodeRecordBatch } from '../../../src/protocol/records/record-batch.js'
import { LogConfig } from '../../../src/storage/log-config.js'
import { UnifiedLog } from '../../../src/storage/unified-log.js'
import { CLI_PATH, runCli } from '../../helpers/broker-process.js'
import { KCAT } from '../support/kcat.js'
import { runOk } from '../support/run-process.js'

export type ClusterBroker = ClusterState['brokers'][number]

export interface KcatPartition {
  partition: number
  leader: number
  replicas: { id: number }[]
  isrs: { id: number }[]
}

export async function partitionOf(bootstrap: string, topic: string, partition = 0): Promise<KcatPartition> {
  const { stdout } = await runOk(KCAT, ['-L', '-J', '-b', bootstrap, '-t', topic, '-m', '5'], {
    timeoutMs: 15_000
  })
  const md = JSON.parse(stdout.toString('utf8')) as { topics: { partitions: KcatPartition[] }[] }
  const p = md.topics[0]?.partitions.find((x) => x.partition === partition)
  if (!p) throw new Error(`no metadata for ${topic}-${partition}`)
  return p
}

/** Polls `check` every 100 ms until it returns a value, or fails after `timeoutMs`. */
export async function waitFor<T>(
  what: string,
  timeoutMs: number,
  check: () => Promise<T | undefined>
): Promise<T> {
  const deadline = Date.now() + timeoutMs
  while (Date.now() < deadline) {
    const value = await check().catch(() => undefined)
    if (value !== undefined) return value
    await new Promise((r) => setTimeout(r, 100))
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`)
}

export async function freePortRange(count: number): Promise<number> {
  const isFree = (port: number) =>
    new Promise<boolean>((resolve) => {
      const server = createServer()
      server.once('error', () => resolve(false))
      server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)))
    })
  for (let attempt = 0; attempt < 50; attempt++) {
    const base = 20_000 + Math.floor(Math.random() * 30_000)
    let free = true
    for (let i = 0; i < count && free; i++) free = await isFree(base + i)
    if (free) return base
  }
  throw new Error('no free port range found')
}

/** Starts `samsa cluster start --brokers n` in `dir` with extra broker overrides; returns its state. */
export async function startCluster(dir: string, brokers: number, overrides: readonly string[]) {
  const started = await runCli(
    [
      'cluster',
      'start',
      '--brokers',
      String(brokers),
      '--dir',
      dir,
      '--base-port',
      String(await freePortRange(brokers)),
      ...overrides.flatMap((o) => ['--override', o])
    ],
    60_000
  )
  if (started.code !== 0) throw new Error(`cluster start failed: ${started.stderr}`)
  return JSON.parse(await readFile(join(dir, 'cluster.json'), 'utf8')) as ClusterState
}

/**
 * A broker of the cluster started again by the test (after a SIGKILL) with the node id, listener and log
 * dir `samsa cluster start` gave it, so it recovers its log and rejoins as the same replica. `cluster stop`
 * does not know its new pid: the test stops it.
 */
export class RestartedBroker {
  private readonly exited: Promise<void>

  private constructor(readonly child: ChildProcess) {
    this.exited = new Promise((resolve) => child.once('exit', () => resolve()))
  }

  static async start(
    state: ClusterState,
    broker: ClusterBroker,
    overrides: readonly string[]
  ): Promise<RestartedBroker> {
    const all = [
      `node.id=${broker.nodeId}`,
      `listeners=PLAINTEXT://127.0.0.1:${broker.port}`,
      `log.dirs=${broker.logDir}`,
      'metadata.store=etcd',
      `etcd.endpoints=${state.etcd.endpoint}`,
      ...overrides
    ]
    const fd = openSync(broker.log, 'a')
    let child: ChildProcess
    try {
      child = spawn(process.execPath, [CLI_PATH, 'broker', ...all.flatMap((o) => ['--override', o])], {
        stdio: ['ignore', fd, fd]
      })
    } finally {
      closeSync(fd)
    }
    const restarted = new RestartedBroker(child)
    // The listener binds only once the broker is registered in etcd.
    await waitFor(`broker ${broker.nodeId} to accept connections again`, 30_000, async () => {
      if (child.exitCode !== null) throw new Error(`broker ${broker.nodeId} exited`)
      return (await canConnect(broker.port)) ? true : undefined
    })
    return restarted
  }

  /** SIGTERM (a clean shutdown), SIGKILL if it has not exited within 20 s. */
  async stop(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return
    this.child.kill('SIGTERM')
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 20_000)
    await this.exited
    clearTimeout(timer)
  }

  kill(): void {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGKILL')
  }
}

function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1')
    socket.once('connect', () => {
      socket.destroy()
      resolve(true)
    })
    socket.once('error', () => resolve(false))
  })
}

/** Every record value of one partition directory, read with the storage layer (its broker is stopped). */
export async function logValues(dir: string, topic: string, partition = 0): Promise<string[]> {
  const log = await UnifiedLog.open({
    dir,
    topicPartition: { topic, partition },
    config: new LogConfig()
  })
  try {
    const values: string[] = []
    let offset = log.logStartOffset
    while (offset < log.logEndOffset) {
      const { records } = await log.read(offset, 1 << 20, { maxOffset: log.logEndOffset })
      if (records.length === 0) break
      for (let pos = 0; pos < records.length; ) {
        const batch = await decodeRecordBatch(records, pos)
        for (const r of batch.records) values.push(r.value?.toString() ?? '')
        offset = Number(batch.baseOffset) + batch.lastOffsetDelta + 1
        pos += records.readInt32BE(pos + 8) + 12
      }
    }
    return values
  } finally {
    await log.close()
  }
}
