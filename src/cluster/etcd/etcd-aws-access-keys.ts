import type { IKeyValue, Namespace, Watcher } from 'etcd3'
import {
  type AwsAccessKey,
  AwsAccessKeyExistsError,
  type AwsAccessKeysImage,
  type AwsAccessKeysListener,
  type Unsubscribe
} from '../metadata-store.js'

/**
 * AWS access keys in etcd, beside the keys of etcd-keys.ts:
 *
 *   aws-access-keys/<access key id>  JSON { user, secretAccessKey, createdMs }
 *
 * Writes need no controller (`samsa iam` makes them with the cluster running): a creation is conditional on
 * the key's absence, a deletion is a plain delete. A subscribed broker follows the prefix with a watch of its
 * own, started at the revision of its first read, so it sees every change once and in order; the image's
 * version is the etcd revision of the last change seen.
 */
export const AWS_ACCESS_KEYS_PREFIX = 'aws-access-keys/'

const awsAccessKeyKey = (accessKeyId: string): string => `${AWS_ACCESS_KEYS_PREFIX}${accessKeyId}`

interface StoredAwsAccessKey {
  readonly user: string
  readonly secretAccessKey: string
  readonly createdMs: number
}

/** Null for a value that is not a stored key; the error would quote it, and it holds a secret. */
function decode(kv: IKeyValue): AwsAccessKey | null {
  let stored: StoredAwsAccessKey
  try {
    stored = JSON.parse(kv.value.toString()) as StoredAwsAccessKey
  } catch {
    return null
  }
  if (typeof stored?.user !== 'string' || typeof stored.secretAccessKey !== 'string') return null
  return {
    accessKeyId: kv.key.toString().slice(AWS_ACCESS_KEYS_PREFIX.length),
    user: stored.user,
    secretAccessKey: stored.secretAccessKey,
    createdMs: stored.createdMs
  }
}

export class EtcdAwsAccessKeys {
  private readonly listeners = new Set<AwsAccessKeysListener>()
  private following: Promise<Watcher> | null = null
  private keys = new Map<string, AwsAccessKey>()
  private published: AwsAccessKeysImage | null = null
  private closed = false

  constructor(private readonly kv: Namespace) {}

  async read(): Promise<AwsAccessKeysImage> {
    const response = await this.kv.getAll().prefix(AWS_ACCESS_KEYS_PREFIX).exec()
    const keys = response.kvs.map(decode).filter((k): k is AwsAccessKey => k !== null)
    return { version: BigInt(response.header.revision), keys }
  }

  async create(key: AwsAccessKey): Promise<void> {
    const stored: StoredAwsAccessKey = {
      user: key.user,
      secretAccessKey: key.secretAccessKey,
      createdMs: key.createdMs
    }
    const name = awsAccessKeyKey(key.accessKeyId)
    const reply = await this.kv
      .if(name, 'Create', '==', 0)
      .then(this.kv.put(name).value(JSON.stringify(stored)))
      .commit()
    if (!reply.succeeded) throw new AwsAccessKeyExistsError(`Access key ${key.accessKeyId} exists already`)
  }

  async delete(accessKeyId: string): Promise<boolean> {
    const reply = await this.kv.delete().key(awsAccessKeyKey(accessKeyId)).exec()
    return Number(reply.deleted) > 0
  }

  subscribe(listener: AwsAccessKeysListener): Unsubscribe {
    this.listeners.add(listener)
    if (this.published) listener(this.published)
    if (this.following === null) {
      this.following = this.follow()
      // A failed start leaves the subscribers without keys (authentication fails) until the next subscribe.
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
    this.keys = new Map(image.keys.map((k) => [k.accessKeyId, k]))
    this.publish(image.version)
    const watcher = await this.kv
      .watch()
      .prefix(AWS_ACCESS_KEYS_PREFIX)
      .startRevision(String(image.version + 1n))
      .create()
    watcher.on('put', (kv) => {
      const key = decode(kv)
      if (key) this.keys.set(key.accessKeyId, key)
      else this.keys.delete(kv.key.toString().slice(AWS_ACCESS_KEYS_PREFIX.length))
      this.publish(BigInt(kv.mod_revision))
    })
    watcher.on('delete', (kv) => {
      this.keys.delete(kv.key.toString().slice(AWS_ACCESS_KEYS_PREFIX.length))
      this.publish(BigInt(kv.mod_revision))
    })
    // The watcher reconnects by itself from its last revision; errors only need to stay non-fatal.
    watcher.on('error', () => undefined)
    if (this.closed) await watcher.cancel()
    return watcher
  }

  private publish(version: bigint): void {
    if (this.closed) return
    const image: AwsAccessKeysImage = { version, keys: [...this.keys.values()] }
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
