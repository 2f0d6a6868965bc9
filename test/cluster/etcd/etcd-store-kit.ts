/**
 * Shared by the etcd store tests: the file's etcd and the stores opened on it, a store contender in a child
 * process (so SIGKILL takes its lease keepalives with it), and small waits with deadlines.
 */

import assert from 'node:assert/strict'
import { type ChildProcess, spawn } from 'node:child_process'
import { createInterface } from 'node:readline'
import { after, before } from 'node:test'
import { fileURLToPath } from 'node:url'
import {
  EtcdMetadataStore,
  type EtcdMetadataStoreOptions
} from '../../../src/cluster/etcd/etcd-metadata-store.js'
import { KafkaError } from '../../../src/protocol/error-codes.js'
import { EtcdProcess } from '../../helpers/etcd-process.js'

const STORE_MODULE = fileURLToPath(
  new URL('../../../src/cluster/etcd/etcd-metadata-store.js', import.meta.url)
)

/**
 * One etcd for the test file, started in `before` (unless `skip`, ensureEtcd's reason) and stopped in
 * `after` once every store opened with `openStore` is closed. Call at the top level of the file.
 */
export function etcdForFile(skip: string | false): {
  etcd: () => EtcdProcess
  openStore: (options: Omit<EtcdMetadataStoreOptions, 'endpoints'>) => Promise<EtcdMetadataStore>
} {
  let etcd: EtcdProcess | undefined
  const open: EtcdMetadataStore[] = []
  before(async () => {
    if (!skip) etcd = await EtcdProcess.start()
  })
  after(async () => {
    await Promise.all(open.map((s) => s.close()))
    await etcd?.stop()
  })
  const started = (): EtcdProcess => {
    if (!etcd) throw new Error('etcd is not running')
    return etcd
  }
  return {
    etcd: started,
    openStore: async (options) => {
      const store = await EtcdMetadataStore.open({ endpoints: [started().endpoint], ...options })
      open.push(store)
      return store
    }
  }
}

export function rejectsWith(code: number) {
  return (err: unknown): boolean => {
    assert.ok(err instanceof KafkaError, String(err))
    assert.equal(err.code, code, err.message)
    return true
  }
}

/** Polls `condition` every 25 ms; fails after `timeoutMs` with `what`. */
export async function waitFor(condition: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 25))
  }
}

export interface ContenderStatus {
  readonly registered: boolean
  readonly isController: boolean
  readonly controllerEpoch: number
}

/** A broker's metadata store in its own process: it registers, campaigns, and reports its state. */
export class StoreProcess {
  status: ContenderStatus = { registered: false, isController: false, controllerEpoch: 0 }
  private readonly exited: Promise<void>

  private constructor(readonly child: ChildProcess) {
    this.exited = new Promise((resolve) => child.once('exit', () => resolve()))
    if (child.stdout) {
      createInterface({ input: child.stdout }).on('line', (line) => {
        this.status = JSON.parse(line) as ContenderStatus
      })
    }
  }

  static async start(endpoint: string, clusterName: string, nodeId: number, leaseTtlSeconds: number) {
    const options = { endpoints: [endpoint], clusterName, nodeId, leaseTtlSeconds }
    const script = `
      const { EtcdMetadataStore } = await import(${JSON.stringify(STORE_MODULE)})
      const store = await EtcdMetadataStore.open(${JSON.stringify(options)})
      let registered = false
      const report = () => process.stdout.write(JSON.stringify({
        registered, isController: store.election.isController, controllerEpoch: store.election.controllerEpoch
      }) + '\\n')
      store.election.onLeadershipChange(report)
      await store.registerBroker({ nodeId: ${nodeId}, host: '127.0.0.1', port: 9092, rack: null, listeners: [] })
      registered = true
      report()
      setInterval(() => undefined, 1 << 30)
    `
    const child = spawn(process.execPath, ['--input-type=module', '-e', script], {
      stdio: ['ignore', 'pipe', 'inherit']
    })
    const contender = new StoreProcess(child)
    await waitFor(
      () => contender.status.registered || child.exitCode !== null,
      10_000,
      'the child to register'
    )
    assert.equal(child.exitCode, null, 'the store process died while starting')
    return contender
  }

  async kill(): Promise<void> {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGKILL')
    await this.exited
  }
}
