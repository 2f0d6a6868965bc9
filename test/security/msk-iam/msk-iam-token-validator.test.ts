import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { generateAuthToken } from 'aws-msk-iam-sasl-signer-js'
import { MskIamTokenValidator } from '../../../src/security/msk-iam/msk-iam-token-validator.js'
import { MskIamVerifier } from '../../../src/security/msk-iam/msk-iam-verifier.js'
import { SaslAuthenticationError } from '../../../src/security/sasl/sasl-server.js'
import { ALICE_KEY_ID, ALICE_SECRET, aliceStore } from './msk-iam-signing.js'

/**
 * A token from aws-msk-iam-sasl-signer-js's default entry point, with static credentials in the environment:
 * the default provider chain takes them from there first, so nothing reaches the network (no instance
 * metadata, no STS: awsDebugCreds is off).
 */
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

const validator = (now?: () => number) =>
  new MskIamTokenValidator(new MskIamVerifier({ credentials: aliceStore(), now }), undefined, now)

async function rejects(token: string, message: RegExp, v = validator()): Promise<void> {
  await assert.rejects(v.validate(token), (err: unknown) => {
    assert.ok(err instanceof SaslAuthenticationError, String(err))
    assert.match(err.message, message)
    return true
  })
}

describe('MskIamTokenValidator', () => {
  it('validates a token of aws-msk-iam-sasl-signer-js: the key user, lifetime to the token expiry', async () => {
    const { token, expiryTime } = await signerToken()
    const now = Date.now()
    const result = await validator(() => now).validate(token)
    assert.equal(result.principal, 'alice')
    assert.equal(result.lifetimeMs, expiryTime - now)
    assert.ok(result.lifetimeMs > 800_000 && result.lifetimeMs <= 900_000, String(result.lifetimeMs))
  })

  it('rejects the token once expired, and with a wrong secret or an unknown key', async () => {
    const { token, expiryTime } = await signerToken()
    await rejects(
      token,
      /expired at/,
      validator(() => expiryTime)
    )
    const wrongSecret = new MskIamTokenValidator(
      new MskIamVerifier({
        credentials: { credential: () => ({ user: 'alice', secretAccessKey: 'another secret' }) }
      })
    )
    await rejects(token, /invalid access key id or signature/, wrongSecret)
    const noKeys = new MskIamTokenValidator(
      new MskIamVerifier({ credentials: { credential: () => undefined } })
    )
    await rejects(token, /invalid access key id or signature/, noKeys)
  })

  it('rejects a tampered URL, another host, and what is not a presigned URL', async () => {
    const { token } = await signerToken()
    const url = new URL(Buffer.from(token, 'base64url').toString('utf8'))
    const reencode = (u: URL) => Buffer.from(u.toString(), 'utf8').toString('base64url')

    const longer = new URL(url)
    longer.searchParams.set('X-Amz-Expires', '3600')
    await rejects(reencode(longer), /invalid access key id or signature/)

    const otherRegionHost = new URL(url)
    otherRegionHost.hostname = 'kafka.us-east-1.amazonaws.com'
    await rejects(reencode(otherRegionHost), /host kafka.us-east-1.amazonaws.com/)

    const extra = new URL(url)
    extra.searchParams.append('X-Amz-Extra', '1')
    await rejects(reencode(extra), /unexpected query parameter X-Amz-Extra/)

    // The signer appends User-Agent after signing; it is not part of the signature.
    const agent = new URL(url)
    agent.searchParams.set('User-Agent', 'another-agent')
    assert.equal((await validator().validate(reencode(agent))).principal, 'alice')

    await rejects('eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJhbGljZSJ9.c2ln', /not base64url/)
    await rejects(
      Buffer.from('http://kafka.eu-west-1.amazonaws.com/').toString('base64url'),
      /not an https URL/
    )
  })
})
