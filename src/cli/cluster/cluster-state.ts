/** D/cluster.json: what `samsa cluster start` started, read and rewritten by the other cluster actions. */

import { readFile, rename, writeFile } from 'node:fs/promises'
import { join } from 'node:path'

export const STATE_FILE = 'cluster.json'

export interface ProcessRecord {
  readonly pid: number
  readonly log: string
}

export interface BrokerRecord extends ProcessRecord {
  readonly nodeId: number
  readonly port: number
  /** The inter-broker (BROKER) listener's port of a secure cluster. */
  readonly brokerPort?: number
  readonly rack: string | null
  readonly logDir: string
  /** The `samsa broker` arguments it was started with, so restart-broker starts it the same way. */
  readonly args?: readonly string[]
  /** The admin HTTP listener (admin.listeners): /metrics, /healthz, /readyz, /v1/... */
  readonly adminUrl?: string
}

export interface ClusterState {
  readonly dir: string
  readonly bootstrap: string
  readonly etcd: ProcessRecord & { readonly endpoint: string; readonly dataDir: string }
  /** Present when started with --secure. */
  readonly secure?: { readonly certsDir: string; readonly clientProperties: string }
  /** start's --override values and --racks, which add-broker gives a new broker too. */
  readonly overrides?: readonly string[]
  readonly racks?: readonly string[]
  readonly brokers: readonly BrokerRecord[]
}

export async function readState(dir: string): Promise<ClusterState | null> {
  try {
    return JSON.parse(await readFile(join(dir, STATE_FILE), 'utf8')) as ClusterState
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null
    throw err
  }
}

/** Replaces the state file atomically: a reader never sees half of it. */
export async function writeState(state: ClusterState): Promise<void> {
  const path = join(state.dir, STATE_FILE)
  await writeFile(`${path}.tmp`, `${JSON.stringify(state, null, 2)}\n`)
  await rename(`${path}.tmp`, path)
}
