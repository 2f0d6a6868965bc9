import type { IKeyValue } from 'etcd3'
import type {
  ScramCredentialAlteration,
  ScramCredentialsDelta,
  ScramMechanismName,
  UserScramCredential,
  UserScramCredentialsImage
} from '../metadata-store.js'
import type { KeyEvent } from './etcd-metadata-mirror.js'

/**
 * SCRAM credentials in etcd (KIP-554), beside the keys of etcd-keys.ts:
 *
 *   scram/<mechanism>/<user>  one credential (JSON: base64 salt, storedKey and serverKey, and iterations)
 *
 * The mechanism name has no '/', so everything after the second '/' is the user name, whatever it holds.
 * One key per user and mechanism lets an alteration of several users be one transaction, hence one revision.
 */
export const SCRAM_PREFIX = 'scram/'

const MECHANISMS: readonly ScramMechanismName[] = ['SCRAM-SHA-256', 'SCRAM-SHA-512']

export const scramCredentialKey = (user: string, mechanism: ScramMechanismName): string =>
  `${SCRAM_PREFIX}${mechanism}/${user}`

export function parseScramCredentialKey(key: string): { user: string; mechanism: ScramMechanismName } | null {
  if (!key.startsWith(SCRAM_PREFIX)) return null
  const rest = key.slice(SCRAM_PREFIX.length)
  const slash = rest.indexOf('/')
  if (slash < 0) return null
  const mechanism = MECHANISMS.find((m) => m === rest.slice(0, slash))
  return mechanism ? { mechanism, user: rest.slice(slash + 1) } : null
}

interface StoredScramCredential {
  readonly salt: string
  readonly storedKey: string
  readonly serverKey: string
  readonly iterations: number
}

export function encodeScramCredential({ credential }: UserScramCredential): string {
  const stored: StoredScramCredential = {
    salt: credential.salt.toString('base64'),
    storedKey: credential.storedKey.toString('base64'),
    serverKey: credential.serverKey.toString('base64'),
    iterations: credential.iterations
  }
  return JSON.stringify(stored)
}

function decodeScramCredential(
  parsed: { user: string; mechanism: ScramMechanismName },
  kv: IKeyValue
): UserScramCredential {
  const stored = JSON.parse(kv.value.toString()) as StoredScramCredential
  return {
    ...parsed,
    credential: {
      salt: Buffer.from(stored.salt, 'base64'),
      storedKey: Buffer.from(stored.storedKey, 'base64'),
      serverKey: Buffer.from(stored.serverKey, 'base64'),
      iterations: stored.iterations
    }
  }
}

/**
 * The credentials as etcd holds them, built from a range read and advanced by the watch's revisions, as
 * EtcdMetadataMirror does for the rest of the metadata. Owned by one EtcdMetadataStore.
 */
export class EtcdScramCredentialMirror {
  private readonly credentials = new Map<string, UserScramCredential>()

  constructor(public version: bigint) {}

  static fromKeys(version: bigint, kvs: readonly KeyEvent[]): EtcdScramCredentialMirror {
    const mirror = new EtcdScramCredentialMirror(version)
    for (const { key, kv } of kvs) {
      const parsed = parseScramCredentialKey(key)
      if (parsed) mirror.credentials.set(key, decodeScramCredential(parsed, kv))
    }
    return mirror
  }

  image(): UserScramCredentialsImage {
    return { version: this.version, credentials: [...this.credentials.values()] }
  }

  has(user: string, mechanism: ScramMechanismName): boolean {
    return this.credentials.has(scramCredentialKey(user, mechanism))
  }

  /** The delta of one revision's credential events, or null when it changed no credential. */
  applyRevision(version: bigint, events: readonly KeyEvent[]): ScramCredentialsDelta | null {
    if (version <= this.version) return null
    this.version = version
    const changes: ScramCredentialAlteration[] = []
    for (const { type, key, kv } of events) {
      const parsed = parseScramCredentialKey(key)
      if (!parsed) continue
      if (type === 'Delete') {
        this.credentials.delete(key)
        changes.push({ ...parsed, credential: null })
      } else {
        const credential = decodeScramCredential(parsed, kv)
        this.credentials.set(key, credential)
        changes.push(credential)
      }
    }
    return changes.length > 0 ? { version, changes } : null
  }
}
