import { ErrorCode } from '../protocol/error-codes.js'
import {
  SaslAuthenticateApi,
  type SaslAuthenticateRequest,
  type SaslAuthenticateResponse
} from '../protocol/messages/sasl-authenticate.js'
import {
  SaslHandshakeApi,
  type SaslHandshakeRequest,
  type SaslHandshakeResponse
} from '../protocol/messages/sasl-handshake.js'
import type { SaslClient } from './broker-channel-security.js'

/** v1: the tokens travel in SaslAuthenticate requests (KIP-152), not as raw bytes. */
const SASL_HANDSHAKE_VERSION = 1
/** v1 answers with session_lifetime_ms (KIP-368). */
const SASL_AUTHENTICATE_VERSION = 1

/** Sends one request on the connection being authenticated and resolves with the decoded response. */
export type AuthenticationExchange = (apiKey: number, apiVersion: number, body: unknown) => Promise<unknown>

/**
 * Authenticates a fresh connection as Kafka's SaslClientAuthenticator does with a broker of today:
 * SaslHandshake v1 naming the mechanism, then the mechanism's tokens in SaslAuthenticate v1 requests until
 * the client is satisfied. Resolves with the session lifetime the server granted (0: no expiry). Failures
 * carry the server's error message, never a credential.
 */
export async function authenticateSasl(
  client: SaslClient,
  exchange: AuthenticationExchange
): Promise<number> {
  const handshake = (await exchange(SaslHandshakeApi.apiKey, SASL_HANDSHAKE_VERSION, {
    mechanism: client.mechanism
  } satisfies SaslHandshakeRequest)) as SaslHandshakeResponse
  if (handshake.errorCode !== ErrorCode.NONE) {
    throw new Error(
      `SASL mechanism ${client.mechanism} is not enabled on the peer's listener (it offers [${handshake.mechanisms.join(', ')}])`
    )
  }
  let token: Buffer | null = await client.initialResponse()
  let lifetimeMs = 0
  while (token !== null) {
    const response = (await exchange(SaslAuthenticateApi.apiKey, SASL_AUTHENTICATE_VERSION, {
      authBytes: token
    } satisfies SaslAuthenticateRequest)) as SaslAuthenticateResponse
    if (response.errorCode !== ErrorCode.NONE) {
      throw new Error(
        `SASL/${client.mechanism} authentication failed: ${response.errorMessage ?? `error ${response.errorCode}`}`
      )
    }
    lifetimeMs = Number(response.sessionLifetimeMs ?? 0n)
    token = await client.evaluateChallenge(response.authBytes)
  }
  return lifetimeMs
}
