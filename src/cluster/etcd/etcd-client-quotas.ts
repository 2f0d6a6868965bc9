import type { IKeyValue, Namespace, Watcher } from 'etcd3'
import {
  applyClientQuotaAlterations,
  type ClientQuotaAlteration,
  type ClientQuotaRecord,
  type ClientQuotasImage,
  type ClientQuotasListener,
  clientQuotaEntityKey,
  parseClientQuotaEntityKey,
  type Unsubscribe
} from '../metadata-store.js'

/**
 * Client quotas in etcd, beside the keys of etcd-keys.ts:
 *
 *   client-quotas/<entity key>  JSON { <quota key>: <value> } of one entity (clientQuotaEntityKey, URI-encoded)
 *
 * An alteration reads the entities it touches and writes them in one transaction that compares their mod
 * revisions, retried when another broker changed one in between, so concurrent alterations of different keys
 * of one entity both land. A subscribed broker follows the prefix with its own watch from its first read.
 */
export const CLIENT_QUOTAS_PREFIX = 'client-quotas/'
const MAX_ATTEMPTS = 10

const quotaKey = (entityKey: string): string => `${CLIENT_QUOTAS_PREFIX}${encodeURIComponent(entityKey)}`

function decode(kv: IKeyValue): ClientQuotaRecord | null {
  const entity = parseClientQuotaEntityKey(
    decodeURIComponent(kv.key.toString().slice(CLIENT_QUOTAS_PREFIX.length))
  )
  if (entity === null) return null
  const values = decodeValues(kv)
  return values ? { entity, values } : null
}

function decodeValues(kv: IKeyValue): Record<string, number> | null {
  try {
    const values = JSON.parse(kv.value.toString()) as Record<string, number>
    return typeof values === 'object' && values !== null ? values : null
  } catch {
    return null
  }
}

export class EtcdClientQuotas {
  private readonly listeners = new Set<ClientQuotasListener>()
  private following: Promise<Watcher> | null = null
  private quotas = new Map<string, ClientQuotaRecord>()
  private published: ClientQuotasImage | null = null
  private closed = false

  constructor(private readonly kv: Namespace) {}

  async read(): Promise<ClientQuotasImage> {
    const response = await this.kv.getAll().prefix(CLIENT_QUOTAS_PREFIX).exec()
    const quotas = response.kvs.map(decode).filter((q): q is ClientQuotaRecord => q !== null)
    return { version: BigInt(response.header.revision), quotas }
  }

  async alter(alterations: readonly ClientQuotaAlteration[]): Promise<bigint> {
    const keys = [...new Set(alterations.map((a) => clientQuotaEntityKey(a.entity)))]
    for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
      const current = new Map<string, ClientQuotaRecord>()
      const revisions = new Map<string, string>()
      for (const key of keys) {
        const response = await this.kv.get(quotaKey(key)).exec()
        const kv = response.kvs[0]
        revisions.set(key, kv ? kv.mod_revision : '0')
        // A single-key get answers with the key outside the namespace: the entity comes from our own key.
        const values = kv ? decodeValues(kv) : null
        const entity = parseClientQuotaEntityKey(key)
        if (values && entity) current.set(key, { entity, values })
      }
      const next = applyClientQuotaAlterations(current, alterations)
      let txn = this.kv.if(quotaKey(keys[0]!), 'Mod', '==', revisions.get(keys[0]!)!)
      for (const key of keys.slice(1)) txn = txn.and(quotaKey(key), 'Mod', '==', revisions.get(key)!)
      const writes = keys.map((key) => {
        const record = next.get(key)
        return record
          ? this.kv.put(quotaKey(key)).value(JSON.stringify(record.values))
          : this.kv.delete().key(quotaKey(key))
      })
      const reply = await txn.then(...writes).commit()
      if (reply.succeeded) return BigInt(reply.header.revision)
    }
    throw new Error('client quotas changed concurrently too many times; try again')
  }

  subscribe(listener: ClientQuotasListener): Unsubscribe {
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
    this.quotas = new Map(image.quotas.map((q) => [clientQuotaEntityKey(q.entity), q]))
    this.publish(image.version)
    const watcher = await this.kv
      .watch()
      .prefix(CLIENT_QUOTAS_PREFIX)
      .startRevision(String(image.version + 1n))
      .create()
    const entityKeyOf = (kv: IKeyValue): string =>
      decodeURIComponent(kv.key.toString().slice(CLIENT_QUOTAS_PREFIX.length))
    watcher.on('put', (kv) => {
      const record = decode(kv)
      if (record) this.quotas.set(clientQuotaEntityKey(record.entity), record)
      else this.quotas.delete(entityKeyOf(kv))
      this.publish(BigInt(kv.mod_revision))
    })
    watcher.on('delete', (kv) => {
      this.quotas.delete(entityKeyOf(kv))
      this.publish(BigInt(kv.mod_revision))
    })
    // The watcher reconnects by itself from its last revision; errors only need to stay non-fatal.
    watcher.on('error', () => undefined)
    if (this.closed) await watcher.cancel()
    return watcher
  }

  private publish(version: bigint): void {
    if (this.closed) return
    const image: ClientQuotasImage = { version, quotas: [...this.quotas.values()] }
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
