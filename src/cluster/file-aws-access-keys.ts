import { type StatWatcher, unwatchFile, watchFile } from 'node:fs'
import { mkdir, readFile } from 'node:fs/promises'
import { dirname } from 'node:path'
import { removeStaleTempFiles, writeFileAtomically } from '../common/atomic-file.js'
import {
  type AwsAccessKey,
  AwsAccessKeyExistsError,
  type AwsAccessKeysImage,
  type AwsAccessKeysListener,
  type Unsubscribe
} from './metadata-store.js'

/**
 * The AWS access keys of the embedded file store, in a file of their own beside metadata.json
 * (`__cluster_metadata/aws-access-keys.json`, mode 0600). A file of their own because `samsa iam` changes
 * them while the broker runs: the broker never writes this file, so neither process can overwrite the
 * other's change, and the broker follows the file by polling its stat (a rename into place is a new inode).
 * Writers (one `samsa iam` at a time) read, change and atomically replace it; each change bumps `version`.
 */
export const AWS_ACCESS_KEYS_FILE = 'aws-access-keys.json'
const FORMAT_VERSION = 1
/** How often a subscribed broker looks for a change made by `samsa iam`. */
const POLL_INTERVAL_MS = 500

interface StoredKeys {
  readonly format: number
  readonly version: string
  readonly keys: readonly AwsAccessKey[]
}

export class FileAwsAccessKeys {
  private queue: Promise<unknown> = Promise.resolve()
  private readonly listeners = new Set<AwsAccessKeysListener>()
  private watcher: StatWatcher | null = null
  private published: AwsAccessKeysImage | null = null
  private refreshing: Promise<void> | null = null
  private refreshAgain = false

  constructor(private readonly file: string) {}

  async read(): Promise<AwsAccessKeysImage> {
    let text: string
    try {
      text = await readFile(this.file, 'utf8')
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { version: 0n, keys: [] }
      throw err
    }
    let stored: StoredKeys
    try {
      stored = JSON.parse(text) as StoredKeys
    } catch {
      // Neither the message nor a cause may quote the content (V8's JSON errors do): it holds secrets.
      throw new Error(`AWS access key file ${this.file} is not valid JSON`)
    }
    if (typeof stored !== 'object' || stored === null || !Array.isArray(stored.keys)) {
      throw new Error(`AWS access key file ${this.file} is not an access key file`)
    }
    if (stored.format !== FORMAT_VERSION) {
      throw new Error(`AWS access key file ${this.file} has unsupported format ${stored.format}`)
    }
    return { version: BigInt(stored.version), keys: stored.keys.map((k) => ({ ...k })) }
  }

  create(key: AwsAccessKey): Promise<void> {
    return this.update((keys) => {
      if (keys.some((k) => k.accessKeyId === key.accessKeyId)) {
        throw new AwsAccessKeyExistsError(`Access key ${key.accessKeyId} exists already`)
      }
      return [...keys, { ...key }]
    }).then(() => undefined)
  }

  delete(accessKeyId: string): Promise<boolean> {
    return this.update((keys) => {
      const left = keys.filter((k) => k.accessKeyId !== accessKeyId)
      return left.length === keys.length ? null : left
    })
  }

  subscribe(listener: AwsAccessKeysListener): Unsubscribe {
    this.listeners.add(listener)
    if (this.published) listener(this.published)
    if (this.watcher === null) {
      // persistent: false, so following the file never keeps a process alive.
      this.watcher = watchFile(this.file, { interval: POLL_INTERVAL_MS, persistent: false }, () => {
        void this.refresh()
      })
    }
    void this.refresh()
    return () => {
      this.listeners.delete(listener)
      if (this.listeners.size === 0) this.stopWatching()
    }
  }

  async close(): Promise<void> {
    this.listeners.clear()
    this.stopWatching()
    await this.queue.catch(() => undefined)
  }

  private stopWatching(): void {
    if (this.watcher === null) return
    unwatchFile(this.file)
    this.watcher = null
    this.published = null
  }

  /** Re-reads the file and publishes it when its version moved; one read at a time, none lost. */
  private refresh(): Promise<void> {
    if (this.refreshing) {
      this.refreshAgain = true
      return this.refreshing
    }
    this.refreshing = (async () => {
      do {
        this.refreshAgain = false
        let image: AwsAccessKeysImage
        try {
          image = await this.read()
        } catch {
          // A broken file keeps the last good keys; the next change of the file is read again.
          continue
        }
        if (this.watcher === null) return
        if (this.published !== null && image.version <= this.published.version) continue
        this.published = image
        for (const listener of this.listeners) {
          try {
            listener(image)
          } catch (err) {
            queueMicrotask(() => {
              throw err
            })
          }
        }
      } while (this.refreshAgain)
    })().finally(() => {
      this.refreshing = null
    })
    return this.refreshing
  }

  /** Read, change, replace; `change` returns null for no change. Resolves with whether it changed. */
  private update(change: (keys: readonly AwsAccessKey[]) => AwsAccessKey[] | null): Promise<boolean> {
    const run = async (): Promise<boolean> => {
      const dir = dirname(this.file)
      await mkdir(dir, { recursive: true })
      await removeStaleTempFiles(dir, this.file)
      const current = await this.read()
      const keys = change(current.keys)
      if (keys === null) return false
      const stored: StoredKeys = {
        format: FORMAT_VERSION,
        version: (current.version + 1n).toString(),
        keys
      }
      await writeFileAtomically(this.file, `${JSON.stringify(stored)}\n`, 0o600)
      if (this.watcher !== null) await this.refresh()
      return true
    }
    const result = this.queue.then(run, run)
    this.queue = result.catch(() => undefined)
    return result
  }
}
