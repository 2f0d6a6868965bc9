import type { IKeyValue, Namespace, Watcher } from 'etcd3'
import {
  applyDynamicConfigChanges,
  type DynamicConfigResource,
  type DynamicConfigsImage,
  type DynamicConfigsListener,
  type Unsubscribe
} from '../metadata-store.js'

/**
 * Dynamic configs of broker, group and client-metrics resources in etcd, beside the keys of etcd-keys.ts
 * (whose `configs/` prefix holds topic overrides):
 *
 *   dynamic_configs/<resource type>/<resource name>  JSON object of the resource's configs
 *
 * The type is a number, so everything after the second '/' is the name (the empty name, a BROKER
 * resource's cluster-wide default, is a key ending in '/'). Any broker writes them: a change reads the
 * record and replaces it conditionally on its mod revision, retrying when another write came first. A
 * subscribed broker follows the prefix with a watch started at the revision of its first read.
 */
export const DYNAMIC_CONFIGS_PREFIX = 'dynamic_configs/'

const recordKey = (type: number, name: string): string => `${DYNAMIC_CONFIGS_PREFIX}${type}/${name}`

function parseKey(key: string): { resourceType: number; resourceName: string } | null {
  const rest = key.slice(DYNAMIC_CONFIGS_PREFIX.length)
  const slash = rest.indexOf('/')
  const resourceType = Number(rest.slice(0, slash))
  if (slash < 0 || !Number.isInteger(resourceType)) return null
  return { resourceType, resourceName: rest.slice(slash + 1) }
}

function decode(kv: IKeyValue): DynamicConfigResource | null {
  const id = parseKey(kv.key.toString())
  if (id === null) return null
  try {
    const configs = JSON.parse(kv.value.toString()) as Record<string, string>
    return typeof configs === 'object' && configs !== null ? { ...id, configs } : null
  } catch {
    return null
  }
}

const MAX_ATTEMPTS = 10

export class EtcdDynamicConfigs {
  private readonly listeners = new Set<DynamicConfigsListener>()
  private following: Promise<Watcher> | null = null
  private resources = new Map<string, DynamicConfigResource>()
  private published: DynamicConfigsImage | null = null
  private closed = false

  constructor(private readonly kv: Namespace) {}

  async read(): Promise<DynamicConfigsImage> {
    const response = await this.kv.getAll().prefix(DYNAMIC_CONFIGS_PREFIX).exec()
    const resources = response.kvs.map(decode).filter((r): r is DynamicConfigResource => r !== null)
    return { version: BigInt(response.header.revision), resources }
  }

  async alter(
    resourceType: number,
    resourceName: string,
    changes: Readonly<Record<string, string | null>>,
    replace: boolean
  ): Promise<Readonly<Record<string, string>>> {
    const key = recordKey(resourceType, resourceName)
    for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
      const response = await this.kv.get(key).exec()
      const current = response.kvs[0]
      const configs = applyDynamicConfigChanges(
        current ? (decode(current)?.configs ?? {}) : {},
        changes,
        replace
      )
      const write =
        Object.keys(configs).length === 0
          ? this.kv.delete().key(key)
          : this.kv.put(key).value(JSON.stringify(configs))
      const reply = await this.kv
        .if(key, 'Mod', '==', current ? current.mod_revision : 0)
        .then(write)
        .commit()
      if (reply.succeeded) return configs
    }
    throw new Error(`dynamic configs of ${key} kept changing under ${MAX_ATTEMPTS} attempts`)
  }

  subscribe(listener: DynamicConfigsListener): Unsubscribe {
    this.listeners.add(listener)
    if (this.published) listener(this.published)
    if (this.following === null) {
      this.following = this.follow()
      this.following.catch(() => {
        this.following = null
      })
    }
    return () => {
      this.listeners.delete(listener)
    }
  }

  async close(): Promise<void> {
    this.closed = true
    this.listeners.clear()
    const watcher = await this.following?.catch(() => null)
    await watcher?.cancel()
  }

  private async follow(): Promise<Watcher> {
    const image = await this.read()
    this.resources = new Map(image.resources.map((r) => [recordKey(r.resourceType, r.resourceName), r]))
    this.publish(image.version)
    const watcher = await this.kv
      .watch()
      .prefix(DYNAMIC_CONFIGS_PREFIX)
      .startRevision(String(image.version + 1n))
      .create()
    watcher.on('put', (kv) => {
      const resource = decode(kv)
      if (resource) this.resources.set(kv.key.toString(), resource)
      else this.resources.delete(kv.key.toString())
      this.publish(BigInt(kv.mod_revision))
    })
    watcher.on('delete', (kv) => {
      this.resources.delete(kv.key.toString())
      this.publish(BigInt(kv.mod_revision))
    })
    // The watcher reconnects by itself from its last revision; errors only need to stay non-fatal.
    watcher.on('error', () => undefined)
    if (this.closed) await watcher.cancel()
    return watcher
  }

  private publish(version: bigint): void {
    if (this.closed) return
    const image: DynamicConfigsImage = { version, resources: [...this.resources.values()] }
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
  }
}
