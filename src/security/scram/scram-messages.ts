/**
 * The SCRAM messages of RFC 5802 section 7 as the server reads and writes them. Parsing failures are plain
 * Errors; the SASL server turns them into an authentication failure that tells the client nothing more.
 */

export interface ClientFirstMessage {
  /** The gs2 header as sent ("n,," or "y,," with an optional "a=authzid"); c= in client-final must encode it. */
  readonly gs2Header: string
  /** The authorization id, decoded; "" when absent. */
  readonly authorizationId: string
  /** The user name, decoded from its saslname form. */
  readonly username: string
  readonly nonce: string
  /** Extensions after the nonce (Kafka's are key=value, e.g. tokenauth=true). */
  readonly extensions: ReadonlyMap<string, string>
  /** client-first-message-bare, part of the AuthMessage. */
  readonly bare: string
}

export interface ClientFinalMessage {
  readonly channelBinding: string
  readonly nonce: string
  readonly proof: Buffer
  /** client-final-message-without-proof, part of the AuthMessage. */
  readonly withoutProof: string
}

/** value-safe printable characters of a nonce: %x21-2B / %x2D-7E (no comma). */
const NONCE = /^[\x21-\x2b\x2d-\x7e]+$/
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/

/** saslname of RFC 5802: ',' and '=' travel as '=2C' and '=3D'; any other '=' fails the exchange. */
export function decodeSaslName(saslName: string): string {
  if (/=(?!2C|3D)/.test(saslName)) throw new Error('invalid saslname encoding')
  return saslName.replace(/=2C/g, ',').replace(/=3D/g, '=')
}

export function encodeSaslName(name: string): string {
  return name.replace(/=/g, '=3D').replace(/,/g, '=2C')
}

export function parseClientFirstMessage(message: string): ClientFirstMessage {
  const match = /^([ny]),(?:a=([^,]*))?,(.*)$/s.exec(message)
  if (!match) {
    // 'p=' asks for channel binding, which Kafka does not offer (no -PLUS mechanisms).
    throw new Error('invalid gs2 header or channel binding requested')
  }
  const [, flag, authzid, bare] = match as unknown as [string, string, string | undefined, string]
  const attributes = bare.split(',')
  const [user, nonce, ...rest] = attributes
  if (!user?.startsWith('n=') || !nonce?.startsWith('r=')) {
    // 'm=' (reserved mandatory extension) lands here too, as the RFC requires it to fail.
    throw new Error('client-first-message-bare must start with n= and r=')
  }
  const username = decodeSaslName(user.slice(2))
  if (username === '') throw new Error('empty user name')
  const clientNonce = nonce.slice(2)
  if (!NONCE.test(clientNonce)) throw new Error('invalid client nonce')
  const extensions = new Map<string, string>()
  for (const attribute of rest) {
    const eq = attribute.indexOf('=')
    if (eq <= 0) throw new Error('invalid extension')
    extensions.set(attribute.slice(0, eq), attribute.slice(eq + 1))
  }
  return {
    gs2Header: `${flag},${authzid === undefined ? '' : `a=${authzid}`},`,
    authorizationId: authzid === undefined ? '' : decodeSaslName(authzid),
    username,
    nonce: clientNonce,
    extensions,
    bare
  }
}

export function formatServerFirstMessage(nonce: string, salt: Buffer, iterations: number): string {
  return `r=${nonce},s=${salt.toString('base64')},i=${iterations}`
}

export function parseClientFinalMessage(message: string): ClientFinalMessage {
  const proofAt = message.lastIndexOf(',p=')
  if (proofAt < 0) throw new Error('client-final-message has no proof')
  const withoutProof = message.slice(0, proofAt)
  const proof = message.slice(proofAt + 3)
  if (!BASE64.test(proof) || proof === '') throw new Error('client proof is not base64')
  const [binding, nonce] = withoutProof.split(',')
  if (!binding?.startsWith('c=') || !nonce?.startsWith('r=')) {
    throw new Error('client-final-message must start with c= and r=')
  }
  return {
    channelBinding: binding.slice(2),
    nonce: nonce.slice(2),
    proof: Buffer.from(proof, 'base64'),
    withoutProof
  }
}

export function formatServerFinalMessage(serverSignature: Buffer): string {
  return `v=${serverSignature.toString('base64')}`
}

/** server-first-message as a client reads it: the combined nonce, the salt and the iteration count. */
export interface ServerFirstMessage {
  readonly nonce: string
  readonly salt: Buffer
  readonly iterations: number
}

export function parseServerFirstMessage(message: string): ServerFirstMessage {
  const match = /^(?:m=[^,]*,)?r=([^,]+),s=([^,]+),i=(\d+)(?:,.*)?$/s.exec(message)
  if (!match) throw new Error('invalid server-first-message')
  const [, nonce, salt, iterations] = match as unknown as [string, string, string, string]
  if (!NONCE.test(nonce)) throw new Error('invalid server nonce')
  if (!BASE64.test(salt)) throw new Error('server salt is not base64')
  return { nonce, salt: Buffer.from(salt, 'base64'), iterations: Number(iterations) }
}

/** server-final-message: the server signature, or the server's error (`e=`). */
export function parseServerFinalMessage(message: string): { signature: Buffer } | { error: string } {
  if (message.startsWith('e=')) return { error: message.slice(2) }
  const match = /^v=([A-Za-z0-9+/=]+)(?:,.*)?$/s.exec(message)
  if (!match || !BASE64.test(match[1]!)) throw new Error('invalid server-final-message')
  return { signature: Buffer.from(match[1]!, 'base64') }
}
