/**
 * MSK IAM tokens over SASL/OAUTHBEARER: what clients configured with aws-msk-iam-sasl-signer-js (or its
 * Python, Go and Java siblings, the Java one as aws-msk-iam-auth's IAMOAuthBearerLoginCallbackHandler) send
 * as the bearer token, a base64url SigV4 presigned kafka-cluster:Connect URL. A listener asks for it with
 * `listener.name.<l>.oauthbearer.sasl.server.callback.handler.class=` MSK_IAM_VALIDATOR_CLASS. aws-msk-iam-auth
 * ships only client-side handlers (Amazon validates these tokens inside MSK), so the class name is Samsa's own.
 *
 * The token is checked by MskIamTokenValidator against the access keys Samsa holds (`samsa iam`), exactly as
 * AWS_MSK_IAM checks its signed payload; this adapter only turns its rejections into the OAUTHBEARER
 * exchange's invalid_token answer.
 */

import { ConfigError } from '../../../config/config-error.js'
import type { AwsCredentialStore } from '../../msk-iam/aws-credential-store.js'
import { MskIamTokenValidator } from '../../msk-iam/msk-iam-token-validator.js'
import { MskIamVerifier } from '../../msk-iam/msk-iam-verifier.js'
import { SaslAuthenticationError } from '../sasl-server.js'
import {
  type OAuthBearerValidation,
  OAuthBearerValidationError,
  type OAuthBearerValidator
} from './oauthbearer-validator.js'

export const MSK_IAM_VALIDATOR_CLASS =
  'io.samsa.security.oauthbearer.MskIamOAuthBearerValidatorCallbackHandler'

const NO_AWS_CREDENTIALS: AwsCredentialStore = { credential: () => undefined }

export interface MskIamOAuthBearerOptions {
  /** The access keys; none known when absent, so every token is refused. */
  readonly credentials?: AwsCredentialStore
  /** The OAuthBearerLoginModule's `region` option: accept only tokens signed for this region. */
  readonly region?: string
  /** For errors: the key the JAAS entry came from. */
  readonly jaasKey: string
  readonly now?: () => number
}

/** Adapts MskIamTokenValidator to the OAuthBearerValidator contract (bad tokens as OAuthBearerValidationError). */
export class MskIamOAuthBearerValidator implements OAuthBearerValidator {
  constructor(private readonly tokens: MskIamTokenValidator) {}

  async validate(token: string): Promise<OAuthBearerValidation> {
    try {
      return await this.tokens.validate(token)
    } catch (err) {
      // The verifier's messages never carry the secret or the signature; they go to the broker's log only.
      if (err instanceof SaslAuthenticationError) throw new OAuthBearerValidationError(err.message)
      throw err
    }
  }
}

export function mskIamOAuthBearerValidator(options: MskIamOAuthBearerOptions): OAuthBearerValidator {
  const { region } = options
  if (region !== undefined && !/^[a-z0-9-]+$/.test(region)) {
    throw ConfigError.invalidValue(
      options.jaasKey,
      '[hidden]',
      'option region must be an AWS region name (eu-west-1)'
    )
  }
  const verifier = new MskIamVerifier({
    credentials: options.credentials ?? NO_AWS_CREDENTIALS,
    ...(region ? { region } : {}),
    ...(options.now ? { now: options.now } : {})
  })
  return new MskIamOAuthBearerValidator(new MskIamTokenValidator(verifier, undefined, options.now))
}
