import { mkdir, readFile } from 'node:fs/promises'
import { dirname } from 'node:path'
import { removeStaleTempFiles, writeFileAtomically } from '../common/atomic-file.js'
import {
  applyDynamicConfigChanges,
  type DynamicConfigResource,
  type DynamicConfigsImage,
  type DynamicConfigsListener,
  type Unsubscribe
} from './metadata-store.js'

/**
 * The dynamic configs of the embedded file store (broker, group and client-metrics resources), in a file of
 * their own beside metadata.json (`__cluster_metadata/dynamic-configs.json`, mode 0600: TLS passwords may be
 * among them). Only the broker writes it, one change at a time, replacing the file atomically; listeners get
 * the new image once the file is durable.
 */
export const DYNAMIC_CONFIGS_FILE = 'dynamic-configs.json'
const FORMAT_VERSION = 1

interface StoredConfigs {
  readonly format: number
  readonly version: string
  readonly resources: readonly DynamicConfigResource[]
}

const sameResource = (r: DynamicConfigResource, type: number, name: string): boolean =>
  r.resourceType === type && r.resourceName === name

export class FileDynamicConfigs {
  private queue: Promise<unknown> = Promise.resolve()
  private readonly listeners = new Set<DynamicConfigsListener>()

  constructor(private readonly file: string) {}

  async read(): Promise<DynamicConfigsImage> {
    let text: string
    try {
      text = await readFile(this.file, 'utf8')
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { version: 0n, resources: [] }
      throw err
    }
    let stored: StoredConfigs
    try {
      stored = JSON.parse(text) as StoredConfigs
    } catch {
      // The content may hold passwords: the message does not quote it.
      throw new Error(`dynamic config file ${this.file} is not valid JSON`)
    }
    if (stored.format !== FORMAT_VERSION || !Array.isArray(stored.resources)) {
      throw new Error(`dynamic config file ${this.file} has unsupported format ${stored.format}`)
    }
    return { version: BigInt(stored.version), resources: stored.resources }
  }

  alter(
    resourceType: number,
    resourceName: string,
    changes: Readonly<Record<string, string | null>>,
    replace: boolean
  ): Promise<Readonly<Record<string, string>>> {
    const run = async (): Promise<Readonly<Record<string, string>>> => {
      const dir = dirname(this.file)
      await mkdir(dir, { recursive: true })
      await removeStaleTempFiles(dir, this.file)
      const current = await this.read()
      const old = current.resources.find((r) => sameResource(r, resourceType, resourceName))
      const configs = applyDynamicConfigChanges(old?.configs ?? {}, changes, replace)
      const others = current.resources.filter((r) => !sameResource(r, resourceType, resourceName))
      const resources =
        Object.keys(configs).length === 0 ? others : [...others, { resourceType, resourceName, configs }]
      const version = current.version + 1n
      const stored: StoredConfigs = { format: FORMAT_VERSION, version: version.toString(), resources }
      await writeFileAtomically(this.file, `${JSON.stringify(stored)}\n`, 0o600)
      this.publish({ version, resources })
      return configs
    }
    const result = this.queue.then(run, run)
    this.queue = result.catch(() => undefined)
    return result
  }

  subscribe(listener: DynamicConfigsListener): Unsubscribe {
    // The first read may finish after a write published a newer image: each listener sees versions rise.
    let seen = -1n
    const ordered: DynamicConfigsListener = (image) => {
      if (image.version <= seen) return
      seen = image.version
      listener(image)
    }
    this.listeners.add(ordered)
    this.read().then(
      (image) => {
        if (this.listeners.has(ordered)) ordered(image)
      },
      () => undefined
    )
    return () => {
      this.listeners.delete(ordered)
    }
  }

  async close(): Promise<void> {
    this.listeners.clear()
    await this.queue.catch(() => undefined)
  }

  private publish(image: DynamicConfigsImage): void {
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
