/**
 * SASL/AWS_MSK_IAM, the mechanism of Amazon MSK's IAM access control, so that clients configured with the
 * MSK IAM plugins (aws-msk-iam-auth for Java, its kafkajs, librdkafka and Go ports) connect unchanged. The
 * client sends one message, a JSON object with a SigV4 presigned kafka-cluster:Connect request
 * (msk-iam-signed-request.ts); the server verifies it against the access keys Samsa holds
 * (msk-iam-verifier.ts) and answers with a JSON object of its own, `{"version":"2020_10_22","request-id":
 * ...}`, which the Java plugin requires to be non-empty. The principal is User:<the access key's user>; the
 * session lasts until the signature expires (KIP-368), so the client re-authenticates with a fresh one.
 */

import { randomUUID } from 'node:crypto'
import { ConfigError } from '../../config/config-error.js'
import type { JaasLoginModule } from '../jaas-config.js'
import type { AwsCredentialStore } from '../msk-iam/aws-credential-store.js'
import { MSK_IAM_VERSION, parseMskIamPayload } from '../msk-iam/msk-iam-signed-request.js'
import { type MskIamIdentity, MskIamVerifier } from '../msk-iam/msk-iam-verifier.js'
import {
  SaslAuthenticationError,
  type SaslServer,
  type SaslServerContext,
  type SaslServerFactory
} from './sasl-server.js'

export const AWS_MSK_IAM_MECHANISM = 'AWS_MSK_IAM'
/**
 * The login module the MSK IAM clients configure; a broker's JAAS entry names it too, with the server's own
 * options: `region` (accept only signatures for this region) and `acceptedHosts` (comma-separated hosts
 * accepted besides the listener's advertised host, e.g. a bootstrap or load-balancer name; `*` for any).
 * Client-side options (awsProfileName, awsRoleArn, ...) are ignored, so one entry can serve both sides.
 */
export const AWS_MSK_IAM_LOGIN_MODULE = 'software.amazon.msk.auth.iam.IAMLoginModule'

/** Whether `host` (lower case), which the client signed for, names this broker on the listener. */
export type MskIamListenerHostCheck = (host: string, ctx: SaslServerContext) => boolean

export interface AwsMskIamSaslServerOptions {
  readonly verifier: MskIamVerifier
  readonly acceptsHost: MskIamListenerHostCheck
  readonly now?: () => number
}

class AwsMskIamSaslServer implements SaslServer {
  private identity: MskIamIdentity | null = null
  private used = false

  constructor(
    private readonly options: AwsMskIamSaslServerOptions,
    private readonly ctx: SaslServerContext
  ) {}

  get complete(): boolean {
    return this.identity !== null
  }

  async evaluateResponse(token: Buffer): Promise<Buffer> {
    // One message, one answer: a second token (complete or after a failure) is a protocol error.
    if (this.used)
      throw new SaslAuthenticationError('Authentication failed: AWS_MSK_IAM exchange already used')
    this.used = true
    const request = parseMskIamPayload(token)
    this.identity = await this.options.verifier.verify(request, (host) =>
      this.options.acceptsHost(host, this.ctx)
    )
    return Buffer.from(JSON.stringify({ version: MSK_IAM_VERSION, 'request-id': randomUUID() }), 'utf8')
  }

  authorizationId(): string {
    if (this.identity === null) throw new Error('AWS_MSK_IAM authentication has not completed')
    return this.identity.user
  }

  sessionLifetimeMs(): number | undefined {
    if (this.identity === null) return undefined
    return Math.max(1, this.identity.expiresAtMs - (this.options.now ?? Date.now)())
  }
}

export function awsMskIamSaslServerFactory(options: AwsMskIamSaslServerOptions): SaslServerFactory {
  return { mechanism: AWS_MSK_IAM_MECHANISM, create: (ctx) => new AwsMskIamSaslServer(options, ctx) }
}

/**
 * The hosts a listener accepts: the host it advertises (what clients connect to after bootstrap), plus
 * configured ones (a bootstrap or load-balancer name); `*` accepts any host.
 */
export function listenerHostCheck(
  advertisedHost: (listenerName: string) => string | undefined,
  extraHosts: readonly string[]
): MskIamListenerHostCheck {
  const extra = new Set(extraHosts.map((h) => h.toLowerCase()))
  return (host, ctx) => {
    if (extra.has('*') || extra.has(host)) return true
    const advertised = advertisedHost(ctx.listenerName)
    return advertised !== undefined && advertised.toLowerCase() === host
  }
}

const NO_AWS_CREDENTIALS: AwsCredentialStore = { credential: () => undefined }

/** What the mechanism reads of the running broker (sasl-mechanisms.ts's SaslMechanismContext provides it). */
export interface AwsMskIamContext {
  readonly awsCredentials?: AwsCredentialStore
  readonly advertisedHost?: (listenerName: string) => string | undefined
}

/** The AWS_MSK_IAM factory of one listener, from its JAAS entry (parsed and checked by sasl-mechanisms.ts). */
export function awsMskIamSaslServerFactoryFor(
  jaas: JaasLoginModule,
  context: AwsMskIamContext,
  listener: string
): SaslServerFactory {
  const jaasKey = `listener.name.${listener.toLowerCase()}.aws_msk_iam.sasl.jaas.config`
  const region = jaas.options.get('region')
  if (region !== undefined && !/^[a-z0-9-]+$/.test(region)) {
    throw ConfigError.invalidValue(
      jaasKey,
      '[hidden]',
      'option region must be an AWS region name (eu-west-1)'
    )
  }
  const extraHosts = (jaas.options.get('acceptedHosts') ?? '')
    .split(',')
    .map((h) => h.trim())
    .filter((h) => h !== '')
  const verifier = new MskIamVerifier({
    credentials: context.awsCredentials ?? NO_AWS_CREDENTIALS,
    ...(region ? { region } : {})
  })
  const advertisedHost = context.advertisedHost ?? (() => undefined)
  return awsMskIamSaslServerFactory({ verifier, acceptsHost: listenerHostCheck(advertisedHost, extraHosts) })
}
