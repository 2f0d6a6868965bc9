/**
 * MSK IAM tokens as OAUTHBEARER bearer tokens: the listener configuration that asks for them, the exchange with
 * tokens from aws-msk-iam-sasl-signer-js (static credentials from the environment, no network), and the
 * adapter that turns the MSK IAM verifier's refusals into OAUTHBEARER's invalid_token.
 */

import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { generateAuthToken } from 'aws-msk-iam-sasl-signer-js'
import { ConfigError } from '../../../src/config/config-error.js'
import { KafkaConfig } from '../../../src/config/kafka-config.js'
import {
  MSK_IAM_VALIDATOR_CLASS,
  mskIamOAuthBearerValidator
} from '../../../src/security/sasl/oauthbearer/msk-iam-oauthbearer-validator.js'
import { OAuthBearerValidationError } from '../../../src/security/sasl/oauthbearer/oauthbearer-validator.js'
import {
  anyListenerUsesAwsCredentials,
  saslServerFactories
} from '../../../src/security/sasl/sasl-mechanisms.js'
import { SaslAuthenticationError } from '../../../src/security/sasl/sasl-server.js'
import { ALICE_KEY_ID, ALICE_SECRET, aliceStore } from '../msk-iam/msk-iam-signing.js'

const LOGIN_MODULE = 'org.apache.kafka.common.security.oauthbearer.OAuthBearerLoginModule'
const INVALID_TOKEN = '{"status":"invalid_token"}'

async function signerToken(region = 'eu-west-1'): Promise<{ token: string; expiryTime: number }> {
  const saved = { ...process.env }
  process.env.AWS_ACCESS_KEY_ID = ALICE_KEY_ID
  process.env.AWS_SECRET_ACCESS_KEY = ALICE_SECRET
  delete process.env.AWS_SESSION_TOKEN
  delete process.env.AWS_PROFILE
  process.env.AWS_EC2_METADATA_DISABLED = 'true'
  try {
    return await generateAuthToken({ region })
  } finally {
    for (const key of Object.keys(process.env)) if (!(key in saved)) delete process.env[key]
    Object.assign(process.env, saved)
  }
}

function config(props: Record<string, string>): KafkaConfig {
  return new KafkaConfig(
    new Map(
      Object.entries({
        listeners: 'PLAINTEXT://127.0.0.1:0,SASL_PLAINTEXT://127.0.0.1:0',
        'sasl.enabled.mechanisms': 'OAUTHBEARER',
        'sasl.jaas.config': `${LOGIN_MODULE} required region="eu-west-1";`,
        'listener.name.sasl_plaintext.oauthbearer.sasl.server.callback.handler.class':
          MSK_IAM_VALIDATOR_CLASS,
        ...props
      })
    )
  )
}

/** The exchange as a Kafka client runs it: a principal and lifetime, or the challenge and the final error. */
async function authenticate(token: string) {
  const factory = saslServerFactories(config({}), 'SASL_PLAINTEXT', { awsCredentials: aliceStore() }).get(
    'OAUTHBEARER'
  )
  assert.ok(factory)
  const server = factory.create({ listenerName: 'SASL_PLAINTEXT', clientAddress: '127.0.0.1' })
  const challenge = await server.evaluateResponse(Buffer.from(`n,,\u0001auth=Bearer ${token}\u0001\u0001`))
  if (server.complete)
    return { principal: server.authorizationId(), lifetimeMs: server.sessionLifetimeMs?.() }
  const err = await server.evaluateResponse(Buffer.from([0x01])).then(
    () => assert.fail('the acknowledgement of an error challenge must fail the exchange'),
    (e: unknown) => e
  )
  assert.ok(err instanceof SaslAuthenticationError)
  return { challenge: challenge.toString('utf8'), error: err.message }
}

function tamper(token: string): string {
  const url = new URL(Buffer.from(token, 'base64url').toString('utf8'))
  const signature = url.searchParams.get('X-Amz-Signature') ?? ''
  url.searchParams.set('X-Amz-Signature', (signature[0] === 'a' ? 'b' : 'a') + signature.slice(1))
  return Buffer.from(url.toString(), 'utf8').toString('base64url')
}

describe('MSK IAM tokens over OAUTHBEARER', () => {
  it('authenticates a signer token as the access key user, for as long as the token lasts', async () => {
    const { token, expiryTime } = await signerToken()
    const result = await authenticate(token)
    assert.equal(result.principal, 'alice')
    assert.ok(Math.abs((result.lifetimeMs ?? 0) - (expiryTime - Date.now())) < 5000, `${result.lifetimeMs}`)
  })

  it('answers a tampered token, another region and garbage with the invalid_token challenge', async () => {
    const { token } = await signerToken()
    for (const bad of [
      tamper(token),
      (await signerToken('us-east-1')).token,
      Buffer.from('https://example.com/?a=b').toString('base64url')
    ]) {
      assert.deepEqual(await authenticate(bad), { challenge: INVALID_TOKEN, error: INVALID_TOKEN })
    }
  })

  it("keeps the verifier's reason on the OAuthBearerValidationError for the broker's log", async () => {
    const validator = mskIamOAuthBearerValidator({ credentials: aliceStore(), jaasKey: 'sasl.jaas.config' })
    const { token } = await signerToken()
    await assert.rejects(validator.validate(tamper(token)), (err: unknown) => {
      assert.ok(err instanceof OAuthBearerValidationError, String(err))
      assert.equal(err.status, 'invalid_token')
      assert.match(err.message, /invalid access key id or signature/)
      return true
    })
    // Without the broker's keys every token is refused.
    const keyless = mskIamOAuthBearerValidator({ jaasKey: 'sasl.jaas.config' })
    await assert.rejects(keyless.validate(token), OAuthBearerValidationError)
  })

  it('makes the broker follow its AWS access keys only when a listener asks for the MSK IAM validator', () => {
    assert.equal(anyListenerUsesAwsCredentials(config({})), true)
    const jwks = config({
      'listener.name.sasl_plaintext.oauthbearer.sasl.server.callback.handler.class':
        'org.apache.kafka.common.security.oauthbearer.internals.unsecured.OAuthBearerUnsecuredValidatorCallbackHandler'
    })
    assert.equal(anyListenerUsesAwsCredentials(jwks), false)
  })

  it('stops the broker on a region option that is not a region name', () => {
    assert.throws(
      () =>
        saslServerFactories(
          config({ 'sasl.jaas.config': `${LOGIN_MODULE} required region="EU WEST";` }),
          'SASL_PLAINTEXT'
        ),
      (err: unknown) => err instanceof ConfigError && /region must be an AWS region name/.test(err.message)
    )
  })
})
