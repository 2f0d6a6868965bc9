/**
 * python3-confluent-kafka (librdkafka 2.0.2, OpenSSL) over every secured listener kind, against a real broker:
 * SSL with CA and hostname verification (`ssl.endpoint.identification.algorithm=https` against the
 * certificate's subjectAltNames), mutual TLS on a listener with ssl.client.auth=required, SASL_SSL with PLAIN,
 * SCRAM-SHA-256 and SCRAM-SHA-512, OAUTHBEARER with librdkafka's own unsecured JWT on a listener configured
 * for Kafka's unsecured validator, and signed JWTs from the client's `oauth_cb` on a JWKS-validated listener.
 * The refusals: a client certificate from another CA, no client certificate where one is required, an
 * expired and a wrongly signed JWT, and a broker certificate that does not name the host (refused by the
 * client); after each the broker still serves good clients. @platformatic/kafka authenticates with
 * SCRAM-SHA-256 and -512 on the same SASL_SSL listener.
 */

import assert from 'node:assert/strict'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { Producer } from '@platformatic/kafka'
import { BrokerProcess, runCli } from '../../helpers/broker-process.js'
import { JwksServer, jwks, type SigningKey, signedToken, signingKey } from '../../helpers/oauth-tokens.js'
import {
  createTestCertificates,
  issueFromOtherCa,
  issueServerCertificate,
  opensslAvailable,
  type TestCertificates
} from '../../helpers/test-certificates.js'
import { PYTHON } from '../support/confluent.js'
import { runProcess } from '../support/run-process.js'

const LOGIN_MODULE = 'org.apache.kafka.common.security.oauthbearer.OAuthBearerLoginModule'
const SECURED = 'org.apache.kafka.common.security.oauthbearer.OAuthBearerValidatorCallbackHandler'
const UNSECURED =
  'org.apache.kafka.common.security.oauthbearer.internals.unsecured.OAuthBearerUnsecuredValidatorCallbackHandler'
const SCRAM_JAAS = 'org.apache.kafka.common.security.scram.ScramLoginModule required;'
const PLAIN_JAAS =
  'org.apache.kafka.common.security.plain.PlainLoginModule required user_alice="alice-secret";'
const ISSUER = 'https://issuer.samsa.test'

/**
 * One client run: `roundtrip` produces `values` to partition 0 and reads the partition back; `metadata` asks
 * for metadata once. librdkafka's error_cb messages are collected (what an application would see), and
 * `oauthToken` is handed out by an oauth_cb.
 */
const PROGRAM = `
import json, sys, time
from confluent_kafka import Consumer, KafkaException, Producer, TopicPartition

cmd = json.load(sys.stdin)
errors = []
conf = {'bootstrap.servers': cmd['bootstrap'], 'error_cb': lambda err: errors.append(err.str())}
conf.update(cmd.get('config', {}))
if 'oauthToken' in cmd:
    conf['oauth_cb'] = lambda _config: (cmd['oauthToken'], time.time() + 600)
out = {}
if cmd['action'] == 'roundtrip':
    p = Producer(conf)
    reports = []
    for v in cmd['values']:
        p.produce(cmd['topic'], value=v.encode(), partition=0,
                  on_delivery=lambda err, msg: reports.append(None if err is None else err.str()))
    out['unflushed'] = p.flush(20)
    out['reports'] = reports
    c = Consumer(dict(conf, **{'group.id': 'confluent-security', 'enable.auto.commit': False,
                               'enable.partition.eof': True}))
    c.assign([TopicPartition(cmd['topic'], 0, 0)])
    values = []
    deadline = time.time() + 20
    while time.time() < deadline:
        m = c.poll(0.5)
        if m is None:
            continue
        if m.error():
            if m.error().code() != -191:  # _PARTITION_EOF
                errors.append(m.error().str())
            break
        values.append(m.value().decode())
    c.close()
    out['values'] = values
elif cmd['action'] == 'metadata':
    p = Producer(conf)
    if 'oauthToken' in cmd:
        p.poll(0.5)  # oauth_cb runs from poll(): the token is there before the first request
    try:
        md = p.list_topics(timeout=cmd.get('timeout', 6))
        out['brokers'] = [[b.host, b.port] for b in md.brokers.values()]
    except KafkaException as ex:
        out['failure'] = ex.args[0].str()
    p.poll(0.5)
out['errors'] = errors
json.dump(out, sys.stdout)
`

interface PyResult {
  errors: string[]
  values?: string[]
  reports?: (string | null)[]
  unflushed?: number
  brokers?: [string, number][]
  failure?: string
}

async function python(command: Record<string, unknown>): Promise<PyResult> {
  const r = await runProcess(PYTHON, ['-c', PROGRAM], { input: JSON.stringify(command), timeoutMs: 60_000 })
  if (r.code !== 0) throw new Error(`python confluent-kafka exited ${r.code ?? r.signal}: ${r.stderr}`)
  return JSON.parse(r.stdout.toString('utf8')) as PyResult
}

const skip = !opensslAvailable && !process.env.CI ? 'openssl is not installed' : false

describe('confluent-kafka (python) over SSL and SASL_SSL', { skip, timeout: 300_000 }, () => {
  let certs: TestCertificates
  let idp: JwksServer
  let key: SigningKey
  let dir: string
  let broker: BrokerProcess
  const bootstrap = (listener: string) => `127.0.0.1:${broker.portOf(listener)}`
  const tls = () => ({ 'ssl.ca.location': certs.path('ca.pem') })
  const clientCert = (name: string) => ({
    'ssl.certificate.location': certs.path(`${name}-cert.pem`),
    'ssl.key.location': certs.path(`${name}-key.pem`)
  })
  const roundtrip = (listener: string, topic: string, config: Record<string, unknown>, extra = {}) =>
    python({
      action: 'roundtrip',
      bootstrap: bootstrap(listener),
      topic,
      values: [topic, 'two'],
      config,
      ...extra
    })
  const metadata = (listener: string, config: Record<string, unknown>, extra = {}) =>
    python({ action: 'metadata', bootstrap: bootstrap(listener), config, ...extra })
  const assertRoundtrip = (r: PyResult, topic: string) => {
    assert.equal(r.unflushed, 0, JSON.stringify(r))
    assert.deepEqual(r.reports, [null, null], JSON.stringify(r))
    assert.deepEqual(r.values, [topic, 'two'], JSON.stringify(r))
  }
  /** After a refusal the broker still serves: mutual TLS and SCRAM clients get metadata. */
  const stillServing = async () => {
    const mtls = await metadata('MTLS', { 'security.protocol': 'ssl', ...tls(), ...clientCert('alice') })
    assert.deepEqual(mtls.brokers, [['127.0.0.1', broker.portOf('MTLS')]], JSON.stringify(mtls))
    const sasl = await metadata('SASL_SSL', scram('SCRAM-SHA-512'))
    assert.deepEqual(sasl.brokers, [['127.0.0.1', broker.portOf('SASL_SSL')]], JSON.stringify(sasl))
  }
  const scram = (mechanism: string, password = 'alice-secret') => ({
    'security.protocol': 'sasl_ssl',
    ...tls(),
    'sasl.mechanisms': mechanism,
    'sasl.username': 'alice',
    'sasl.password': password
  })
  const jwtListener = () => ({
    'security.protocol': 'sasl_ssl',
    ...tls(),
    'sasl.mechanisms': 'OAUTHBEARER'
  })

  before(async () => {
    certs = await createTestCertificates()
    await issueServerCertificate(certs, 'wronghost', 'DNS:wrong.samsa.test')
    await issueFromOtherCa(certs, 'impostor')
    key = await signingKey('RS256', 'confluent-key')
    idp = await JwksServer.start(jwks(key))
    dir = await mkdtemp(join(tmpdir(), 'samsa-confluent-security-'))
    const formatted = await runCli([
      'storage',
      'format',
      '--override',
      `log.dirs=${dir}`,
      '--add-scram',
      'SCRAM-SHA-256=[name=alice,password=alice-secret]',
      '--add-scram',
      'SCRAM-SHA-512=[name=alice,password=alice-secret]'
    ])
    assert.equal(formatted.code, 0, formatted.stderr)
    const listeners = ['PLAINTEXT', 'SSL', 'MTLS', 'WRONGHOST', 'SASL_SSL', 'UNSECURED', 'JWT']
    const protocol: Record<string, string> = {
      MTLS: 'SSL',
      WRONGHOST: 'SSL',
      UNSECURED: 'SASL_SSL',
      JWT: 'SASL_SSL'
    }
    broker = await BrokerProcess.start({
      overrides: [
        `log.dirs=${dir}`,
        `listeners=${listeners.map((l) => `${l}://127.0.0.1:0`).join(',')}`,
        `listener.security.protocol.map=${listeners.map((l) => `${l}:${protocol[l] ?? l}`).join(',')}`,
        'inter.broker.listener.name=PLAINTEXT',
        'ssl.keystore.type=PEM',
        `ssl.keystore.location=${certs.path('server.pem')}`,
        'ssl.truststore.type=PEM',
        `ssl.truststore.location=${certs.path('ca.pem')}`,
        'listener.name.mtls.ssl.client.auth=required',
        `listener.name.wronghost.ssl.keystore.location=${certs.path('wronghost.pem')}`,
        'listener.name.sasl_ssl.sasl.enabled.mechanisms=PLAIN,SCRAM-SHA-256,SCRAM-SHA-512',
        `listener.name.sasl_ssl.plain.sasl.jaas.config=${PLAIN_JAAS}`,
        `listener.name.sasl_ssl.scram-sha-256.sasl.jaas.config=${SCRAM_JAAS}`,
        `listener.name.sasl_ssl.scram-sha-512.sasl.jaas.config=${SCRAM_JAAS}`,
        'listener.name.unsecured.sasl.enabled.mechanisms=OAUTHBEARER',
        `listener.name.unsecured.oauthbearer.sasl.jaas.config=${LOGIN_MODULE} required ;`,
        `listener.name.unsecured.oauthbearer.sasl.server.callback.handler.class=${UNSECURED}`,
        'listener.name.jwt.sasl.enabled.mechanisms=OAUTHBEARER',
        `listener.name.jwt.oauthbearer.sasl.jaas.config=${LOGIN_MODULE} required ;`,
        `listener.name.jwt.oauthbearer.sasl.server.callback.handler.class=${SECURED}`,
        `listener.name.jwt.oauthbearer.sasl.oauthbearer.jwks.endpoint.url=${idp.url}`,
        'listener.name.jwt.sasl.oauthbearer.expected.audience=kafka',
        `sasl.oauthbearer.expected.issuer=${ISSUER}`,
        'connection.failed.authentication.delay.ms=100',
        'offsets.topic.replication.factor=1'
      ],
      // The broker logs refused TLS handshakes (a client certificate it does not trust) at debug level.
      args: ['--log-level', 'debug'],
      startTimeoutMs: 20_000
    })
  })
  after(async () => {
    await broker?.stop()
    await idp?.close()
    await certs?.cleanup()
    if (dir) await rm(dir, { recursive: true, force: true })
  })

  it('SSL with CA and hostname verification: the certificate names 127.0.0.1 and localhost', async () => {
    const config = { 'security.protocol': 'ssl', ...tls(), 'ssl.endpoint.identification.algorithm': 'https' }
    assertRoundtrip(await roundtrip('SSL', 'py-ssl', config), 'py-ssl')
    // Bootstrapping by name verifies the DNS subjectAltName; metadata then leads to 127.0.0.1 (the IP one).
    const byName = await python({
      action: 'metadata',
      bootstrap: `localhost:${broker.portOf('SSL')}`,
      config
    })
    assert.deepEqual(byName.brokers, [['127.0.0.1', broker.portOf('SSL')]], JSON.stringify(byName))
  })

  it('mutual TLS on a listener that requires a client certificate', async () => {
    const config = { 'security.protocol': 'ssl', ...tls(), ...clientCert('alice') }
    assertRoundtrip(await roundtrip('MTLS', 'py-mtls', config), 'py-mtls')
  })

  it('SASL_SSL with PLAIN, SCRAM-SHA-256 and SCRAM-SHA-512', async () => {
    const plain = { ...scram('PLAIN') }
    assertRoundtrip(await roundtrip('SASL_SSL', 'py-plain', plain), 'py-plain')
    assertRoundtrip(await roundtrip('SASL_SSL', 'py-scram-256', scram('SCRAM-SHA-256')), 'py-scram-256')
    assertRoundtrip(await roundtrip('SASL_SSL', 'py-scram-512', scram('SCRAM-SHA-512')), 'py-scram-512')
    const wrong = await metadata('SASL_SSL', scram('SCRAM-SHA-512', 'not-the-password'))
    assert.equal(wrong.brokers, undefined)
    assert.ok(
      wrong.errors.some((e) =>
        /SASL authentication error: Authentication failed during authentication/.test(e)
      ),
      JSON.stringify(wrong)
    )
  })

  it("OAUTHBEARER with librdkafka's unsecured JWT (the default method) on the unsecured listener", async () => {
    // Debian's librdkafka is built without OIDC, so sasl.oauthbearer.method cannot even be set: `default`, the
    // unsecured JWT from sasl.oauthbearer.config, is the only method it has.
    const config = {
      ...jwtListener(),
      'enable.sasl.oauthbearer.unsecure.jwt': true,
      'sasl.oauthbearer.config': 'principal=alice'
    }
    assertRoundtrip(await roundtrip('UNSECURED', 'py-oauth-unsecured', config), 'py-oauth-unsecured')
    // The JWKS-validated listener never takes an unsigned token.
    const refused = await metadata('JWT', config)
    assert.equal(refused.brokers, undefined)
    assert.ok(
      refused.errors.some((e) => e.includes('SASL authentication error: {"status":"invalid_token"}')),
      JSON.stringify(refused)
    )
  })

  it('OAUTHBEARER with signed JWTs from oauth_cb on the JWKS-validated listener; expired and forged ones are refused', async () => {
    const good = await signedToken(key, { aud: 'kafka', iss: ISSUER, sub: 'py-service' })
    assertRoundtrip(
      await roundtrip('JWT', 'py-oauth-jwt', jwtListener(), { oauthToken: good }),
      'py-oauth-jwt'
    )
    const past = Math.floor(Date.now() / 1000) - 600
    const forger = await signingKey('RS256', 'confluent-key')
    const bad = [
      await signedToken(key, { aud: 'kafka', iss: ISSUER, iat: past - 60, exp: past }),
      await signedToken(forger, { aud: 'kafka', iss: ISSUER })
    ]
    for (const token of bad) {
      const refused = await metadata('JWT', jwtListener(), { oauthToken: token })
      assert.equal(refused.brokers, undefined)
      assert.ok(
        refused.errors.some((e) => e.includes('SASL authentication error: {"status":"invalid_token"}')),
        JSON.stringify(refused)
      )
    }
    await stillServing()
  })

  it('refuses a client certificate from another CA and a missing one where ssl.client.auth=required', async () => {
    for (const identity of [clientCert('impostor'), {}]) {
      const logsBefore = broker.logs.length
      const refused = await metadata('MTLS', { 'security.protocol': 'ssl', ...tls(), ...identity })
      assert.equal(refused.brokers, undefined)
      // Under TLS 1.3 the client has finished its handshake when the broker refuses its certificate, so
      // librdkafka reports the refusal at its first read: the broker's alert (`tlsv13 alert certificate
      // required`, `alert unknown ca`) when it arrives before the close, else an unexpected EOF.
      assert.ok(
        refused.errors.some((e) => /SSL handshake failed|SSL alert|unexpected eof while reading/.test(e)),
        JSON.stringify(refused)
      )
      const line = await broker.waitForLog(
        (l) => broker.logs.indexOf(l) >= logsBefore && l.msg === 'TLS handshake failed'
      )
      // Node reports these refusals to the server as a bare 'socket hang up': the line says where, not why.
      assert.equal(line.listener, 'MTLS')
    }
    await stillServing()
  })

  it('refuses, on the client, a broker certificate that does not name the host', async () => {
    const config = { 'security.protocol': 'ssl', ...tls(), 'ssl.endpoint.identification.algorithm': 'https' }
    const refused = await metadata('WRONGHOST', config)
    assert.equal(refused.brokers, undefined)
    assert.ok(
      refused.errors.some((e) =>
        /certificate verify failed|Broker certificate could not be verified/.test(e)
      ),
      JSON.stringify(refused)
    )
    // The same certificate is trusted when the name is not checked: the refusal was about the name alone.
    const unchecked = await metadata('WRONGHOST', {
      ...config,
      'ssl.endpoint.identification.algorithm': 'none'
    })
    assert.deepEqual(
      unchecked.brokers,
      [['127.0.0.1', broker.portOf('WRONGHOST')]],
      JSON.stringify(unchecked)
    )
    await stillServing()
  })

  for (const mechanism of ['SCRAM-SHA-256', 'SCRAM-SHA-512'] as const) {
    it(`@platformatic/kafka authenticates with ${mechanism} over SASL_SSL`, async () => {
      const producer = new Producer({
        clientId: `e2e-platformatic-${mechanism}`,
        bootstrapBrokers: [bootstrap('SASL_SSL')],
        tls: { ca: [await certs.text('ca.pem')], servername: 'localhost' },
        sasl: { mechanism, username: 'alice', password: 'alice-secret' },
        autocreateTopics: true,
        retries: 2,
        retryDelay: 100
      })
      const topic = `platformatic-${mechanism.toLowerCase()}`
      try {
        const result = await producer.send({ messages: [{ topic, value: Buffer.from('p') }] })
        assert.equal(result.offsets?.[0]?.offset, 0n)
      } finally {
        await producer.close()
      }
      // What it wrote is read back by another client.
      const r = await python({
        action: 'roundtrip',
        bootstrap: bootstrap('SASL_SSL'),
        topic,
        values: [],
        config: scram(mechanism)
      })
      assert.deepEqual(r.values, ['p'], JSON.stringify(r))
      const wrong = new Producer({
        clientId: `e2e-platformatic-${mechanism}-wrong`,
        bootstrapBrokers: [bootstrap('SASL_SSL')],
        tls: { ca: [await certs.text('ca.pem')], servername: 'localhost' },
        sasl: { mechanism, username: 'alice', password: 'wrong' },
        retries: 0
      })
      try {
        await assert.rejects(wrong.send({ messages: [{ topic, value: Buffer.from('x') }] }))
      } finally {
        await wrong.close()
      }
    })
  }
})
