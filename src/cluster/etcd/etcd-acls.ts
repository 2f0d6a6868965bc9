import type { IKeyValue, Namespace, Watcher } from 'etcd3'
import type { AclRecord, AclsImage, AclsListener, Unsubscribe } from '../metadata-store.js'

/**
 * ACLs in etcd, beside the keys of etcd-keys.ts:
 *
 *   acls/<id>  one binding (JSON: resource type, name and pattern type, principal, host, operation, permission)
 *
 * One key per ACL lets a CreateAcls or DeleteAcls be one transaction (one revision), and a watch deliver
 * each change. Writes come from the controller only (the handlers forward to it); ids are unique, so
 * concurrent writes never conflict and need no compare. A subscribed broker follows the prefix with a watch
 * of its own, started at the revision of its first read, so it sees every change once and in order.
 */
export const ACLS_PREFIX = 'acls/'

/** How long a write waits for this broker's own watch to show it before answering anyway. */
const CATCH_UP_TIMEOUT_MS = 2_000

const aclKey = (id: string): string => `${ACLS_PREFIX}${id}`

type StoredAcl = Omit<AclRecord, 'id'>

function decode(kv: IKeyValue): AclRecord | null {
  try {
    const stored = JSON.parse(kv.value.toString()) as StoredAcl
    if (typeof stored?.resourceName !== 'string' || typeof stored.principal !== 'string') return null
    return { ...stored, id: kv.key.toString().slice(ACLS_PREFIX.length) }
  } catch {
    return null
  }
}

export class EtcdAcls {
  private readonly listeners = new Set<AclsListener>()
  private following: Promise<Watcher> | null = null
  private acls = new Map<string, AclRecord>()
  private published: AclsImage | null = null
  private closed = false

  constructor(private readonly kv: Namespace) {}

  async read(): Promise<AclsImage> {
    const response = await this.kv.getAll().prefix(ACLS_PREFIX).exec()
    const acls = response.kvs.map(decode).filter((a): a is AclRecord => a !== null)
    return { version: BigInt(response.header.revision), acls }
  }

  async alter(create: readonly AclRecord[], deleteIds: readonly string[]): Promise<void> {
    if (create.length === 0 && deleteIds.length === 0) return
    const ops = [
      ...deleteIds.map((id) => this.kv.delete().key(aclKey(id))),
      ...create.map(({ id, ...stored }) => this.kv.put(aclKey(id)).value(JSON.stringify(stored)))
    ]
    const reply = await this.kv
      .if(ACLS_PREFIX, 'Version', '>', -1)
      .then(...ops)
      .commit()
    // A DescribeAcls right after a CreateAcls on this broker must see it: wait (briefly) for the watch.
    if (this.following !== null) await this.caughtUp(BigInt(reply.header.revision))
  }

  private caughtUp(revision: bigint): Promise<void> {
    if ((this.published?.version ?? -1n) >= revision) return Promise.resolve()
    return new Promise((resolve) => {
      let timer: NodeJS.Timeout | undefined
      const waiter: AclsListener = (image) => {
        if (image.version < revision) return
        clearTimeout(timer)
        this.listeners.delete(waiter)
        resolve()
      }
      timer = setTimeout(() => {
        this.listeners.delete(waiter)
        resolve()
      }, CATCH_UP_TIMEOUT_MS)
      this.listeners.add(waiter)
    })
  }

  subscribe(listener: AclsListener): Unsubscribe {
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
    this.acls = new Map(image.acls.map((a) => [a.id, a]))
    this.publish(image.version)
    const watcher = await this.kv
      .watch()
      .prefix(ACLS_PREFIX)
      .startRevision(String(image.version + 1n))
      .create()
    // A transaction's events share a revision: publish once per revision, after its last event.
    watcher.on('data', (res) => {
      let revision = -1n
      for (const event of res.events) {
        const id = event.kv.key.toString().slice(ACLS_PREFIX.length)
        const acl = event.type === 'Put' ? decode(event.kv) : null
        if (acl) this.acls.set(id, acl)
        else this.acls.delete(id)
        const r = BigInt(event.kv.mod_revision)
        if (r > revision) revision = r
      }
      if (revision >= 0n) this.publish(revision)
    })
    // The watcher reconnects by itself from its last revision; errors only need to stay non-fatal.
    watcher.on('error', () => undefined)
    if (this.closed) await watcher.cancel()
    return watcher
  }

  private publish(version: bigint): void {
    if (this.closed) return
    const image: AclsImage = { version, acls: [...this.acls.values()] }
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
