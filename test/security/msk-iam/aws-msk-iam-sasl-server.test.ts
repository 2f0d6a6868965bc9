import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { createMechanism } from '@jm18457/kafkajs-msk-iam-authentication-mechanism'
import { MskIamVerifier } from '../../../src/security/msk-iam/msk-iam-verifier.js'
import {
  AWS_MSK_IAM_MECHANISM,
  awsMskIamSaslServerFactory,
  listenerHostCheck
} from '../../../src/security/sasl/aws-msk-iam-sasl-server.js'
import { SaslAuthenticationError, type SaslServer } from '../../../src/security/sasl/sasl-server.js'
import {
  ALICE_KEY_ID,
  ALICE_SECRET,
  aliceStore,
  asToken,
  credentialStore,
  type SignOptions,
  signedPayload
} from './msk-iam-signing.js'

const HOST = 'broker-1.samsa.test'
const ctx = { listenerName: 'SASL_SSL', clientAddress: '127.0.0.1:50000' }
const acceptsHost = listenerHostCheck((l) => (l === 'SASL_SSL' ? HOST : undefined), [])

function server(options: { now?: () => number; region?: string } = {}): SaslServer {
  const verifier = new MskIamVerifier({ credentials: aliceStore(), ...options })
  return awsMskIamSaslServerFactory({ verifier, acceptsHost, ...options }).create(ctx)
}

async function rejects(token: Buffer, message: RegExp, s: SaslServer = server()): Promise<void> {
  await assert.rejects(s.evaluateResponse(token), (err: unknown) => {
    assert.ok(err instanceof SaslAuthenticationError, String(err))
    assert.match(err.message, message)
    // A failure message reaches the client and the log: it must never carry the secret or the signature.
    assert.doesNotMatch(err.message, new RegExp(ALICE_SECRET.slice(0, 12)))
    return true
  })
  assert.equal(s.complete, false)
}

const signed = async (options: SignOptions = {}) => asToken(await signedPayload({ host: HOST, ...options }))

describe('AWS_MSK_IAM SASL server', () => {
  it('authenticates a request signed with the key secret: User:<user>, the Java plugin answer, lifetime', async () => {
    const signingDate = new Date(Math.floor(Date.now() / 1000) * 1000)
    const now = signingDate.getTime() + 60_000
    const s = server({ now: () => now })
    const answer = await s.evaluateResponse(await signed({ signingDate, expiresIn: 900 }))
    assert.equal(s.complete, true)
    assert.equal(s.authorizationId(), 'alice')
    const json = JSON.parse(answer.toString('utf8')) as Record<string, unknown>
    assert.deepEqual(Object.keys(json).sort(), ['request-id', 'version'])
    assert.equal(json.version, '2020_10_22')
    assert.match(String(json['request-id']), /^[0-9a-f-]{36}$/)
    // KIP-368: the session ends when the signature expires, 900 s after signing.
    assert.equal(s.sessionLifetimeMs?.(), 900_000 - 60_000)
  })

  it('accepts the payload of the kafkajs MSK IAM mechanism (@jm18457), which canonicalises by hand', async () => {
    let payload: Buffer | undefined
    const provider = createMechanism({
      region: 'eu-west-1',
      credentials: { accessKeyId: ALICE_KEY_ID, secretAccessKey: ALICE_SECRET }
    }).authenticationProvider
    const silent = { info: () => undefined, error: () => undefined }
    await provider({
      host: HOST,
      port: 9098,
      logger: silent as never,
      saslAuthenticate: async ({ request }: { request: { encode(): Buffer } }) => {
        // kafkajs sends the bytes after the int32 size prefix as SaslAuthenticate's auth_bytes.
        payload = request.encode().subarray(4)
        return { version: '2020_10_22' }
      }
    } as never).authenticate()
    const s = server()
    await s.evaluateResponse(payload!)
    assert.equal(s.authorizationId(), 'alice')
  })

  it('rejects a wrong secret and an unknown key id with the same message', async () => {
    await rejects(
      await signed({ secretAccessKey: 'not-alices-secret' }),
      /invalid access key id or signature/
    )
    await rejects(await signed({ accessKeyId: 'AKIAUNKNOWNKEY000000' }), /invalid access key id or signature/)
  })

  it('rejects an expired signature, and one dated beyond the clock skew in the future', async () => {
    const twentyMinutesAgo = new Date(Date.now() - 20 * 60_000)
    await rejects(await signed({ signingDate: twentyMinutesAgo, expiresIn: 900 }), /expired at/)
    const tenMinutesAhead = new Date(Date.now() + 10 * 60_000)
    await rejects(await signed({ signingDate: tenMinutesAhead }), /in the future/)
    // Within the five minutes of allowed skew, a client clock ahead of the broker's is fine.
    const s = server()
    await s.evaluateResponse(await signed({ signingDate: new Date(Date.now() + 2 * 60_000) }))
    assert.equal(s.authorizationId(), 'alice')
  })

  it('rejects a request for another action, even when correctly signed', async () => {
    await rejects(
      await signed({ action: 'kafka-cluster:AlterCluster' }),
      /action is not kafka-cluster:Connect/
    )
    await rejects(await signed({ service: 's3' }), /service is not kafka-cluster/)
  })

  it('rejects every tampered signed field: the signature no longer matches', async () => {
    const tampered: [string, (p: Record<string, string>) => void][] = [
      ['x-amz-expires', (p) => (p['x-amz-expires'] = '3600')],
      ['x-amz-date', (p) => (p['x-amz-date'] = p['x-amz-date']!.replace(/\d\dZ$/, '31Z'))],
      ['host', (p) => (p.host = 'BROKER-1.samsa.test')],
      ['signature', (p) => (p['x-amz-signature'] = '0'.repeat(64))]
    ]
    // Signed 30 s past a full minute, so the tampered seconds (31) always differ.
    const signingDate = new Date(Math.floor(Date.now() / 60_000) * 60_000 - 30_000)
    for (const [what, tamper] of tampered) {
      const payload = await signedPayload({ host: HOST, signingDate })
      tamper(payload)
      await rejects(asToken(payload), /invalid access key id or signature/, server()).catch((err: Error) => {
        throw new Error(`tampered ${what}: ${err.message}`)
      })
    }
    // The unsigned user-agent is not part of the request: changing it changes nothing.
    const payload = await signedPayload({ host: HOST })
    payload['user-agent'] = 'another-agent'
    await server().evaluateResponse(asToken(payload))
  })

  it('rejects a host this listener does not answer to, unless configured', async () => {
    await rejects(await signed({ host: 'other-cluster.example' }), /host other-cluster.example/)
    const verifier = new MskIamVerifier({ credentials: aliceStore() })
    const extra = listenerHostCheck((l) => (l === 'SASL_SSL' ? HOST : undefined), ['bootstrap.samsa.test'])
    const s = awsMskIamSaslServerFactory({ verifier, acceptsHost: extra }).create(ctx)
    await s.evaluateResponse(await signed({ host: 'bootstrap.samsa.test' }))
    assert.equal(s.authorizationId(), 'alice')
  })

  it('rejects another region when one is configured', async () => {
    await rejects(
      await signed({ region: 'us-east-1' }),
      /region us-east-1, not eu-west-1/,
      server({ region: 'eu-west-1' })
    )
  })

  it('rejects temporary credentials, malformed payloads and a second message', async () => {
    await rejects(await signed({ sessionToken: 'FwoGZXIvYXdzEBYaDH' }), /x-amz-security-token/)
    await rejects(Buffer.from('not json'), /not a JSON object/)
    const noVersion = await signedPayload({ host: HOST })
    delete noVersion.version
    await rejects(asToken(noVersion), /missing "version"/)
    const s = server()
    await s.evaluateResponse(await signed())
    await assert.rejects(s.evaluateResponse(await signed()), SaslAuthenticationError)
  })

  it('knows keys by id only: another user key signs as that user', async () => {
    const store = credentialStore({
      [ALICE_KEY_ID]: { user: 'alice', secretAccessKey: ALICE_SECRET },
      AKIASAMSATESTBOB0001: { user: 'bob', secretAccessKey: 'bobs-secret' }
    })
    const s = awsMskIamSaslServerFactory({
      verifier: new MskIamVerifier({ credentials: store }),
      acceptsHost
    }).create(ctx)
    await s.evaluateResponse(
      await signed({ accessKeyId: 'AKIASAMSATESTBOB0001', secretAccessKey: 'bobs-secret' })
    )
    assert.equal(s.authorizationId(), 'bob')
    assert.equal(AWS_MSK_IAM_MECHANISM, 'AWS_MSK_IAM')
  })
})
