/**
 * SASL/SCRAM-SHA-256 and SCRAM-SHA-512 (RFC 5802), the client side as Kafka's ScramSaslClient, on the key
 * derivations the server side uses (src/security/scram/scram-mechanism.ts):
 *
 *   client-first  "n,," + "n=<user>,r=<client nonce>"
 *   server-first  the combined nonce (which must start with ours), salt and iterations
 *   client-final  "c=biws,r=<combined nonce>,p=<ClientKey XOR HMAC(StoredKey, AuthMessage)>"
 *   server-final  "v=<HMAC(ServerKey, AuthMessage)>", checked in constant time: a server that does not
 *                 know our key cannot pretend to be a broker of the cluster
 *
 * Errors never name the password.
 */

import { randomBytes, timingSafeEqual } from 'node:crypto'
import {
  clientKey,
  hash,
  hmac,
  MAX_SCRAM_ITERATIONS,
  type ScramMechanism,
  saltPassword,
  serverKey
} from '../../scram/scram-mechanism.js'
import {
  encodeSaslName,
  parseServerFinalMessage,
  parseServerFirstMessage
} from '../../scram/scram-messages.js'
import type { SaslClient, SaslLogin } from './sasl-client.js'

const GS2_HEADER = 'n,,'

type State =
  | { readonly step: 'initial' }
  | { readonly step: 'server-first'; readonly clientNonce: string; readonly clientFirstBare: string }
  | { readonly step: 'server-final'; readonly expectedServerSignature: Buffer }
  | { readonly step: 'done' }

export class ScramSaslClient implements SaslClient {
  readonly mechanism: string
  private state: State = { step: 'initial' }

  constructor(
    private readonly scram: ScramMechanism,
    private readonly login: SaslLogin,
    private readonly clientNonce: () => string = () => randomBytes(24).toString('base64')
  ) {
    this.mechanism = scram.name
  }

  async initialResponse(): Promise<Buffer> {
    if (this.state.step !== 'initial') throw new Error(`${this.mechanism}: exchange already started`)
    const clientNonce = this.clientNonce()
    const clientFirstBare = `n=${encodeSaslName(this.login.username)},r=${clientNonce}`
    this.state = { step: 'server-first', clientNonce, clientFirstBare }
    return Buffer.from(GS2_HEADER + clientFirstBare, 'utf8')
  }

  async evaluateChallenge(challenge: Buffer): Promise<Buffer | null> {
    const state = this.state
    this.state = { step: 'done' }
    const message = challenge.toString('utf8')
    if (state.step === 'server-first') return this.clientFinal(state, message)
    if (state.step === 'server-final') {
      const final = parseServerFinalMessage(message)
      if ('error' in final) throw new Error(`${this.mechanism}: the server refused: ${final.error}`)
      const expected = state.expectedServerSignature
      if (final.signature.length !== expected.length || !timingSafeEqual(final.signature, expected)) {
        throw new Error(`${this.mechanism}: invalid server signature`)
      }
      return null
    }
    throw new Error(`${this.mechanism}: unexpected server message`)
  }

  private async clientFinal(
    state: Extract<State, { step: 'server-first' }>,
    serverFirst: string
  ): Promise<Buffer> {
    const m = this.scram
    const first = parseServerFirstMessage(serverFirst)
    if (!first.nonce.startsWith(state.clientNonce) || first.nonce.length === state.clientNonce.length) {
      throw new Error(`${this.mechanism}: the server nonce does not extend the client nonce`)
    }
    if (first.iterations < m.minIterations || first.iterations > MAX_SCRAM_ITERATIONS) {
      throw new Error(`${this.mechanism}: ${first.iterations} iterations are out of bounds`)
    }
    const salted = await saltPassword(m, this.login.password, first.salt, first.iterations)
    const withoutProof = `c=${Buffer.from(GS2_HEADER, 'utf8').toString('base64')},r=${first.nonce}`
    const authMessage = `${state.clientFirstBare},${serverFirst},${withoutProof}`
    const key = clientKey(m, salted)
    const signature = hmac(m, hash(m, key), authMessage)
    const proof = Buffer.alloc(m.keyLength)
    for (let i = 0; i < m.keyLength; i++) proof[i] = key[i]! ^ signature[i]!
    this.state = {
      step: 'server-final',
      expectedServerSignature: hmac(m, serverKey(m, salted), authMessage)
    }
    return Buffer.from(`${withoutProof},p=${proof.toString('base64')}`, 'utf8')
  }
}
