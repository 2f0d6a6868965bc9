/**
 * The AWS access keys AWS_MSK_IAM verifies signatures with, as authentication needs them: a synchronous
 * lookup by access key id. AwsCredentialCache keeps the metadata store's keys in memory and follows its
 * changes, so a key created or deleted with `samsa iam` takes effect without a restart.
 * Secrets never leave this module in a log line or an error message.
 */

import type { AwsAccessKeyRecordStore, Unsubscribe } from '../../cluster/metadata-store.js'

export interface AwsCredential {
  /** The principal's name (User:<user>). */
  readonly user: string
  readonly secretAccessKey: string
}

export interface AwsCredentialStore {
  /** The key's user and secret, or undefined when no such key exists. */
  credential(accessKeyId: string): AwsCredential | undefined
}

export class AwsCredentialCache implements AwsCredentialStore {
  private credentials: ReadonlyMap<string, AwsCredential> = new Map()
  private version = -1n
  private readonly unsubscribe: Unsubscribe
  private readonly loaded: Promise<void>

  /** Starts following the store at once; `ready()` resolves when the first set of keys is in. */
  constructor(store: AwsAccessKeyRecordStore) {
    let resolveLoaded: () => void = () => undefined
    this.loaded = new Promise((resolve) => {
      resolveLoaded = resolve
    })
    this.unsubscribe = store.subscribeAwsAccessKeys((image) => {
      // A store may hand the same image again (a new subscriber); only a newer one replaces the keys.
      if (image.version <= this.version) return
      this.version = image.version
      this.credentials = new Map(
        image.keys.map((k) => [k.accessKeyId, { user: k.user, secretAccessKey: k.secretAccessKey }])
      )
      resolveLoaded()
    })
  }

  ready(): Promise<void> {
    return this.loaded
  }

  credential(accessKeyId: string): AwsCredential | undefined {
    return this.credentials.get(accessKeyId)
  }

  close(): void {
    this.unsubscribe()
  }
}
