import { randomBytes } from 'node:crypto'

/**
 * Kafka's Uuid (topic ids, cluster ids, directory ids) in its string form: 16 bytes as unpadded base64url.
 * The zero and one uuids are reserved (no id / the metadata topic) and ids whose text starts with '-' are
 * avoided because command-line tools would read them as flags, as Kafka's Uuid.randomUuid does.
 */
export const ZERO_UUID = 'AAAAAAAAAAAAAAAAAAAAAA'
export const ONE_UUID = 'AAAAAAAAAAAAAAAAAAAAAQ'

const RESERVED: ReadonlySet<string> = new Set([ZERO_UUID, ONE_UUID])

export function uuidToString(bytes: Buffer): string {
  if (bytes.length !== 16) throw new RangeError(`a Kafka uuid is 16 bytes, got ${bytes.length}`)
  return bytes.toString('base64url')
}

/** Strict parse: rejects anything that does not round-trip to the same 22 characters. */
export function uuidFromString(text: string): Buffer {
  const bytes = Buffer.from(text, 'base64url')
  if (bytes.length !== 16 || bytes.toString('base64url') !== text) {
    throw new RangeError(`'${text}' is not a base64url-encoded 16-byte Kafka uuid`)
  }
  return bytes
}

export function isValidUuid(text: string): boolean {
  try {
    uuidFromString(text)
    return true
  } catch {
    return false
  }
}

export function isReservedUuid(text: string): boolean {
  return RESERVED.has(text)
}

/** A random version-4 uuid that is never reserved and never starts with '-'. */
export function randomUuid(): string {
  for (;;) {
    const bytes = randomBytes(16)
    bytes[6] = (bytes[6]! & 0x0f) | 0x40
    bytes[8] = (bytes[8]! & 0x3f) | 0x80
    const text = bytes.toString('base64url')
    if (!RESERVED.has(text) && !text.startsWith('-')) return text
  }
}
