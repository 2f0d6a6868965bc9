/**
 * SASL/OAUTHBEARER end to end against a real broker process with two OAUTHBEARER listeners: `SASL_SSL`
 * validates signed JWTs (KIP-768) against a JWKS served over HTTP by this test, with an expected audience and
 * issuer; `SASL_PLAINTEXT` is configured explicitly for Kafka's unsecured validator, which is what librdkafka's
 * built-in unsecured JWTs need. Clients: kafkajs, @platformatic/kafka, kcat (librdkafka) and a raw client for
 * the exact error exchange (challenge, 0x01, SASL_AUTHENTICATION_FAILED).
 */

import assert from 'node:assert/strict'
import { existsSync } from 'node:fs'
import { createRequire } from 'node:module'
import { type Socket, connect as tcpConnect } from 'node:net'
import { after, before, describe, it } from 'node:test'
import { connect as tlsConnect } from 'node:tls'
import { Producer } from '@platformatic/kafka'
import type { Kafka as KafkaClient } from 'kafkajs'
import { BrokerProcess } from '../../helpers/broker-process.js'
import {
  JwksServer,
  jwks,
  type SigningKey,
  signedToken,
  signingKey,
  unsecuredToken
} from '../../helpers/oauth-tokens.js'
import { RawKafkaClient } from '../../helpers/raw-kafka-client.js'
import {
  createTestCertificates,
  opensslAvailable,
  P12_PASSWORD,
  type TestCertificates
} from '../../helpers/test-certificates.js'
import { KCAT, kcatConsume, kcatProduce } from '../support/kcat.js'
import { runProcess } from '../support/run-process.js'

const require = createRequire(import.meta.url)
const { Kafka, logLevel } = require('kafkajs') as typeof import('kafkajs')

const LOGIN_MODULE = 'org.apache.kafka.common.security.oauthbearer.OAuthBearerLoginModule'
const SECURED = 'org.apache.kafka.common.security.oauthbearer.OAuthBearerValidatorCallbackHandler'
const UNSECURED =
  'org.apache.kafka.common.security.oauthbearer.internals.unsecured.OAuthBearerUnsecuredValidatorCallbackHandler'
const ISSUER = 'https://issuer.samsa.test'
const SASL_AUTHENTICATION_FAILED = 58
const skip = !opensslAvailable && !process.env.CI ? 'openssl is not installed' : false

describe('SASL/OAUTHBEARER end to end', { skip }, () => {
  let certs: TestCertificates
  let ca: string
  let key: SigningKey
  let idp: JwksServer
  let broker: BrokerProcess
  const bootstrap = (listener: string) => `127.0.0.1:${broker.portOf(listener)}`
  const goodToken = (claims: Record<string, unknown> = {}) =>
    signedToken(key, { aud: 'kafka', iss: ISSUER, ...claims })
  const kafkajs = (token: () => Promise<string>): KafkaClient =>
    new Kafka({
      clientId: 'e2e-oauthbearer',
      brokers: [bootstrap('SASL_SSL')],
      logLevel: logLevel.NOTHING,
      retry: { retries: 1, initialRetryTime: 100 },
      ssl: { ca: [ca] },
      sasl: { mechanism: 'oauthbearer', oauthBearerProvider: async () => ({ value: await token() }) }
    })

  before(async () => {
    certs = await createTestCertificates()
    ca = await certs.text('ca.pem')
    key = await signingKey('RS256', 'e2e-key')
    idp = await JwksServer.start(jwks(key))
    broker = await BrokerProcess.start({
      overrides: [
        'listeners=PLAINTEXT://127.0.0.1:0,SASL_SSL://127.0.0.1:0,SASL_PLAINTEXT://127.0.0.1:0',
        'ssl.keystore.type=PKCS12',
        `ssl.keystore.location=${certs.path('server.p12')}`,
        `ssl.keystore.password=${P12_PASSWORD}`,
        'sasl.enabled.mechanisms=OAUTHBEARER',
        `listener.name.sasl_ssl.oauthbearer.sasl.jaas.config=${LOGIN_MODULE} required ;`,
        `listener.name.sasl_ssl.oauthbearer.sasl.server.callback.handler.class=${SECURED}`,
        `listener.name.sasl_ssl.oauthbearer.sasl.oauthbearer.jwks.endpoint.url=${idp.url}`,
        'listener.name.sasl_ssl.sasl.oauthbearer.expected.audience=kafka',
        `sasl.oauthbearer.expected.issuer=${ISSUER}`,
        `listener.name.sasl_plaintext.oauthbearer.sasl.jaas.config=${LOGIN_MODULE} required unsecuredLoginStringClaim_sub="admin";`,
        `listener.name.sasl_plaintext.oauthbearer.sasl.server.callback.handler.class=${UNSECURED}`,
        'connection.failed.authentication.delay.ms=100',
        'group.initial.rebalance.delay.ms=0',
        'offsets.topic.replication.factor=1'
      ]
    })
  })
  after(async () => {
    await broker?.stop()
    await idp?.close()
    await certs?.cleanup()
  })

  it('serves kafkajs producing and consuming in a group over SASL_SSL with signed JWTs', async () => {
    const kafka = kafkajs(() => goodToken({ sub: 'orders-service' }))
    const producer = kafka.producer({ allowAutoTopicCreation: true })
    await producer.connect()
    await producer.send({
      topic: 'oauth-kafkajs',
      acks: -1,
      messages: [{ value: 'one' }, { value: 'two' }]
    })
    await producer.disconnect()
    const consumer = kafka.consumer({ groupId: 'oauth-group', maxWaitTimeInMs: 100 })
    await consumer.connect()
    try {
      await consumer.subscribe({ topic: 'oauth-kafkajs', fromBeginning: true })
      const values: string[] = []
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`consumed only ${values}`)), 20_000)
        void consumer.run({
          eachMessage: async ({ message }) => {
            values.push(String(message.value))
            if (values.length === 2) {
              clearTimeout(timer)
              resolve()
            }
          }
        })
      })
      assert.deepEqual(values, ['one', 'two'])
    } finally {
      await consumer.disconnect()
    }
    const line = broker.logs.find((l) => l.msg === 'failed authentication')
    assert.equal(line, undefined, 'no authentication failed')
  })

  it('serves @platformatic/kafka over SASL_SSL', async () => {
    const token = await goodToken({ sub: 'platformatic' })
    const producer = new Producer({
      clientId: 'e2e-oauthbearer-platformatic',
      bootstrapBrokers: [bootstrap('SASL_SSL')],
      tls: { ca: [ca], servername: 'localhost' },
      sasl: { mechanism: 'OAUTHBEARER', token },
      autocreateTopics: true,
      retries: 2,
      retryDelay: 100
    })
    try {
      const result = await producer.send({
        messages: [{ topic: 'oauth-platformatic', value: Buffer.from('p') }]
      })
      assert.equal(result.offsets?.[0]?.offset, 0n)
    } finally {
      await producer.close()
    }
    // What it wrote is there for another authenticated client.
    const admin = kafkajs(() => goodToken()).admin()
    await admin.connect()
    try {
      const offsets = await admin.fetchTopicOffsets('oauth-platformatic')
      assert.equal(offsets[0]?.high, '1')
    } finally {
      await admin.disconnect()
    }
  })

  it('answers a bad token with the invalid_token challenge, then SASL_AUTHENTICATION_FAILED, and keeps serving others', async () => {
    const past = Math.floor(Date.now() / 1000) - 300
    const forger = await signingKey('RS256', 'e2e-key')
    const badTokens = [
      await goodToken({ exp: past, iat: past - 60 }),
      await goodToken({ aud: 'not-kafka' }),
      await goodToken({ iss: 'https://evil.test' }),
      await signedToken(forger, { aud: 'kafka', iss: ISSUER }),
      unsecuredToken({ aud: 'kafka', iss: ISSUER })
    ]
    for (const token of badTokens) {
      const logsBefore = broker.logs.length
      const raw = RawKafkaClient.over(await tlsOpen(broker.portOf('SASL_SSL'), ca))
      const failure = await rawExchange(raw, token)
      assert.deepEqual(failure, {
        challenge: '{"status":"invalid_token"}',
        errorCode: SASL_AUTHENTICATION_FAILED,
        errorMessage: '{"status":"invalid_token"}'
      })
      assert.equal(await raw.waitForClose(5000), true)
      const line = await broker.waitForLog(
        (l) => l.msg === 'failed authentication' && broker.logs.indexOf(l) >= logsBefore
      )
      assert.equal(line.mechanism, 'OAUTHBEARER')
      assert.ok(!JSON.stringify(broker.logs.slice(logsBefore)).includes(token), 'the token is never logged')
    }
    // kafkajs takes the challenge for success and never acknowledges it; its next request arrives mid-exchange,
    // so the broker closes the connection and kafkajs gets nothing done.
    const refused = kafkajs(async () => badTokens[0]!).admin()
    try {
      await assert.rejects(refused.connect().then(() => refused.listTopics()))
    } finally {
      await refused.disconnect()
    }
    // Good clients are still served.
    const admin = kafkajs(() => goodToken()).admin()
    await admin.connect()
    assert.ok((await admin.listTopics()).includes('oauth-kafkajs'))
    await admin.disconnect()
  })

  it('accepts unsigned tokens only on the listener configured for the unsecured validator', async () => {
    const raw = RawKafkaClient.over(await tcpOpen(broker.portOf('SASL_PLAINTEXT')))
    const exp = Math.floor(Date.now() / 1000) + 600
    const lifetime = await rawExchange(raw, unsecuredToken({ sub: 'dev', exp }))
    // KIP-368: the session lasts as long as the token.
    assert.ok(typeof lifetime === 'bigint', 'authenticated')
    const expected = exp * 1000 - Date.now()
    assert.ok(Math.abs(Number(lifetime) - expected) < 5000, `session lifetime ${lifetime}, token ${expected}`)
    raw.send({ requestApiKey: 3, requestApiVersion: 1, correlationId: 9, clientId: 'raw' }, { topics: [] })
    assert.ok(await raw.nextFrame())
    raw.close()
    const expired = RawKafkaClient.over(await tcpOpen(broker.portOf('SASL_PLAINTEXT')))
    const past = Math.floor(Date.now() / 1000) - 300
    const failure = await rawExchange(expired, unsecuredToken({ iat: past - 60, exp: past }))
    assert.equal(typeof failure === 'object' && failure.errorCode, SASL_AUTHENTICATION_FAILED)
  })

  const kcatSkip = existsSync(KCAT) ? false : 'kcat is not installed'

  it('serves kcat (librdkafka) with its unsecured JWT on the unsecured listener, and refuses it on the secured one', {
    skip: kcatSkip
  }, async () => {
    const oauth = (protocol: string) => [
      `security.protocol=${protocol}`,
      ...(protocol === 'sasl_ssl' ? [`ssl.ca.location=${certs.path('ca.pem')}`] : []),
      'sasl.mechanisms=OAUTHBEARER',
      'enable.sasl.oauthbearer.unsecure.jwt=true',
      'sasl.oauthbearer.config=principal=kcat-user lifeSeconds=600'
    ]
    await kcatProduce(bootstrap('SASL_PLAINTEXT'), 'oauth-kcat', [{ key: null, value: Buffer.from('k') }], {
      config: oauth('sasl_plaintext')
    })
    const consumed = await kcatConsume(bootstrap('SASL_PLAINTEXT'), 'oauth-kcat', {
      config: oauth('sasl_plaintext')
    })
    assert.deepEqual(
      consumed.map((r) => r.value?.toString()),
      ['k']
    )
    const refused = await runProcess(
      KCAT,
      ['-L', '-b', bootstrap('SASL_SSL'), '-m', '5', ...oauth('sasl_ssl').flatMap((c) => ['-X', c])],
      { timeoutMs: 20_000 }
    )
    assert.notEqual(refused.code, 0)
    // librdkafka acknowledges the challenge and reports the SASL_AUTHENTICATION_FAILED message.
    assert.match(refused.stderr.toString(), /SASL authentication error: \{"status":"invalid_token"\}/)
  })
})

interface RawFailure {
  challenge: string
  errorCode: number
  errorMessage: string | null
}

/**
 * SaslHandshake v1 and SaslAuthenticate v2 as Kafka's Java client does them; the session lifetime when
 * authenticated.
 */
async function rawExchange(raw: RawKafkaClient, token: string): Promise<RawFailure | bigint> {
  raw.send(
    { requestApiKey: 17, requestApiVersion: 1, correlationId: 1, clientId: 'raw' },
    { mechanism: 'OAUTHBEARER' }
  )
  assert.equal((await raw.nextResponse<{ errorCode: number }>(17, 1)).body.errorCode, 0)
  raw.send(
    { requestApiKey: 36, requestApiVersion: 2, correlationId: 2, clientId: 'raw' },
    { authBytes: Buffer.from(`n,,\u0001auth=Bearer ${token}\u0001\u0001`) }
  )
  type Authenticate = {
    errorCode: number
    errorMessage: string | null
    authBytes: Buffer
    sessionLifetimeMs: bigint
  }
  const first = (await raw.nextResponse<Authenticate>(36, 2)).body
  assert.equal(first.errorCode, 0)
  if (first.authBytes.length === 0) return first.sessionLifetimeMs
  // The error challenge: the client acknowledges it with 0x01 and learns the outcome.
  raw.send(
    { requestApiKey: 36, requestApiVersion: 2, correlationId: 3, clientId: 'raw' },
    { authBytes: Buffer.from([0x01]) }
  )
  const second = (await raw.nextResponse<Authenticate>(36, 2)).body
  return {
    challenge: first.authBytes.toString('utf8'),
    errorCode: second.errorCode,
    errorMessage: second.errorMessage
  }
}

function tcpOpen(port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const s = tcpConnect({ port, host: '127.0.0.1' }, () => resolve(s))
    s.once('error', reject)
  })
}

function tlsOpen(port: number, ca: string): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const s = tlsConnect({ port, host: '127.0.0.1', ca: [ca], servername: 'localhost' }, () => resolve(s))
    s.once('error', reject)
  })
}
