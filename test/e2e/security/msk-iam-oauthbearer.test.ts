/**
 * MSK IAM over SASL/OAUTHBEARER end to end: a real broker whose SASL_SSL listener validates OAUTHBEARER tokens
 * with Samsa's MSK IAM validator class, an access key created with `samsa iam` while it runs, and kafkajs with
 * `sasl: { mechanism: 'oauthbearer', oauthBearerProvider }` handing it tokens from aws-msk-iam-sasl-signer-js
 * (static credentials from the environment: nothing reaches the network). A tampered token and one signed
 * for another region get the invalid_token challenge, and the broker keeps serving good clients.
 */

import assert from 'node:assert/strict'
import { createRequire } from 'node:module'
import type { Socket } from 'node:net'
import { after, before, describe, it } from 'node:test'
import { connect as tlsConnect } from 'node:tls'
import { generateAuthToken } from 'aws-msk-iam-sasl-signer-js'
import type { Kafka as KafkaClient } from 'kafkajs'
import { MSK_IAM_VALIDATOR_CLASS } from '../../../src/security/sasl/oauthbearer/msk-iam-oauthbearer-validator.js'
import { BrokerProcess, runCli } from '../../helpers/broker-process.js'
import { RawKafkaClient } from '../../helpers/raw-kafka-client.js'
import {
  createTestCertificates,
  opensslAvailable,
  type TestCertificates
} from '../../helpers/test-certificates.js'

const require = createRequire(import.meta.url)
const { Kafka, logLevel } = require('kafkajs') as typeof import('kafkajs')

const LOGIN_MODULE = 'org.apache.kafka.common.security.oauthbearer.OAuthBearerLoginModule'
const SASL_AUTHENTICATION_FAILED = 58
const skip = !opensslAvailable && !process.env.CI ? 'openssl is not installed' : false

interface CreatedKey {
  readonly accessKeyId: string
  readonly secretAccessKey: string
}

/**
 * A token from the signer's default entry point with the key in the environment: the default provider chain
 * reads static credentials from there first (no instance metadata, no STS).
 */
async function signerToken(key: CreatedKey, region = 'eu-west-1'): Promise<string> {
  const saved = { ...process.env }
  process.env.AWS_ACCESS_KEY_ID = key.accessKeyId
  process.env.AWS_SECRET_ACCESS_KEY = key.secretAccessKey
  delete process.env.AWS_SESSION_TOKEN
  delete process.env.AWS_PROFILE
  process.env.AWS_EC2_METADATA_DISABLED = 'true'
  try {
    return (await generateAuthToken({ region })).token
  } finally {
    for (const name of Object.keys(process.env)) if (!(name in saved)) delete process.env[name]
    Object.assign(process.env, saved)
  }
}

/** The same presigned URL with one character of its signature changed, re-encoded as the signer does. */
function tampered(token: string): string {
  const url = new URL(Buffer.from(token, 'base64url').toString('utf8'))
  const signature = url.searchParams.get('X-Amz-Signature') ?? ''
  const flipped = (signature[0] === 'a' ? 'b' : 'a') + signature.slice(1)
  url.searchParams.set('X-Amz-Signature', flipped)
  return Buffer.from(url.toString(), 'utf8').toString('base64url')
}

describe('MSK IAM tokens over SASL/OAUTHBEARER end to end', { skip, timeout: 120_000 }, () => {
  let certs: TestCertificates
  let ca: string
  let broker: BrokerProcess
  let key: CreatedKey
  const kafkajs = (token: () => Promise<string>): KafkaClient =>
    new Kafka({
      clientId: 'e2e-msk-iam-oauthbearer',
      brokers: [`127.0.0.1:${broker.portOf('SASL_SSL')}`],
      logLevel: logLevel.NOTHING,
      retry: { retries: 1, initialRetryTime: 100 },
      ssl: { ca: [ca] },
      sasl: { mechanism: 'oauthbearer', oauthBearerProvider: async () => ({ value: await token() }) }
    })

  before(async () => {
    certs = await createTestCertificates()
    ca = await certs.text('ca.pem')
    broker = await BrokerProcess.start({
      overrides: [
        'listeners=PLAINTEXT://127.0.0.1:0,SASL_SSL://127.0.0.1:0',
        'ssl.keystore.type=PEM',
        `ssl.keystore.location=${certs.path('server.pem')}`,
        'listener.name.sasl_ssl.sasl.enabled.mechanisms=OAUTHBEARER',
        `listener.name.sasl_ssl.oauthbearer.sasl.jaas.config=${LOGIN_MODULE} required region="eu-west-1";`,
        `listener.name.sasl_ssl.oauthbearer.sasl.server.callback.handler.class=${MSK_IAM_VALIDATOR_CLASS}`,
        'connection.failed.authentication.delay.ms=100',
        'group.initial.rebalance.delay.ms=0',
        'offsets.topic.replication.factor=1'
      ]
    })
    const created = await runCli([
      'iam',
      'create-access-key',
      '--user',
      'alice',
      '--override',
      `log.dirs=${broker.logDir}`
    ])
    assert.equal(created.code, 0, created.stderr)
    key = JSON.parse(created.stdout) as CreatedKey
    // The broker follows the keys within a second.
    await new Promise((r) => setTimeout(r, 1200))
  })
  after(async () => {
    await broker?.stop()
    await certs?.cleanup()
  })

  it('authenticates kafkajs with an aws-msk-iam-sasl-signer-js token as the access key user: produce and read back', async () => {
    const kafka = kafkajs(() => signerToken(key))
    const producer = kafka.producer({ allowAutoTopicCreation: true })
    await producer.connect()
    await producer.send({ topic: 'iam-oauth', acks: -1, messages: [{ value: 'presigned' }] })
    await producer.disconnect()
    const admin = kafka.admin()
    await admin.connect()
    try {
      const offsets = await admin.fetchTopicOffsets('iam-oauth')
      assert.equal(offsets[0]?.high, '1')
    } finally {
      await admin.disconnect()
    }
    assert.equal(
      broker.logs.find((l) => l.msg === 'failed authentication'),
      undefined,
      'no authentication failed'
    )
  })

  it('refuses a tampered token and a token for another region with invalid_token, and keeps serving good clients', async () => {
    const good = await signerToken(key)
    for (const token of [tampered(good), await signerToken(key, 'us-east-1')]) {
      const logsBefore = broker.logs.length
      const raw = RawKafkaClient.over(await tlsOpen(broker.portOf('SASL_SSL'), ca))
      assert.deepEqual(await refusedExchange(raw, token), {
        challenge: '{"status":"invalid_token"}',
        errorCode: SASL_AUTHENTICATION_FAILED
      })
      assert.equal(await raw.waitForClose(5000), true)
      const line = await broker.waitForLog(
        (l) => l.msg === 'failed authentication' && broker.logs.indexOf(l) >= logsBefore
      )
      assert.equal(line.mechanism, 'OAUTHBEARER')
      assert.ok(!JSON.stringify(broker.logs.slice(logsBefore)).includes(token), 'the token is never logged')
    }
    // kafkajs takes the invalid_token challenge for success; its next request finds the connection closed.
    const refused = kafkajs(async () => tampered(good)).admin()
    try {
      await assert.rejects(refused.connect().then(() => refused.listTopics()))
    } finally {
      await refused.disconnect()
    }
    const admin = kafkajs(() => signerToken(key)).admin()
    await admin.connect()
    assert.ok((await admin.listTopics()).includes('iam-oauth'))
    await admin.disconnect()
  })
})

function tlsOpen(port: number, ca: string): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const s = tlsConnect({ port, host: '127.0.0.1', ca: [ca], servername: 'localhost' }, () => resolve(s))
    s.once('error', reject)
  })
}

/** SaslHandshake v1 and SaslAuthenticate v2 with a token the broker refuses, acknowledging its challenge. */
async function refusedExchange(
  raw: RawKafkaClient,
  token: string
): Promise<{ challenge: string; errorCode: number }> {
  raw.send(
    { requestApiKey: 17, requestApiVersion: 1, correlationId: 1, clientId: 'raw' },
    { mechanism: 'OAUTHBEARER' }
  )
  assert.equal((await raw.nextResponse<{ errorCode: number }>(17, 1)).body.errorCode, 0)
  raw.send(
    { requestApiKey: 36, requestApiVersion: 2, correlationId: 2, clientId: 'raw' },
    { authBytes: Buffer.from(`n,,\u0001auth=Bearer ${token}\u0001\u0001`) }
  )
  type Authenticate = { errorCode: number; authBytes: Buffer }
  const first = (await raw.nextResponse<Authenticate>(36, 2)).body
  assert.equal(first.errorCode, 0)
  raw.send(
    { requestApiKey: 36, requestApiVersion: 2, correlationId: 3, clientId: 'raw' },
    { authBytes: Buffer.from([0x01]) }
  )
  const second = (await raw.nextResponse<Authenticate>(36, 2)).body
  return { challenge: first.authBytes.toString('utf8'), errorCode: second.errorCode }
}
