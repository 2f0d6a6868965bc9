/**
 * The SCRAM mechanisms Kafka supports (RFC 5802 with the hashes of RFC 7677 and RFC 5802's SHA-512 variant)
 * and the key derivations both the SASL exchange and credential creation need, on Node's crypto only.
 */

import { createHash, createHmac, pbkdf2, randomBytes } from 'node:crypto'
import type { ScramCredentialRecord, ScramMechanismName } from '../../cluster/metadata-store.js'

export interface ScramMechanism {
  readonly name: ScramMechanismName
  /** The mechanism's id in DescribeUserScramCredentials and AlterUserScramCredentials (Kafka's ScramMechanism). */
  readonly type: number
  readonly hash: 'sha256' | 'sha512'
  /** The hash's output length, which is also the salted password's length. */
  readonly keyLength: number
  /** Kafka's minimum for both mechanisms; fewer iterations are refused everywhere. */
  readonly minIterations: number
}

export const SCRAM_SHA_256: ScramMechanism = {
  name: 'SCRAM-SHA-256',
  type: 1,
  hash: 'sha256',
  keyLength: 32,
  minIterations: 4096
}

export const SCRAM_SHA_512: ScramMechanism = {
  name: 'SCRAM-SHA-512',
  type: 2,
  hash: 'sha512',
  keyLength: 64,
  minIterations: 4096
}

export const SCRAM_MECHANISMS: readonly ScramMechanism[] = [SCRAM_SHA_256, SCRAM_SHA_512]

/** Kafka's upper bound for credentials altered through AlterUserScramCredentials. */
export const MAX_SCRAM_ITERATIONS = 16384

export function scramMechanismByName(name: string): ScramMechanism | undefined {
  return SCRAM_MECHANISMS.find((m) => m.name === name)
}

export function scramMechanismByType(type: number): ScramMechanism | undefined {
  return SCRAM_MECHANISMS.find((m) => m.type === type)
}

/** Hi(password, salt, i) of RFC 5802: PBKDF2 with HMAC of the mechanism's hash. Runs on the thread pool. */
export function saltPassword(
  m: ScramMechanism,
  password: string | Buffer,
  salt: Buffer,
  iterations: number
): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    pbkdf2(password, salt, iterations, m.keyLength, m.hash, (err, key) => (err ? reject(err) : resolve(key)))
  })
}

export function hmac(m: ScramMechanism, key: Buffer, data: Buffer | string): Buffer {
  return createHmac(m.hash, key).update(data).digest()
}

export function hash(m: ScramMechanism, data: Buffer): Buffer {
  return createHash(m.hash).update(data).digest()
}

export const clientKey = (m: ScramMechanism, saltedPassword: Buffer): Buffer =>
  hmac(m, saltedPassword, 'Client Key')

export const serverKey = (m: ScramMechanism, saltedPassword: Buffer): Buffer =>
  hmac(m, saltedPassword, 'Server Key')

/** What the broker stores of a salted password (as Kafka's controller turns an upsertion into a record). */
export function credentialFromSaltedPassword(
  m: ScramMechanism,
  salt: Buffer,
  saltedPassword: Buffer,
  iterations: number
): ScramCredentialRecord {
  return {
    salt: Buffer.from(salt),
    storedKey: hash(m, clientKey(m, saltedPassword)),
    serverKey: serverKey(m, saltedPassword),
    iterations
  }
}

/** A credential for a password with a fresh random salt (or the given one). */
export async function generateScramCredential(
  m: ScramMechanism,
  password: string,
  iterations: number,
  salt: Buffer = randomBytes(32)
): Promise<ScramCredentialRecord> {
  const salted = await saltPassword(m, password, salt, iterations)
  return credentialFromSaltedPassword(m, salt, salted, iterations)
}
