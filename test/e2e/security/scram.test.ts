/**
 * SASL/SCRAM end to end against a real broker process: the first user comes from `samsa storage format
 * --add-scram` before the broker's first start, another from AlterUserScramCredentials; kafkajs (SCRAM-SHA-256
 * and SCRAM-SHA-512) and kcat (librdkafka, SCRAM-SHA-512) authenticate over SASL_SSL, a wrong password is
 * refused, and a credential change is in force for the next login without a restart.
 */

import assert from 'node:assert/strict'
import { pbkdf2Sync, randomBytes } from 'node:crypto'
import { existsSync } from 'node:fs'
import { mkdtemp, rm } from 'node:fs/promises'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import type { Kafka as KafkaClient, SASLOptions } from 'kafkajs'
import type { AlterUserScramCredentialsResponse } from '../../../src/protocol/messages/alter-user-scram-credentials.js'
import { SCRAM_SHA_512 } from '../../../src/security/scram/scram-mechanism.js'
import { BrokerProcess, runCli } from '../../helpers/broker-process.js'
import {
  createTestCertificates,
  opensslAvailable,
  type TestCertificates
} from '../../helpers/test-certificates.js'
import { rawRequest } from '../../server/handlers/admin-request.js'
import { KCAT, kcatConsume, kcatProduce } from '../support/kcat.js'

const require = createRequire(import.meta.url)
const { Kafka, logLevel } = require('kafkajs') as typeof import('kafkajs')

const skip = !opensslAvailable && !process.env.CI ? 'openssl is not installed' : false
const kcatSkip = existsSync(KCAT) ? false : 'kcat is not installed'
const SCRAM_JAAS = 'org.apache.kafka.common.security.scram.ScramLoginModule required;'

describe('SASL/SCRAM end to end', { skip, timeout: 120_000 }, () => {
  let certs: TestCertificates
  let broker: BrokerProcess
  let ca: string
  let dir: string
  const kafkajs = (sasl: SASLOptions): KafkaClient =>
    new Kafka({
      clientId: 'e2e-scram',
      brokers: [`127.0.0.1:${broker.portOf('SASL_SSL')}`],
      logLevel: logLevel.NOTHING,
      retry: { retries: 0 },
      ssl: { ca: [ca] },
      sasl
    })
  const setPassword = async (user: string, password: string) => {
    const salt = randomBytes(24)
    const saltedPassword = pbkdf2Sync(password, salt, 4096, SCRAM_SHA_512.keyLength, SCRAM_SHA_512.hash)
    const response = await rawRequest<AlterUserScramCredentialsResponse>(broker.portOf('PLAINTEXT'), 51, 0, {
      deletions: [],
      upsertions: [{ name: user, mechanism: SCRAM_SHA_512.type, iterations: 4096, salt, saltedPassword }]
    })
    assert.deepEqual(response.results, [{ user, errorCode: 0, errorMessage: null }])
  }

  before(async () => {
    certs = await createTestCertificates()
    ca = await certs.text('ca.pem')
    dir = await mkdtemp(join(tmpdir(), 'samsa-scram-sasl-'))
    const formatted = await runCli([
      'storage',
      'format',
      '--override',
      `log.dirs=${dir}`,
      '--add-scram',
      'SCRAM-SHA-256=[name=admin,password=admin-secret]'
    ])
    assert.equal(formatted.code, 0, formatted.stderr)
    broker = await BrokerProcess.start({
      overrides: [
        `log.dirs=${dir}`,
        'listeners=PLAINTEXT://127.0.0.1:0,SASL_SSL://127.0.0.1:0',
        'ssl.keystore.type=PEM',
        `ssl.keystore.location=${certs.path('server.pem')}`,
        'listener.name.sasl_ssl.sasl.enabled.mechanisms=SCRAM-SHA-256,SCRAM-SHA-512',
        `listener.name.sasl_ssl.scram-sha-256.sasl.jaas.config=${SCRAM_JAAS}`,
        `listener.name.sasl_ssl.scram-sha-512.sasl.jaas.config=${SCRAM_JAAS}`,
        'connection.failed.authentication.delay.ms=100',
        'offsets.topic.replication.factor=1'
      ]
    })
    await setPassword('alice', 'alice-secret')
  })
  after(async () => {
    await broker?.stop()
    await certs?.cleanup()
    if (dir) await rm(dir, { recursive: true, force: true })
  })

  it('authenticates kafkajs with SCRAM-SHA-256 (the formatted admin) and SCRAM-SHA-512 (an altered user)', async () => {
    const admin = kafkajs({ mechanism: 'scram-sha-256', username: 'admin', password: 'admin-secret' }).admin()
    await admin.connect()
    try {
      await admin.createTopics({ topics: [{ topic: 'scram-topic', numPartitions: 1 }], waitForLeaders: true })
    } finally {
      await admin.disconnect()
    }
    const producer = kafkajs({
      mechanism: 'scram-sha-512',
      username: 'alice',
      password: 'alice-secret'
    }).producer()
    await producer.connect()
    try {
      await producer.send({ topic: 'scram-topic', acks: -1, messages: [{ value: 'over scram' }] })
    } finally {
      await producer.disconnect()
    }
  })

  it("refuses a wrong password, an unknown user and the wrong mechanism with Kafka's message", async () => {
    const logsBefore = broker.logs.length
    const attempts: [SASLOptions, string][] = [
      [{ mechanism: 'scram-sha-512', username: 'alice', password: 'wrong' }, 'SCRAM-SHA-512'],
      [{ mechanism: 'scram-sha-256', username: 'mallory', password: 'x' }, 'SCRAM-SHA-256'],
      // alice has no SCRAM-SHA-256 credential.
      [{ mechanism: 'scram-sha-256', username: 'alice', password: 'alice-secret' }, 'SCRAM-SHA-256']
    ]
    for (const [sasl, mechanism] of attempts) {
      await assert.rejects(
        kafkajs(sasl).admin().connect(),
        new RegExp(
          `Authentication failed during authentication due to invalid credentials with SASL mechanism ${mechanism}`
        )
      )
    }
    await broker.waitForLog((l) => l.msg === 'failed authentication' && broker.logs.indexOf(l) >= logsBefore)
    const logged = JSON.stringify(broker.logs.slice(logsBefore))
    assert.doesNotMatch(logged, /alice-secret|"wrong"/)
  })

  it('a changed password is in force for the next login, without a restart', async () => {
    await setPassword('alice', 'new-secret')
    const old = kafkajs({ mechanism: 'scram-sha-512', username: 'alice', password: 'alice-secret' }).admin()
    await assert.rejects(old.connect(), /invalid credentials/)
    const renewed = kafkajs({ mechanism: 'scram-sha-512', username: 'alice', password: 'new-secret' }).admin()
    await renewed.connect()
    await renewed.disconnect()
  })

  it('serves kcat (librdkafka) over SASL_SSL with SCRAM-SHA-256', { skip: kcatSkip }, async () => {
    const sasl = [
      'security.protocol=sasl_ssl',
      `ssl.ca.location=${certs.path('ca.pem')}`,
      'sasl.mechanisms=SCRAM-SHA-256',
      'sasl.username=admin',
      'sasl.password=admin-secret'
    ]
    const bootstrap = `127.0.0.1:${broker.portOf('SASL_SSL')}`
    await kcatProduce(bootstrap, 'kcat-scram', [{ key: null, value: Buffer.from('kcat over scram') }], {
      config: sasl
    })
    const consumed = await kcatConsume(bootstrap, 'kcat-scram', { config: sasl })
    assert.deepEqual(
      consumed.map((r) => r.value?.toString()),
      ['kcat over scram']
    )
  })
})
