/**
 * SASL/SCRAM-SHA-256 and SCRAM-SHA-512 (RFC 5802, RFC 7677), the server side as Kafka's ScramSaslServer:
 *
 *   client-first  gs2 header ("n" or "y", no channel binding) with an optional authzid, user name and nonce
 *   server-first  the combined nonce, the user's salt and iteration count
 *   client-final  channel binding (base64 of the gs2 header: "biws" for "n,,"), the nonce and the proof
 *   server-final  the server signature, once the proof matches the stored key
 *
 * Every failure is the same SaslAuthenticationError with Kafka's generic message, except an authzid that is
 * not the user name, which Kafka names. The reason travels only as the error's cause, for the broker's log.
 * An unknown user gets a made-up salt and fails at client-final like a wrong password, so the exchange does
 * not tell which users exist. Delegation tokens (Kafka's `tokenauth` extension) are not supported.
 */

import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto'
import type { ScramCredentialRecord } from '../../cluster/metadata-store.js'
import type { ScramCredentialStore } from '../scram/scram-credential-cache.js'
import { hash, hmac, type ScramMechanism } from '../scram/scram-mechanism.js'
import {
  type ClientFirstMessage,
  formatServerFinalMessage,
  formatServerFirstMessage,
  parseClientFinalMessage,
  parseClientFirstMessage
} from '../scram/scram-messages.js'
import { SaslAuthenticationError, type SaslServer, type SaslServerFactory } from './sasl-server.js'

/** Salts for unknown users derive from this, so one unknown name always gets the same salt from a broker. */
const UNKNOWN_USER_SALT_KEY = randomBytes(32)

type State =
  | { readonly step: 'client-first' }
  | {
      readonly step: 'client-final'
      readonly clientFirst: ClientFirstMessage
      readonly serverFirst: string
      readonly nonce: string
      readonly credential: ScramCredentialRecord | undefined
    }
  | { readonly step: 'complete'; readonly username: string }
  | { readonly step: 'failed' }

class ScramSaslServer implements SaslServer {
  private state: State = { step: 'client-first' }

  constructor(
    private readonly mechanism: ScramMechanism,
    private readonly credentials: ScramCredentialStore,
    private readonly serverNonce: () => string
  ) {}

  get complete(): boolean {
    return this.state.step === 'complete'
  }

  async evaluateResponse(token: Buffer): Promise<Buffer> {
    const state = this.state
    // Whatever happens next, this step is used up: a failed or replayed message never gets a second try.
    this.state = { step: 'failed' }
    switch (state.step) {
      case 'client-first':
        return this.receiveClientFirst(token)
      case 'client-final':
        return this.receiveClientFinal(token, state)
      default:
        throw this.failure(`unexpected message in state ${state.step}`)
    }
  }

  authorizationId(): string {
    if (this.state.step !== 'complete')
      throw new Error(`${this.mechanism.name} authentication has not completed`)
    return this.state.username
  }

  private receiveClientFirst(token: Buffer): Buffer {
    let clientFirst: ClientFirstMessage
    try {
      clientFirst = parseClientFirstMessage(token.toString('utf8'))
    } catch (err) {
      throw this.failure((err as Error).message)
    }
    if (clientFirst.extensions.get('tokenauth')?.toLowerCase() === 'true') {
      throw this.failure('delegation tokens are not supported')
    }
    if (clientFirst.extensions.size > 0) {
      throw this.failure(`unsupported extensions: ${[...clientFirst.extensions.keys()].join(', ')}`)
    }
    if (clientFirst.authorizationId !== '' && clientFirst.authorizationId !== clientFirst.username) {
      throw new SaslAuthenticationError(
        'Authentication failed: Client requested an authorization id that is different from username'
      )
    }
    const credential = this.credentials.credential(clientFirst.username, this.mechanism.name)
    if (credential && credential.iterations < this.mechanism.minIterations) {
      throw this.failure(`stored credential has fewer than ${this.mechanism.minIterations} iterations`)
    }
    const nonce = clientFirst.nonce + this.serverNonce()
    const salt = credential?.salt ?? this.unknownUserSalt(clientFirst.username)
    const iterations = credential?.iterations ?? this.mechanism.minIterations
    const serverFirst = formatServerFirstMessage(nonce, salt, iterations)
    this.state = { step: 'client-final', clientFirst, serverFirst, nonce, credential }
    return Buffer.from(serverFirst, 'utf8')
  }

  private receiveClientFinal(token: Buffer, state: Extract<State, { step: 'client-final' }>): Buffer {
    const m = this.mechanism
    let clientFinal: ReturnType<typeof parseClientFinalMessage>
    try {
      clientFinal = parseClientFinalMessage(token.toString('utf8'))
    } catch (err) {
      throw this.failure((err as Error).message)
    }
    // librdkafka sends its own nonce again in front of the combined one ("r=" + cnonce + cnonce + snonce), and
    // Kafka, accepting any nonce that ends with the combined one, lets it; this accepts that form only.
    const nonce = clientFinal.nonce
    if (nonce !== state.nonce && nonce !== state.clientFirst.nonce + state.nonce) {
      throw this.failure('invalid nonce in the final client message')
    }
    const expectedBinding = Buffer.from(state.clientFirst.gs2Header, 'utf8').toString('base64')
    if (clientFinal.channelBinding !== expectedBinding) throw this.failure('invalid channel binding')
    // An unknown user's proof is checked against a made-up key, so the answer takes as long as for a known one.
    const credential = state.credential ?? this.madeUpCredential()
    const authMessage = `${state.clientFirst.bare},${state.serverFirst},${clientFinal.withoutProof}`
    if (clientFinal.proof.length !== m.keyLength) throw this.failure('invalid client proof')
    const clientSignature = hmac(m, credential.storedKey, authMessage)
    const clientKey = Buffer.alloc(m.keyLength)
    for (let i = 0; i < m.keyLength; i++) clientKey[i] = clientFinal.proof[i]! ^ clientSignature[i]!
    // Constant time: how much of the proof was right must not show in the time the answer takes.
    const stored = credential.storedKey
    const computed = hash(m, clientKey)
    const matches = stored.length === computed.length && timingSafeEqual(stored, computed)
    if (!state.credential) throw this.failure('unknown user')
    if (!matches) throw this.failure('invalid client proof')
    this.state = { step: 'complete', username: state.clientFirst.username }
    return Buffer.from(formatServerFinalMessage(hmac(m, credential.serverKey, authMessage)), 'utf8')
  }

  private madeUpCredential(): ScramCredentialRecord {
    const key = randomBytes(this.mechanism.keyLength)
    return { salt: key, storedKey: key, serverKey: key, iterations: this.mechanism.minIterations }
  }

  private unknownUserSalt(username: string): Buffer {
    return createHmac('sha256', UNKNOWN_USER_SALT_KEY).update(this.mechanism.name).update(username).digest()
  }

  private failure(reason: string): SaslAuthenticationError {
    this.state = { step: 'failed' }
    return new SaslAuthenticationError(
      `Authentication failed during authentication due to invalid credentials with SASL mechanism ${this.mechanism.name}`,
      { cause: new Error(reason) }
    )
  }
}

export interface ScramSaslServerOptions {
  /** The server's part of the nonce; random by default (tests replay RFC 7677's exchange with a fixed one). */
  readonly serverNonce?: () => string
}

const randomNonce = (): string => randomBytes(24).toString('base64')

/** The factory of one SCRAM mechanism, reading credentials from the broker's credential cache. */
export function scramSaslServerFactory(
  mechanism: ScramMechanism,
  credentials: ScramCredentialStore,
  options: ScramSaslServerOptions = {}
): SaslServerFactory {
  const serverNonce = options.serverNonce ?? randomNonce
  return { mechanism: mechanism.name, create: () => new ScramSaslServer(mechanism, credentials, serverNonce) }
}
