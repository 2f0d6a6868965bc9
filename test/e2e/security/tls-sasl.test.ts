/**
 * Security end to end against a real broker process with three listeners, `PLAINTEXT`, `SSL` (PEM keystore,
 * client certificates requested and mapped by ssl.principal.mapping.rules) and `SASL_SSL` (PKCS12 keystore,
 * PLAIN users from the listener's JAAS config), with certificates made by openssl for the test. Clients:
 * kafkajs, kcat (librdkafka) and a raw client for what real clients never do.
 */

import assert from 'node:assert/strict'
import { existsSync } from 'node:fs'
import { createRequire } from 'node:module'
import { connect as tcpConnect } from 'node:net'
import { after, before, describe, it } from 'node:test'
import { setTimeout as sleep } from 'node:timers/promises'
import { connect as tlsConnect } from 'node:tls'
import type { Kafka as KafkaClient, KafkaConfig as KafkajsConfig } from 'kafkajs'
import { BrokerProcess } from '../../helpers/broker-process.js'
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

const JAAS =
  'org.apache.kafka.common.security.plain.PlainLoginModule required username="admin" password="admin-secret" user_admin="admin-secret" user_alice="alice-secret";'
const skip = !opensslAvailable && !process.env.CI ? 'openssl is not installed' : false

describe('TLS and SASL end to end', { skip }, () => {
  let certs: TestCertificates
  let broker: BrokerProcess
  let ca: string
  const bootstrap = (listener: string) => `127.0.0.1:${broker.portOf(listener)}`
  const kafkajs = (listener: string, extra: Partial<KafkajsConfig>): KafkaClient =>
    new Kafka({
      clientId: 'e2e-security',
      brokers: [bootstrap(listener)],
      logLevel: logLevel.NOTHING,
      retry: { retries: 2 },
      ...extra
    })
  const plain = (username: string, password: string): Partial<KafkajsConfig> => ({
    ssl: { ca: [ca] },
    sasl: { mechanism: 'plain', username, password }
  })

  before(async () => {
    certs = await createTestCertificates()
    ca = await certs.text('ca.pem')
    broker = await BrokerProcess.start({
      overrides: [
        'listeners=PLAINTEXT://127.0.0.1:0,SSL://127.0.0.1:0,SASL_SSL://127.0.0.1:0,SASL_PLAINTEXT://127.0.0.1:0',
        'ssl.keystore.type=PKCS12',
        `ssl.keystore.location=${certs.path('server.p12')}`,
        `ssl.keystore.password=${P12_PASSWORD}`,
        'listener.name.ssl.ssl.keystore.type=PEM',
        `listener.name.ssl.ssl.keystore.location=${certs.path('server.pem')}`,
        'ssl.truststore.type=PEM',
        `ssl.truststore.location=${certs.path('ca.pem')}`,
        'listener.name.ssl.ssl.client.auth=requested',
        'listener.name.ssl.ssl.principal.mapping.rules=RULE:^CN=([^,]*),OU=clients,.*$/$1/',
        'listener.name.sasl_ssl.sasl.enabled.mechanisms=PLAIN',
        `listener.name.sasl_ssl.plain.sasl.jaas.config=${JAAS}`,
        // SASL_PLAINTEXT takes the broker-wide SASL settings and expires sessions after a second (KIP-368).
        'sasl.enabled.mechanisms=PLAIN',
        `sasl.jaas.config=${JAAS.replace('user_alice="alice-secret"', 'user_carol="carol-secret"')}`,
        'listener.name.sasl_plaintext.connections.max.reauth.ms=1000',
        'connection.failed.authentication.delay.ms=300',
        'group.initial.rebalance.delay.ms=0',
        'offsets.topic.replication.factor=1'
      ]
    })
  })
  after(async () => {
    await broker?.stop()
    await certs?.cleanup()
  })

  it('serves kafkajs over SSL, verifying the broker against the CA', async () => {
    const kafka = kafkajs('SSL', { ssl: { ca: [ca] } })
    const admin = kafka.admin()
    await admin.connect()
    try {
      await admin.createTopics({ topics: [{ topic: 'tls-topic', numPartitions: 1 }], waitForLeaders: true })
      const meta = await admin.fetchTopicMetadata({ topics: ['tls-topic'] })
      assert.equal(meta.topics[0]?.partitions.length, 1)
    } finally {
      await admin.disconnect()
    }
    // A client that does not trust the broker's CA fails the handshake.
    const untrusting = kafkajs('SSL', { ssl: { rejectUnauthorized: true }, connectionTimeout: 2000 }).admin()
    await assert.rejects(untrusting.connect())
  })

  it('authenticates kafkajs with SASL/PLAIN over SSL, and group coordination answers on the same listener', async () => {
    const kafka = kafkajs('SASL_SSL', plain('alice', 'alice-secret'))
    const producer = kafka.producer({ allowAutoTopicCreation: true })
    await producer.connect()
    await producer.send({ topic: 'sasl-topic', acks: -1, messages: [{ key: 'k', value: 'secret value' }] })
    await producer.disconnect()
    const admin = kafka.admin()
    await admin.connect()
    try {
      // FindCoordinator must return the SASL_SSL endpoint, or kafkajs could not reach the coordinator.
      await admin.setOffsets({
        groupId: 'g-sasl',
        topic: 'sasl-topic',
        partitions: [{ partition: 0, offset: '1' }]
      })
      const offsets = await admin.fetchOffsets({ groupId: 'g-sasl', topics: ['sasl-topic'] })
      assert.equal(offsets[0]?.partitions[0]?.offset, '1')
    } finally {
      await admin.disconnect()
    }
  })

  it('refuses a wrong password with a clear error, logs it without the secret, and keeps serving others', async () => {
    const logsBefore = broker.logs.length
    const admin = kafkajs('SASL_SSL', plain('alice', 'not-the-password')).admin()
    await assert.rejects(admin.connect(), /Invalid username or password/)
    const line = await broker.waitForLog(
      (l) => l.msg === 'failed authentication' && broker.logs.indexOf(l) >= logsBefore
    )
    assert.equal(line.mechanism, 'PLAIN')
    assert.equal(line.clientAddress, '127.0.0.1')
    assert.ok(!JSON.stringify(broker.logs.slice(logsBefore)).includes('not-the-password'))
    const good = kafkajs('SASL_SSL', plain('admin', 'admin-secret')).admin()
    await good.connect()
    assert.ok((await good.listTopics()).includes('sasl-topic'))
    await good.disconnect()
  })

  it('closes a plaintext client on a TLS port without harming other connections', async () => {
    const raw = await RawKafkaClient.connect(broker.portOf('SSL'))
    raw.send({ requestApiKey: 18, requestApiVersion: 0, correlationId: 1, clientId: 'plain' }, {})
    assert.equal(await raw.waitForClose(5000), true)
    const admin = kafkajs('SSL', { ssl: { ca: [ca] } }).admin()
    await admin.connect()
    assert.ok((await admin.listTopics()).includes('tls-topic'))
    await admin.disconnect()
  })

  it('refuses a client certificate the truststore does not vouch for, even with ssl.client.auth=requested', async () => {
    const logsBefore = broker.logs.length
    const socket = await tlsOpen(broker.portOf('SSL'), ca, {
      cert: await certs.text('stranger-cert.pem'),
      key: await certs.text('stranger-key.pem')
    })
    const raw = RawKafkaClient.over(socket)
    assert.equal(await raw.waitForClose(5000), true)
    const line = await broker.waitForLog(
      (l) => l.msg === 'failed authentication' && broker.logs.indexOf(l) >= logsBefore
    )
    assert.match(String(line.reason), /client certificate not trusted/)
  })

  it('closes a SASL connection that sends any other request before authenticating', async () => {
    const raw = RawKafkaClient.over(await tlsOpen(broker.portOf('SASL_SSL'), ca))
    // ApiVersions is allowed before authentication...
    raw.send({ requestApiKey: 18, requestApiVersion: 0, correlationId: 1, clientId: 'raw' }, {})
    assert.ok(await raw.nextFrame())
    // ...Metadata is not.
    raw.send({ requestApiKey: 3, requestApiVersion: 1, correlationId: 2, clientId: 'raw' }, { topics: null })
    assert.equal(await raw.nextFrame(), null)
    assert.equal(raw.closed, true)
  })

  it('accepts SaslHandshake v0 followed by a raw PLAIN token (no SaslAuthenticate), as Kafka does', async () => {
    const raw = RawKafkaClient.over(await tlsOpen(broker.portOf('SASL_SSL'), ca))
    raw.send(
      { requestApiKey: 17, requestApiVersion: 0, correlationId: 1, clientId: 'raw' },
      { mechanism: 'PLAIN' }
    )
    const handshake = await raw.nextResponse<{ errorCode: number; mechanisms: string[] }>(17, 0)
    assert.deepEqual(handshake.body, { errorCode: 0, mechanisms: ['PLAIN'] })
    const token = Buffer.from('\u0000alice\u0000alice-secret')
    const size = Buffer.alloc(4)
    size.writeInt32BE(token.length)
    raw.write(Buffer.concat([size, token]))
    assert.equal((await raw.nextFrame())?.length, 0)
    raw.send({ requestApiKey: 3, requestApiVersion: 1, correlationId: 2, clientId: 'raw' }, { topics: null })
    const meta = await raw.nextResponse<{ brokers: { port: number }[] }>(3, 1)
    assert.deepEqual(
      meta.body.brokers.map((b) => b.port),
      [broker.portOf('SASL_SSL')]
    )
    raw.socket.destroy()
  })

  it('answers Metadata with the endpoints of the listener the client connected on', async () => {
    for (const listener of ['PLAINTEXT', 'SSL', 'SASL_SSL'] as const) {
      const socket =
        listener === 'PLAINTEXT'
          ? await tcpOpen(broker.portOf(listener))
          : await tlsOpen(broker.portOf(listener), ca)
      const raw = RawKafkaClient.over(socket)
      if (listener === 'SASL_SSL') await authenticate(raw)
      raw.send(
        { requestApiKey: 3, requestApiVersion: 1, correlationId: 9, clientId: 'raw' },
        { topics: null }
      )
      const meta = await raw.nextResponse<{ brokers: { nodeId: number; host: string; port: number }[] }>(3, 1)
      assert.deepEqual(
        meta.body.brokers.map((b) => [b.nodeId, b.host, b.port]),
        [[1, '127.0.0.1', broker.portOf(listener)]],
        listener
      )
      raw.socket.destroy()
    }
  })

  it('expires a SASL session after connections.max.reauth.ms unless the client re-authenticates (KIP-368)', async () => {
    const raw = RawKafkaClient.over(await tcpOpen(broker.portOf('SASL_PLAINTEXT')))
    // alice is a user of the SASL_SSL listener's JAAS config only.
    raw.send(
      { requestApiKey: 17, requestApiVersion: 1, correlationId: 1, clientId: 'raw' },
      { mechanism: 'PLAIN' }
    )
    await raw.nextResponse(17, 1)
    raw.send(
      { requestApiKey: 36, requestApiVersion: 2, correlationId: 2, clientId: 'raw' },
      { authBytes: Buffer.from('\u0000alice\u0000alice-secret') }
    )
    assert.equal((await raw.nextResponse<{ errorCode: number }>(36, 2)).body.errorCode, 58)
    assert.equal(await raw.waitForClose(5000), true)

    const carol = RawKafkaClient.over(await tcpOpen(broker.portOf('SASL_PLAINTEXT')))
    const lifetime = await authenticate(carol, 'carol', 'carol-secret')
    assert.equal(lifetime, 1000n)
    await sleep(600)
    // Re-authenticating renews the session on the same connection.
    assert.equal(await authenticate(carol, 'carol', 'carol-secret'), 1000n)
    await sleep(600)
    carol.send(
      { requestApiKey: 3, requestApiVersion: 1, correlationId: 3, clientId: 'raw' },
      { topics: null }
    )
    assert.ok(await carol.nextResponse(3, 1))
    await sleep(500)
    carol.send(
      { requestApiKey: 3, requestApiVersion: 1, correlationId: 4, clientId: 'raw' },
      { topics: null }
    )
    assert.equal(await carol.nextFrame(), null)
  })

  const kcatSkip = existsSync(KCAT) ? false : 'kcat is not installed'

  it('serves kcat over SSL with a client certificate mapped to a principal, and refuses an unmapped one', {
    skip: kcatSkip
  }, async () => {
    const tls = (name: string) => [
      'security.protocol=ssl',
      `ssl.ca.location=${certs.path('ca.pem')}`,
      `ssl.certificate.location=${certs.path(`${name}-cert.pem`)}`,
      `ssl.key.location=${certs.path(`${name}-key.pem`)}`
    ]
    await kcatProduce(
      bootstrap('SSL'),
      'kcat-mtls',
      [{ key: Buffer.from('a'), value: Buffer.from('mtls') }],
      {
        config: tls('alice')
      }
    )
    const consumed = await kcatConsume(bootstrap('SSL'), 'kcat-mtls', { config: tls('alice') })
    assert.deepEqual(
      consumed.map((r) => r.value?.toString()),
      ['mtls']
    )
    // No mapping rule applies to mallory's DN (OU=outsiders), so the broker refuses the connection.
    const logsBefore = broker.logs.length
    const refused = await runProcess(
      KCAT,
      ['-L', '-b', bootstrap('SSL'), '-m', '3', ...tls('mallory').flatMap((c) => ['-X', c])],
      {
        timeoutMs: 20_000
      }
    )
    assert.notEqual(refused.code, 0)
    const line = await broker.waitForLog(
      (l) => l.msg === 'failed authentication' && broker.logs.indexOf(l) >= logsBefore
    )
    assert.match(String(line.reason), /No rules apply to CN=mallory,OU=outsiders,O=Samsa Tests,C=US/)
  })

  it('serves kcat over SASL_SSL with PLAIN', { skip: kcatSkip }, async () => {
    const sasl = [
      'security.protocol=sasl_ssl',
      `ssl.ca.location=${certs.path('ca.pem')}`,
      'sasl.mechanisms=PLAIN',
      'sasl.username=alice',
      'sasl.password=alice-secret'
    ]
    await kcatProduce(bootstrap('SASL_SSL'), 'kcat-sasl', [{ key: null, value: Buffer.from('over sasl') }], {
      config: sasl
    })
    const consumed = await kcatConsume(bootstrap('SASL_SSL'), 'kcat-sasl', { config: sasl })
    assert.deepEqual(
      consumed.map((r) => r.value?.toString()),
      ['over sasl']
    )
  })
})

function tcpOpen(port: number) {
  return new Promise<import('node:net').Socket>((resolve, reject) => {
    const s = tcpConnect({ port, host: '127.0.0.1' }, () => resolve(s))
    s.once('error', reject)
  })
}

function tlsOpen(port: number, ca: string, identity: { cert?: string; key?: string } = {}) {
  return new Promise<import('node:tls').TLSSocket>((resolve, reject) => {
    const s = tlsConnect({ port, host: '127.0.0.1', ca: [ca], servername: 'localhost', ...identity }, () =>
      resolve(s)
    )
    s.once('error', reject)
  })
}

/** SaslHandshake v1 + SaslAuthenticate v2 with PLAIN; resolves with the session lifetime the broker gives. */
async function authenticate(raw: RawKafkaClient, user = 'alice', password = 'alice-secret'): Promise<bigint> {
  raw.send(
    { requestApiKey: 17, requestApiVersion: 1, correlationId: 1, clientId: 'raw' },
    { mechanism: 'PLAIN' }
  )
  await raw.nextResponse(17, 1)
  raw.send(
    { requestApiKey: 36, requestApiVersion: 2, correlationId: 2, clientId: 'raw' },
    { authBytes: Buffer.from(`\u0000${user}\u0000${password}`) }
  )
  const r = await raw.nextResponse<{ errorCode: number; sessionLifetimeMs: bigint }>(36, 2)
  assert.equal(r.body.errorCode, 0)
  return r.body.sessionLifetimeMs
}
