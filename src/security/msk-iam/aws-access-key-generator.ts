/**
 * New access keys in AWS's own shapes, so client tooling that checks them (or a human reading them) sees
 * what it expects: an id of "AKIA" and 16 base32 characters, a 40-character secret, both from the CSPRNG.
 */

import { randomBytes } from 'node:crypto'
import type { AwsAccessKey } from '../../cluster/metadata-store.js'

const BASE32 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567'
/** IAM's user names: 1 to 64 of letters, digits and +=,.@_- */
const USER_NAME = /^[\w+=,.@-]{1,64}$/

export function isValidAwsUserName(user: string): boolean {
  return USER_NAME.test(user)
}

export function newAwsAccessKey(user: string, nowMs: number = Date.now()): AwsAccessKey {
  if (!isValidAwsUserName(user)) {
    throw new Error(`invalid user name ${JSON.stringify(user)}: 1 to 64 of letters, digits and +=,.@_-`)
  }
  // 10 random bytes are exactly 16 base32 characters (5 bits each).
  const bytes = randomBytes(10)
  let bits = 0
  let value = 0
  let id = 'AKIA'
  for (const byte of bytes) {
    value = (value << 8) | byte
    bits += 8
    while (bits >= 5) {
      id += BASE32[(value >>> (bits - 5)) & 31]
      bits -= 5
    }
  }
  return {
    accessKeyId: id,
    user,
    // 30 bytes are 40 base64 characters, AWS's secret length.
    secretAccessKey: randomBytes(30).toString('base64'),
    createdMs: nowMs
  }
}
