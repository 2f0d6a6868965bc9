/**
 * SASL/OAUTHBEARER on the broker, from the configuration a listener is given to the outcome of the exchange:
 * the validator the configuration chooses (secured KIP-768 or Kafka's unsecured one, never the latter by
 * accident), real RS256/ES256 keys and JWKS documents from a file and from an HTTP endpoint (rotation and
 * retries included), and the RFC 7628 exchange with Kafka's error challenge.
 */

import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { setTimeout as sleep } from 'node:timers/promises'
import { ConfigError } from '../../../src/config/config-error.js'
import { KafkaConfig } from '../../../src/config/kafka-config.js'
import { saslServerFactories } from '../../../src/security/sasl/sasl-mechanisms.js'
import { SaslAuthenticationError, type SaslServerFactory } from '../../../src/security/sasl/sasl-server.js'
import {
  JwksServer,
  jwks,
  jwksFile,
  type SigningKey,
  signedToken,
  signingKey,
  unsecuredToken
} from '../../helpers/oauth-tokens.js'

const LOGIN_MODULE = 'org.apache.kafka.common.security.oauthbearer.OAuthBearerLoginModule'
const UNSECURED_CLASS =
  'org.apache.kafka.common.security.oauthbearer.internals.unsecured.OAuthBearerUnsecuredValidatorCallbackHandler'
const SECURED_CLASS = 'org.apache.kafka.common.security.oauthbearer.OAuthBearerValidatorCallbackHandler'
const CLASS_KEY = 'listener.name.sasl_plaintext.oauthbearer.sasl.server.callback.handler.class'
const INVALID_TOKEN = '{"status":"invalid_token"}'

function oauthFactory(props: Record<string, string>): SaslServerFactory {
  const config = new KafkaConfig(
    new Map(
      Object.entries({
        listeners: 'PLAINTEXT://127.0.0.1:0,SASL_PLAINTEXT://127.0.0.1:0',
        'sasl.enabled.mechanisms': 'OAUTHBEARER',
        'sasl.jaas.config': `${LOGIN_MODULE} required ;`,
        ...props
      })
    )
  )
  const factory = saslServerFactories(config, 'SASL_PLAINTEXT').get('OAUTHBEARER')
  assert.ok(factory)
  return factory
}

interface Exchange {
  ok: boolean
  principal?: string
  lifetimeMs?: number
  /** The error challenge the client received, and the SaslAuthenticate error after it acknowledged it. */
  challenge?: string
  error?: string
}

function initialResponse(token: string, authzid = '', extensions: Record<string, string> = {}): Buffer {
  const ext = Object.entries(extensions)
    .map(([k, v]) => `${k}=${v}\u0001`)
    .join('')
  return Buffer.from(`n,${authzid === '' ? '' : `a=${authzid}`},\u0001auth=Bearer ${token}\u0001${ext}\u0001`)
}

/** Runs the exchange as a Kafka client does, acknowledging an error challenge with 0x01. */
async function authenticate(factory: SaslServerFactory, token: string, authzid = ''): Promise<Exchange> {
  const server = factory.create({ listenerName: 'SASL_PLAINTEXT', clientAddress: '127.0.0.1' })
  const challenge = await server.evaluateResponse(initialResponse(token, authzid, { traceId: 'abc 123' }))
  if (server.complete) {
    assert.equal(challenge.length, 0)
    return { ok: true, principal: server.authorizationId(), lifetimeMs: server.sessionLifetimeMs?.() ?? -1 }
  }
  const err = await server.evaluateResponse(Buffer.from([0x01])).then(
    () => assert.fail('the acknowledgement of an error challenge must fail the exchange'),
    (e: unknown) => e
  )
  assert.ok(err instanceof SaslAuthenticationError)
  return { ok: false, challenge: challenge.toString('utf8'), error: err.message }
}

function assertRejected(result: Exchange, challenge = INVALID_TOKEN): void {
  assert.equal(result.ok, false, `expected a rejection, got principal ${result.principal}`)
  assert.equal(result.challenge, challenge)
  assert.equal(result.error, challenge)
}

describe('OAUTHBEARER with a JWKS file (KIP-768)', () => {
  let rsa: SigningKey
  let ec: SigningKey
  let other: SigningKey
  let file: Awaited<ReturnType<typeof jwksFile>>
  let factory: SaslServerFactory

  before(async () => {
    rsa = await signingKey('RS256', 'rsa-1')
    ec = await signingKey('ES256', 'ec-1')
    // Same key id as rsa, different key: a forged signature.
    other = await signingKey('RS256', 'rsa-1')
    file = await jwksFile(jwks(rsa, ec))
    factory = oauthFactory({
      'sasl.oauthbearer.jwks.endpoint.url': file.url,
      'sasl.oauthbearer.expected.audience': 'kafka,other-service',
      'sasl.oauthbearer.expected.issuer': 'https://issuer.example'
    })
  })
  after(() => file.cleanup())

  const good = { aud: 'kafka', iss: 'https://issuer.example' }

  it('accepts RS256 and ES256 tokens; the principal is the sub claim and the session ends at exp', async () => {
    const exp = Math.floor(Date.now() / 1000) + 600
    for (const key of [rsa, ec]) {
      const result = await authenticate(
        factory,
        await signedToken(key, { ...good, sub: `user-${key.alg}`, exp })
      )
      assert.equal(result.ok, true)
      assert.equal(result.principal, `user-${key.alg}`)
      assert.ok(
        Math.abs(result.lifetimeMs! - (exp * 1000 - Date.now())) < 2000,
        `lifetime ${result.lifetimeMs}`
      )
    }
    // aud may be a list; one expected audience is enough.
    assert.equal(
      (await authenticate(factory, await signedToken(ec, { ...good, aud: ['x', 'other-service'] }))).ok,
      true
    )
  })

  it('answers a bad token with the invalid_token challenge, then SASL_AUTHENTICATION_FAILED', async () => {
    const past = Math.floor(Date.now() / 1000) - 120
    assertRejected(
      await authenticate(factory, await signedToken(rsa, { ...good, exp: past, iat: past - 60 }))
    )
    assertRejected(await authenticate(factory, await signedToken(rsa, { ...good, aud: 'not-kafka' })))
    assertRejected(await authenticate(factory, await signedToken(rsa, { ...good, aud: undefined })))
    assertRejected(
      await authenticate(factory, await signedToken(rsa, { ...good, iss: 'https://evil.example' }))
    )
    assertRejected(await authenticate(factory, await signedToken(other, good)))
    assertRejected(await authenticate(factory, await signedToken(rsa, { ...good, iat: undefined })))
    assertRejected(await authenticate(factory, await signedToken(rsa, { ...good, sub: '  ' })))
    assertRejected(await authenticate(factory, await signedToken(rsa, good, { kid: 'unknown' })))
  })

  it('never accepts an unsigned token', async () => {
    assertRejected(await authenticate(factory, unsecuredToken(good)))
    // Nor a signed token with its signature stripped.
    const stripped = (await signedToken(rsa, good)).replace(/\.[^.]+$/, '.')
    assertRejected(await authenticate(factory, stripped))
  })

  it('allows sasl.oauthbearer.clock.skew.seconds (default 30) past exp', async () => {
    const justExpired = Math.floor(Date.now() / 1000) - 10
    assert.equal(
      (await authenticate(factory, await signedToken(rsa, { ...good, exp: justExpired }))).ok,
      true
    )
    const strict = oauthFactory({
      'sasl.oauthbearer.jwks.endpoint.url': file.url,
      'sasl.oauthbearer.clock.skew.seconds': '0'
    })
    assertRejected(await authenticate(strict, await signedToken(rsa, { exp: justExpired })))
  })

  it('refuses a token with an audience when no expected audience is configured, as Kafka (jose4j) does', async () => {
    const noAudience = oauthFactory({ 'sasl.oauthbearer.jwks.endpoint.url': file.url })
    assert.equal((await authenticate(noAudience, await signedToken(rsa))).ok, true)
    assertRejected(await authenticate(noAudience, await signedToken(rsa, { aud: 'kafka' })))
  })

  it('takes the principal from sasl.oauthbearer.sub.claim.name and checks the scope claim type', async () => {
    const custom = oauthFactory({
      'sasl.oauthbearer.jwks.endpoint.url': file.url,
      'sasl.oauthbearer.sub.claim.name': 'client_id',
      'sasl.oauthbearer.scope.claim.name': 'scp'
    })
    const result = await authenticate(
      custom,
      await signedToken(rsa, { client_id: 'svc-orders', scp: ['a', 'b'] })
    )
    assert.equal(result.principal, 'svc-orders')
    assertRejected(await authenticate(custom, await signedToken(rsa, { client_id: undefined })))
    assertRejected(await authenticate(custom, await signedToken(rsa, { client_id: 'x', scp: 42 })))
    assertRejected(await authenticate(custom, await signedToken(rsa, { client_id: 'x', scp: ['a', ' '] })))
    assert.equal(
      (await authenticate(custom, await signedToken(rsa, { client_id: 'x', scp: 'a b' }))).ok,
      true
    )
  })

  it('takes listener.name.<l>.oauthbearer. and listener.name.<l>. settings before the broker-wide ones', async () => {
    const perListener = oauthFactory({
      'sasl.oauthbearer.jwks.endpoint.url': 'file:///nonexistent/broker-wide.json',
      'listener.name.sasl_plaintext.oauthbearer.sasl.oauthbearer.jwks.endpoint.url': file.url,
      'sasl.oauthbearer.expected.audience': 'broker-wide',
      'listener.name.sasl_plaintext.sasl.oauthbearer.expected.audience': 'kafka'
    })
    assert.equal((await authenticate(perListener, await signedToken(rsa, { aud: 'kafka' }))).ok, true)
    assertRejected(await authenticate(perListener, await signedToken(rsa, { aud: 'broker-wide' })))
  })

  it('checks the authorization id against the principal and rejects malformed messages', async () => {
    const token = await signedToken(rsa, good)
    assert.equal((await authenticate(factory, token, 'alice')).ok, true)
    const server = factory.create({ listenerName: 'SASL_PLAINTEXT', clientAddress: '127.0.0.1' })
    await assert.rejects(server.evaluateResponse(initialResponse(token, 'bob')), /authorization id \(bob\)/)
    for (const bad of [
      `n,,\u0001auth=Basic ${token}\u0001\u0001`,
      `n,,\u0001auth=Bearer ${token}\u0001`,
      `n,,\u0001x=1\u0001\u0001`,
      `n,,\u0001auth=Bearer ${token}\u00011x=y\u0001\u0001`,
      '\u0001'
    ]) {
      const s = factory.create({ listenerName: 'SASL_PLAINTEXT', clientAddress: '127.0.0.1' })
      await assert.rejects(s.evaluateResponse(Buffer.from(bad)), SaslAuthenticationError)
    }
  })

  it('stops the broker when the JWKS file is missing or not a JWKS, naming the key', () => {
    const key = 'listener.name.sasl_plaintext.oauthbearer.sasl.oauthbearer.jwks.endpoint.url'
    for (const url of ['file:///nonexistent/jwks.json', 'ftp://example.com/jwks', 'not a url']) {
      assert.throws(
        () => oauthFactory({ 'sasl.oauthbearer.jwks.endpoint.url': url }),
        (err: unknown) => err instanceof ConfigError && err.message.includes(key)
      )
    }
  })
})

describe('OAUTHBEARER with a JWKS endpoint over HTTP', () => {
  let first: SigningKey
  let second: SigningKey
  let server: JwksServer

  before(async () => {
    first = await signingKey('RS256', 'k1')
    second = await signingKey('ES256', 'k2')
  })
  after(() => server?.close())

  it('fetches the keys, picks up a rotated key on an unknown kid, and refreshes on schedule', async () => {
    server = await JwksServer.start(jwks(first))
    const factory = oauthFactory({
      'sasl.oauthbearer.jwks.endpoint.url': server.url,
      'sasl.oauthbearer.jwks.endpoint.refresh.ms': '1000',
      'sasl.oauthbearer.jwks.endpoint.retry.backoff.max.ms': '100'
    })
    assert.equal((await authenticate(factory, await signedToken(first))).ok, true)
    const fetched = server.requests
    assert.equal(fetched, 1)

    // The provider rotates: k2 appears. A token naming k2 makes the broker fetch at once.
    server.document = jwks(first, second)
    const rotated = await authenticate(factory, await signedToken(second, { sub: 'bob' }))
    assert.equal(rotated.principal, 'bob')
    assert.equal(server.requests, fetched + 1)

    // k1 is withdrawn. Once the set is older than refresh.ms a validation triggers a refresh in the
    // background; after it, k1 tokens are refused.
    server.document = jwks(second)
    assert.equal((await authenticate(factory, await signedToken(first))).ok, true, 'not yet refreshed')
    assert.equal(server.requests, fetched + 1)
    await sleep(1100)
    // The first attempt past refresh.ms may be answered from the stale set while the refresh runs.
    let refused: Exchange | null = null
    for (let i = 0; i < 250 && refused === null; i++) {
      const result = await authenticate(factory, await signedToken(first))
      if (!result.ok) refused = result
      else await sleep(20)
    }
    assert.ok(refused, 'k1 is refused once the scheduled refresh has run')
    assertRejected(refused)
    assert.ok(server.requests >= fetched + 2)
    assert.equal((await authenticate(factory, await signedToken(second))).ok, true)
    await server.close()
  })

  it('retries a failing endpoint with backoff, and refuses tokens while no keys could be had', async () => {
    server = await JwksServer.start(jwks(first))
    server.failures = 2
    const factory = oauthFactory({
      'sasl.oauthbearer.jwks.endpoint.url': server.url,
      'sasl.oauthbearer.jwks.endpoint.retry.backoff.ms': '20',
      'sasl.oauthbearer.jwks.endpoint.retry.backoff.max.ms': '1000'
    })
    assert.equal((await authenticate(factory, await signedToken(first))).ok, true)
    assert.equal(server.requests, 3)

    server.failures = 1000
    const down = oauthFactory({
      'sasl.oauthbearer.jwks.endpoint.url': server.url,
      'sasl.oauthbearer.jwks.endpoint.retry.backoff.ms': '10',
      'sasl.oauthbearer.jwks.endpoint.retry.backoff.max.ms': '50'
    })
    assertRejected(await authenticate(down, await signedToken(first)))
    await server.close()
  })
})

describe("Kafka's unsecured validator", () => {
  const unsecuredJaas = `${LOGIN_MODULE} required unsecuredLoginStringClaim_sub="admin" unsecuredValidatorRequiredScope="kafka" unsecuredValidatorAllowableClockSkewMs="5000";`

  it('is used when the callback handler class names it, with the JAAS options', async () => {
    const factory = oauthFactory({ [CLASS_KEY]: UNSECURED_CLASS, 'sasl.jaas.config': unsecuredJaas })
    const result = await authenticate(factory, unsecuredToken({ scope: ['kafka', 'other'] }))
    assert.equal(result.principal, 'alice')
    // A string scope claim is one scope element in Kafka's unsecured validator.
    assert.equal((await authenticate(factory, unsecuredToken({ scope: 'kafka' }))).ok, true)
    assertRejected(
      await authenticate(factory, unsecuredToken({ scope: ['other'] })),
      '{"status":"insufficient_scope", "scope":"[kafka]"}'
    )
    // Within the 5 s allowable skew of exp, and past it.
    const now = Date.now() / 1000
    assert.equal(
      (await authenticate(factory, unsecuredToken({ scope: 'kafka', iat: now - 60, exp: now - 2 }))).ok,
      true
    )
    assertRejected(
      await authenticate(factory, unsecuredToken({ scope: 'kafka', iat: now - 60, exp: now - 10 }))
    )
    assertRejected(await authenticate(factory, unsecuredToken({ scope: 'kafka', exp: undefined })))
    // A signed token is not an unsecured one.
    assertRejected(await authenticate(factory, await signedToken(await signingKey('ES256', 'x'))))
  })

  it("is Kafka's default only without a JWKS URL and with unsecured options in the JAAS entry", async () => {
    const factory = oauthFactory({
      'sasl.jaas.config': `${LOGIN_MODULE} required unsecuredLoginStringClaim_sub="admin" unsecuredValidatorPrincipalClaimName="user";`
    })
    assert.equal((await authenticate(factory, unsecuredToken({ user: 'carol' }))).principal, 'carol')
    assertRejected(await authenticate(factory, unsecuredToken()))
  })

  it('is never chosen by accident: otherwise startup fails naming the key', async () => {
    const names = (key: string) => (err: unknown) => err instanceof ConfigError && err.message.includes(key)
    const jwksKey = 'listener.name.sasl_plaintext.oauthbearer.sasl.oauthbearer.jwks.endpoint.url'
    assert.throws(() => oauthFactory({}), names(jwksKey))
    assert.throws(
      () => oauthFactory({ [CLASS_KEY]: SECURED_CLASS, 'sasl.jaas.config': unsecuredJaas }),
      names(jwksKey)
    )
    assert.throws(() => oauthFactory({ [CLASS_KEY]: 'com.example.MyHandler' }), names(CLASS_KEY))
    assert.throws(
      () =>
        oauthFactory({
          [CLASS_KEY]: UNSECURED_CLASS,
          'sasl.jaas.config': `${LOGIN_MODULE} required unsecuredValidatorAllowableClockSkewMs="-1";`
        }),
      names('sasl.jaas.config')
    )
    // With a JWKS URL, unsecured options do not turn the unsecured validator on.
    const key = await signingKey('RS256', 'k')
    const file = await jwksFile(jwks(key))
    try {
      const secured = oauthFactory({
        'sasl.oauthbearer.jwks.endpoint.url': file.url,
        'sasl.jaas.config': unsecuredJaas
      })
      assertRejected(await authenticate(secured, unsecuredToken({ scope: 'kafka' })))
      assert.equal((await authenticate(secured, await signedToken(key))).ok, true)
    } finally {
      await file.cleanup()
    }
  })
})
