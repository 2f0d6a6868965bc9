import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { setTimeout as sleep } from 'node:timers/promises'
import { createLogger } from '../../src/common/logger.js'
import { decodeResponseFrame, encodeRequestFrame } from '../../src/protocol/index.js'
import type { SaslAuthenticateResponse } from '../../src/protocol/messages/sasl-authenticate.js'
import type { SaslHandshakeResponse } from '../../src/protocol/messages/sasl-handshake.js'
import {
  AuthenticationCloseError,
  ConnectionAuthenticator,
  type Outcome
} from '../../src/security/connection-authenticator.js'
import { parseJaasConfig } from '../../src/security/jaas-config.js'
import { ANONYMOUS } from '../../src/security/kafka-principal.js'
import type { ListenerSecurity } from '../../src/security/listener-security.js'
import { plainSaslServerFactory } from '../../src/security/sasl/plain-sasl-server.js'
import { SslPrincipalMapper } from '../../src/security/ssl/ssl-principal-mapper.js'

const JAAS = parseJaasConfig(
  'sasl.jaas.config',
  'org.apache.kafka.common.security.plain.PlainLoginModule required user_alice="alice-secret" user_bob="bob-secret";'
)

function security(maxReauthMs = 0): ListenerSecurity {
  return {
    listenerName: 'SASL_PLAINTEXT',
    securityProtocol: 'SASL_PLAINTEXT',
    tls: null,
    saslMechanisms: new Map([['PLAIN', plainSaslServerFactory(JAAS)]]),
    principalMapper: SslPrincipalMapper.fromRules('DEFAULT'),
    failedAuthenticationDelayMs: 20,
    maxReauthMs
  }
}

const request = (apiKey: number, version: number, body: unknown): Buffer =>
  encodeRequestFrame(
    { requestApiKey: apiKey, requestApiVersion: version, correlationId: 7, clientId: 't' },
    body
  ).subarray(4)

const payloadOf = (outcome: Outcome): Buffer => Buffer.concat(outcome ?? []).subarray(4)

function setup(maxReauthMs = 0) {
  let now = 1_000
  let closed = 0
  const served: number[] = []
  const auth = new ConnectionAuthenticator(
    security(maxReauthMs),
    {
      connectionId: 'c1',
      clientAddress: '127.0.0.1',
      close: () => {
        closed++
      },
      logger: createLogger('silent'),
      now: () => now
    },
    ANONYMOUS
  )
  const next = async (payload: Buffer): Promise<Outcome> => {
    served.push(payload.readInt16BE(0))
    return [Buffer.from([0, 0, 0, 0])]
  }
  const send = (payload: Buffer) => auth.process(payload, next)
  const handshake = async (mechanism = 'PLAIN', version = 1) =>
    decodeResponseFrame(17, version, payloadOf(await send(request(17, version, { mechanism }))))
      .body as SaslHandshakeResponse
  const authenticate = async (user: string, password: string, version = 2) =>
    decodeResponseFrame(
      36,
      version,
      payloadOf(
        await send(request(36, version, { authBytes: Buffer.from(`\u0000${user}\u0000${password}`) }))
      )
    ).body as SaslAuthenticateResponse
  return {
    auth,
    send,
    handshake,
    authenticate,
    served,
    closed: () => closed,
    advance: (ms: number) => {
      now += ms
    }
  }
}

const metadata = request(3, 1, { topics: null })

describe('ConnectionAuthenticator', () => {
  it('serves only ApiVersions before a handshake, and closes on any other request', async () => {
    const c = setup()
    await c.send(request(18, 0, {}))
    assert.deepEqual(c.served, [18])
    await assert.rejects(c.send(metadata), AuthenticationCloseError)
    assert.deepEqual(c.served, [18])
    assert.equal(c.auth.principal, null)
  })

  it('authenticates with SaslHandshake + SaslAuthenticate and then passes requests through', async () => {
    const c = setup()
    assert.deepEqual(await c.handshake(), { errorCode: 0, mechanisms: ['PLAIN'] })
    const r = await c.authenticate('alice', 'alice-secret')
    assert.equal(r.errorCode, 0)
    assert.equal(r.sessionLifetimeMs, 0n)
    assert.deepEqual(c.auth.principal, { principalType: 'User', name: 'alice' })
    await c.send(metadata)
    assert.deepEqual(c.served, [3])
  })

  it('answers an unknown mechanism with UNSUPPORTED_SASL_MECHANISM and closes', async () => {
    const c = setup()
    const r = await c.handshake('SCRAM-SHA-512')
    assert.deepEqual(r, { errorCode: 33, mechanisms: ['PLAIN'] })
    await assert.rejects(c.send(request(36, 2, { authBytes: Buffer.alloc(0) })), AuthenticationCloseError)
  })

  it('answers a wrong password with SASL_AUTHENTICATION_FAILED, refuses more requests and closes after the delay', async () => {
    const c = setup()
    await c.handshake()
    const r = await c.authenticate('alice', 'wrong')
    assert.equal(r.errorCode, 58)
    assert.equal(r.errorMessage, 'Authentication failed: Invalid username or password')
    await assert.rejects(c.send(metadata), AuthenticationCloseError)
    assert.equal(c.closed(), 0)
    await sleep(60)
    assert.equal(c.closed(), 1)
  })

  it('after SaslHandshake v0 takes raw tokens, and closes without an answer when one fails', async () => {
    const ok = setup()
    await ok.handshake('PLAIN', 0)
    const challenge = await ok.send(Buffer.from('\u0000alice\u0000alice-secret'))
    assert.deepEqual(Buffer.concat(challenge ?? []), Buffer.from([0, 0, 0, 0]))
    assert.deepEqual(ok.auth.principal, { principalType: 'User', name: 'alice' })
    await ok.send(metadata)
    assert.deepEqual(ok.served, [3])

    const bad = setup()
    await bad.handshake('PLAIN', 0)
    assert.equal(await bad.send(Buffer.from('\u0000alice\u0000nope')), null)
    await assert.rejects(bad.send(metadata), AuthenticationCloseError)
    await sleep(60)
    assert.equal(bad.closed(), 1)
  })

  it('gives PLAIN errors for malformed tokens and a foreign authorization id', async () => {
    for (const [token, message] of [
      ['alice\u0000alice-secret', /expected 3 tokens/],
      ['\u0000\u0000x', /username not specified/],
      ['\u0000alice\u0000', /password not specified/],
      ['bob\u0000alice\u0000alice-secret', /authorization id that is different/]
    ] as const) {
      const c = setup()
      await c.handshake()
      const body = decodeResponseFrame(
        36,
        1,
        payloadOf(await c.send(request(36, 1, { authBytes: Buffer.from(token) })))
      ).body as SaslAuthenticateResponse
      assert.equal(body.errorCode, 58)
      assert.match(body.errorMessage ?? '', message)
    }
  })

  describe('re-authentication (KIP-368)', () => {
    it('tells the session lifetime, closes an expired session on its next request, and re-authenticates', async () => {
      const c = setup(10_000)
      await c.handshake()
      assert.equal((await c.authenticate('alice', 'alice-secret')).sessionLifetimeMs, 10_000n)
      c.advance(9_000)
      await c.send(metadata)
      // Re-authentication on the same connection, same mechanism and principal, renews the session.
      await c.handshake()
      assert.equal((await c.authenticate('alice', 'alice-secret', 1)).sessionLifetimeMs, 10_000n)
      c.advance(9_000)
      await c.send(metadata)
      assert.deepEqual(c.served, [3, 3])
      c.advance(1_001)
      await assert.rejects(c.send(metadata), /SASL session expired/)
    })

    it('refuses a change of principal', async () => {
      const c = setup(10_000)
      await c.handshake()
      await c.authenticate('alice', 'alice-secret')
      await c.handshake()
      const r = await c.authenticate('bob', 'bob-secret')
      assert.equal(r.errorCode, 58)
      assert.match(
        r.errorMessage ?? '',
        /Cannot change principals during re-authentication from User:alice to User:bob/
      )
      await assert.rejects(c.send(metadata), AuthenticationCloseError)
    })

    it('lets a session without connections.max.reauth.ms last', async () => {
      const c = setup(0)
      await c.handshake()
      await c.authenticate('alice', 'alice-secret')
      c.advance(365 * 24 * 3_600_000)
      await c.send(metadata)
      assert.deepEqual(c.served, [3])
    })
  })
})
