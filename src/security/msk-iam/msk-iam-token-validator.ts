/**
 * MSK IAM credentials as an OAUTHBEARER token: aws-msk-iam-sasl-signer-js (and its Python, Go and Java
 * siblings) presign kafka-cluster:Connect for the host `kafka.<region>.amazonaws.com` and hand clients
 * base64url(presigned URL) as the bearer token. This validator checks such a token with the same verifier
 * as AWS_MSK_IAM, for the OAUTHBEARER mechanism's pluggable token validation.
 */

import { parseMskIamToken } from './msk-iam-signed-request.js'
import type { MskIamHostCheck, MskIamVerifier } from './msk-iam-verifier.js'

export interface ValidatedToken {
  /** The principal's name: the access key's user (the principal is User:<principal>). */
  readonly principal: string
  /** How long the token stays valid from now, for the session lifetime (KIP-368). */
  readonly lifetimeMs: number
}

/** The host the signer libraries sign for: the regional MSK endpoint of the credential scope's region. */
export const signerLibraryHost: MskIamHostCheck = (host, region) => host === `kafka.${region}.amazonaws.com`

export class MskIamTokenValidator {
  constructor(
    private readonly verifier: MskIamVerifier,
    private readonly acceptsHost: MskIamHostCheck = signerLibraryHost,
    private readonly now: () => number = Date.now
  ) {}

  /** Rejects with a SaslAuthenticationError (a message safe to send to the client) when invalid. */
  async validate(token: string): Promise<ValidatedToken> {
    const identity = await this.verifier.verify(parseMskIamToken(token), this.acceptsHost)
    return { principal: identity.user, lifetimeMs: Math.max(1, identity.expiresAtMs - this.now()) }
  }
}
