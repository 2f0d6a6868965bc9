import { readFile } from 'node:fs/promises'
import { writeFileAtomically } from '../common/atomic-file.js'
import {
  applyClientQuotaAlterations,
  type ClientQuotaAlteration,
  type ClientQuotaRecord,
  type ClientQuotasImage,
  type ClientQuotasListener,
  clientQuotaEntityKey,
  type Unsubscribe
} from './metadata-store.js'

/**
 * The client quotas of the embedded file store, in a file of their own beside metadata.json
 * (`__cluster_metadata/client-quotas.json`), so they change without rewriting the topics. Only the broker
 * that owns the store writes it (through AlterClientQuotas), so the in-memory copy is the truth once loaded.
 */
export const CLIENT_QUOTAS_FILE = 'client-quotas.json'
const FORMAT_VERSION = 1

interface StoredQuotas {
  readonly format: number
  readonly version: string
  readonly quotas: readonly ClientQuotaRecord[]
}

export class FileClientQuotas {
  private queue: Promise<unknown> = Promise.resolve()
  private readonly listeners = new Set<ClientQuotasListener>()
  private loaded: Promise<{ version: bigint; quotas: Map<string, ClientQuotaRecord> }> | null = null
  private closed = false

  constructor(private readonly file: string) {}

  async read(): Promise<ClientQuotasImage> {
    const { version, quotas } = await this.load()
    return { version, quotas: [...quotas.values()] }
  }

  alter(alterations: readonly ClientQuotaAlteration[]): Promise<bigint> {
    const run = async (): Promise<bigint> => {
      if (this.closed) throw new Error('the metadata store is closed')
      const current = await this.load()
      const quotas = applyClientQuotaAlterations(current.quotas, alterations)
      const version = current.version + 1n
      const stored: StoredQuotas = {
        format: FORMAT_VERSION,
        version: String(version),
        quotas: [...quotas.values()]
      }
      await writeFileAtomically(this.file, `${JSON.stringify(stored)}\n`)
      this.loaded = Promise.resolve({ version, quotas })
      this.publish({ version, quotas: [...quotas.values()] })
      return version
    }
    const result = this.queue.then(run, run)
    this.queue = result.catch(() => undefined)
    return result
  }

  subscribe(listener: ClientQuotasListener): Unsubscribe {
    this.listeners.add(listener)
    void this.read().then(
      (image) => {
        if (this.listeners.has(listener)) listener(image)
      },
      () => undefined
    )
    return () => {
      this.listeners.delete(listener)
    }
  }

  async close(): Promise<void> {
    this.closed = true
    this.listeners.clear()
    await this.queue.catch(() => undefined)
  }

  private load(): Promise<{ version: bigint; quotas: Map<string, ClientQuotaRecord> }> {
    this.loaded ??= this.readFile()
    return this.loaded
  }

  private async readFile(): Promise<{ version: bigint; quotas: Map<string, ClientQuotaRecord> }> {
    let text: string
    try {
      text = await readFile(this.file, 'utf8')
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { version: 0n, quotas: new Map() }
      throw err
    }
    const stored = JSON.parse(text) as StoredQuotas
    if (stored.format !== FORMAT_VERSION) {
      throw new Error(`Client quota file ${this.file} has unsupported format ${stored.format}`)
    }
    return {
      version: BigInt(stored.version),
      quotas: new Map(stored.quotas.map((q) => [clientQuotaEntityKey(q.entity), q]))
    }
  }

  private publish(image: ClientQuotasImage): void {
    for (const listener of this.listeners) {
      try {
        listener(image)
      } catch (err) {
        queueMicrotask(() => {
          throw err
        })
      }
    }
  }
}
