/**
 * Test kit: kafkajs's own SCRAM client (node_modules/kafkajs/src/broker/saslAuthenticator/scram.js), an
 * implementation independent of Samsa's, driven directly against a SaslServer instead of a broker connection.
 */

import { createRequire } from 'node:module'
import type { SaslServer } from '../../src/security/sasl/sasl-server.js'
import { SCRAM_SHA_256, type ScramMechanism } from '../../src/security/scram/scram-mechanism.js'

interface KafkajsExchange {
  request: { encode(): Promise<Buffer> }
  response: { decode(raw: Buffer): Promise<Buffer>; parse(data: Buffer): Promise<unknown> }
}

const require = createRequire(import.meta.url)
// SCRAM(sasl, host, port, logger, saslAuthenticate, digest).authenticate()
const { SCRAM, DIGESTS } = require('kafkajs/src/broker/saslAuthenticator/scram.js') as {
  SCRAM: new (
    sasl: { username: string; password: string },
    host: string,
    port: number,
    logger: unknown,
    saslAuthenticate: (exchange: KafkajsExchange) => Promise<unknown>,
    digest: unknown
  ) => { authenticate(): Promise<void> }
  DIGESTS: { SHA256: unknown; SHA512: unknown }
}

const quietLogger = { debug: () => undefined, error: () => undefined, info: () => undefined }

/**
 * Runs kafkajs's client against `server`, recording each client token in `tokens` (so tests can replay
 * them). Resolves when kafkajs accepts the server signature; rejects with the server's error, or kafkajs's.
 */
export async function kafkajsScramExchange(
  m: ScramMechanism,
  server: SaslServer,
  username: string,
  password: string,
  tokens: Buffer[] = []
): Promise<void> {
  const digest = m === SCRAM_SHA_256 ? DIGESTS.SHA256 : DIGESTS.SHA512
  let serverError: unknown
  const saslAuthenticate = async ({ request, response }: KafkajsExchange) => {
    const token = (await request.encode()).subarray(4) // Kafka BYTES: a length, then the token
    tokens.push(token)
    let challenge: Buffer
    try {
      challenge = await server.evaluateResponse(token)
    } catch (err) {
      serverError = err
      throw err
    }
    const framed = Buffer.alloc(4 + challenge.length)
    framed.writeInt32BE(challenge.length, 0)
    challenge.copy(framed, 4)
    return response.parse(await response.decode(framed))
  }
  const client = new SCRAM({ username, password }, 'localhost', 9092, quietLogger, saslAuthenticate, digest)
  try {
    await client.authenticate()
  } catch (err) {
    throw serverError ?? err
  }
}
