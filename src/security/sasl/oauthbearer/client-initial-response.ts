/**
 * The OAUTHBEARER client's first message (RFC 7628 section 3.1) as Kafka parses it:
 * `n,[a=<authzid>],\x01auth=Bearer <token>\x01[<key>=<value>\x01]*\x01`. Anything else is not an OAUTHBEARER
 * message. Extensions (KIP-342) are key/value pairs besides `auth`.
 */

const SEPARATOR = '\u0001'
// A saslname: ASCII 0x01-0x7F except "=" and ",", which travel as "=2C" and "=3D".
const SASLNAME = '(?:[\\x01-\\x2B\\x2D-\\x3C\\x3E-\\x7F]|=2C|=3D)+'
const KEY = '[A-Za-z]+'
const VALUE = '[\\x21-\\x7E \\t\\r\\n]+'
const KVPAIRS = `(?:${KEY}=${VALUE}${SEPARATOR})*`
const MESSAGE = new RegExp(`^n,(?:a=(${SASLNAME}))?,${SEPARATOR}(${KVPAIRS})${SEPARATOR}$`)
const AUTH = /^(\w+) +([-_.a-zA-Z0-9]+)$/
const EXTENSION_KEY = new RegExp(`^${KEY}$`)
const EXTENSION_VALUE = new RegExp(`^${VALUE}$`)
const AUTH_KEY = 'auth'

export interface ClientInitialResponse {
  /** As sent (still escaped); empty when the client named none. */
  readonly authorizationId: string
  readonly token: string
  readonly extensions: ReadonlyMap<string, string>
}

export class InvalidClientInitialResponse extends Error {
  override readonly name = 'InvalidClientInitialResponse'
}

export function parseClientInitialResponse(bytes: Buffer): ClientInitialResponse {
  const match = MESSAGE.exec(bytes.toString('utf8'))
  if (!match) throw new InvalidClientInitialResponse('Invalid OAUTHBEARER client first message')
  const pairs = new Map<string, string>()
  for (const pair of (match[2] ?? '').split(SEPARATOR)) {
    if (pair === '') continue
    const eq = pair.indexOf('=')
    pairs.set(pair.slice(0, eq), pair.slice(eq + 1))
  }
  const auth = pairs.get(AUTH_KEY)
  if (auth === undefined) {
    throw new InvalidClientInitialResponse("Invalid OAUTHBEARER client first message: 'auth' not specified")
  }
  pairs.delete(AUTH_KEY)
  for (const [key, value] of pairs) {
    if (!EXTENSION_KEY.test(key) || !EXTENSION_VALUE.test(value)) {
      throw new InvalidClientInitialResponse(`Extension ${key} is invalid`)
    }
  }
  const authMatch = AUTH.exec(auth)
  if (!authMatch) {
    throw new InvalidClientInitialResponse("Invalid OAUTHBEARER client first message: invalid 'auth' format")
  }
  if (authMatch[1]!.toLowerCase() !== 'bearer') {
    throw new InvalidClientInitialResponse(
      `Invalid scheme in OAUTHBEARER client first message: ${authMatch[1]}`
    )
  }
  return { authorizationId: match[1] ?? '', token: authMatch[2]!, extensions: pairs }
}
