import { readFile } from 'node:fs/promises'
import { writeFileAtomically } from '../common/atomic-file.js'
import type { AclRecord, AclsImage, AclsListener, Unsubscribe } from './metadata-store.js'

/**
 * The ACLs of the embedded file store, in a file of their own beside metadata.json
 * (`__cluster_metadata/acls.json`), so the metadata file's format and its writers stay as they were. Only
 * the broker writes it (it is its own controller): changes run one at a time on a promise chain, each is
 * durable (atomic replace) before the listeners hear of it, and each bumps `version`.
 */
export const ACLS_FILE = 'acls.json'
const FORMAT_VERSION = 1

interface StoredAcls {
  readonly format: number
  readonly version: string
  readonly acls: readonly AclRecord[]
}

export class FileAcls {
  private queue: Promise<unknown> = Promise.resolve()
  private readonly listeners = new Set<AclsListener>()
  private current: Promise<AclsImage> | null = null

  constructor(private readonly file: string) {}

  acls(): Promise<AclsImage> {
    this.current ??= this.load()
    return this.current
  }

  alter(create: readonly AclRecord[], deleteIds: readonly string[]): Promise<void> {
    const run = async (): Promise<void> => {
      const image = await this.acls()
      const gone = new Set(deleteIds)
      const acls = [...image.acls.filter((a) => !gone.has(a.id)), ...create.map((a) => ({ ...a }))]
      if (acls.length === image.acls.length && create.length === 0) return
      const next: AclsImage = { version: image.version + 1n, acls }
      const stored: StoredAcls = { format: FORMAT_VERSION, version: next.version.toString(), acls }
      await writeFileAtomically(this.file, `${JSON.stringify(stored)}\n`)
      this.current = Promise.resolve(next)
      for (const listener of this.listeners) {
        try {
          listener(next)
        } catch (err) {
          queueMicrotask(() => {
            throw err
          })
        }
      }
    }
    const result = this.queue.then(run, run)
    this.queue = result.catch(() => undefined)
    return result
  }

  subscribe(listener: AclsListener): Unsubscribe {
    this.listeners.add(listener)
    void this.acls().then(
      (image) => {
        if (this.listeners.has(listener)) listener(image)
      },
      () => undefined
    )
    return () => {
      this.listeners.delete(listener)
    }
  }

  close(): Promise<void> {
    this.listeners.clear()
    return this.queue.then(() => undefined)
  }

  private async load(): Promise<AclsImage> {
    let text: string
    try {
      text = await readFile(this.file, 'utf8')
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { version: 0n, acls: [] }
      throw err
    }
    const stored = JSON.parse(text) as StoredAcls
    if (stored.format !== FORMAT_VERSION || !Array.isArray(stored.acls)) {
      throw new Error(`ACL file ${this.file} has unsupported format ${stored.format}`)
    }
    return { version: BigInt(stored.version), acls: stored.acls }
  }
}
