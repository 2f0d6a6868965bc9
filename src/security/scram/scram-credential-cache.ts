/**
 * The broker's view of every SCRAM credential in the cluster: loaded from the metadata store once, then kept
 * current by its change stream, so an authentication never waits on the store (or on etcd).
 */

import type {
  ScramCredentialRecord,
  ScramCredentialsDelta,
  ScramMechanismName,
  Unsubscribe,
  UserScramCredentialRecordStore
} from '../../cluster/metadata-store.js'

/** What a SCRAM mechanism reads: the stored credential of a user, undefined when there is none. */
export interface ScramCredentialStore {
  credential(user: string, mechanism: ScramMechanismName): ScramCredentialRecord | undefined
}

export type ScramCredentialChangeListener = (delta: ScramCredentialsDelta) => void

export class ScramCredentialCache implements ScramCredentialStore {
  /** user -> mechanism -> credential */
  private readonly users = new Map<string, Map<ScramMechanismName, ScramCredentialRecord>>()
  private readonly listeners = new Set<ScramCredentialChangeListener>()
  private versionSeen = -1n
  private unsubscribe: Unsubscribe = () => undefined

  private constructor() {}

  /** Follows the store from its current credentials on; changes committed while loading are not lost. */
  static async start(store: UserScramCredentialRecordStore): Promise<ScramCredentialCache> {
    const cache = new ScramCredentialCache()
    const early: ScramCredentialsDelta[] = []
    let loaded = false
    cache.unsubscribe = store.subscribeUserScramCredentials((delta) => {
      if (loaded) cache.apply(delta)
      else early.push(delta)
    })
    try {
      const image = await store.userScramCredentials()
      for (const { user, mechanism, credential } of image.credentials) cache.put(user, mechanism, credential)
      cache.versionSeen = image.version
      loaded = true
      for (const delta of early) cache.apply(delta)
    } catch (err) {
      cache.close()
      throw err
    }
    return cache
  }

  credential(user: string, mechanism: ScramMechanismName): ScramCredentialRecord | undefined {
    return this.users.get(user)?.get(mechanism)
  }

  /** Every user with at least one credential, and theirs by mechanism. */
  allUsers(): ReadonlyMap<string, ReadonlyMap<ScramMechanismName, ScramCredentialRecord>> {
    return this.users
  }

  /** Called after each applied change (a removed or replaced credential, e.g. to end sessions). */
  onChange(listener: ScramCredentialChangeListener): Unsubscribe {
    this.listeners.add(listener)
    return () => {
      this.listeners.delete(listener)
    }
  }

  close(): void {
    this.unsubscribe()
    this.listeners.clear()
  }

  private apply(delta: ScramCredentialsDelta): void {
    // Changes already contained in the loaded credentials are skipped.
    if (delta.version <= this.versionSeen) return
    this.versionSeen = delta.version
    for (const { user, mechanism, credential } of delta.changes) {
      if (credential !== null) {
        this.put(user, mechanism, credential)
        continue
      }
      const mechanisms = this.users.get(user)
      mechanisms?.delete(mechanism)
      if (mechanisms?.size === 0) this.users.delete(user)
    }
    for (const listener of this.listeners) listener(delta)
  }

  private put(user: string, mechanism: ScramMechanismName, credential: ScramCredentialRecord): void {
    let mechanisms = this.users.get(user)
    if (!mechanisms) {
      mechanisms = new Map()
      this.users.set(user, mechanisms)
    }
    mechanisms.set(mechanism, credential)
  }
}
