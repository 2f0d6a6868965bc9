/**
 * The client commands over SASL_SSL with PLAIN, against a broker configured like README's "A secure single
 * broker" (SASL_SSL and SSL listeners, PEM keystore and truststore, PLAIN users in the listener's JAAS entry),
 * with the settings given as flags, as -X pairs, as environment variables and as a profile.
 */

import assert from 'node:assert/strict'
import { writeFile } from 'node:fs/promises'
import { after, before, describe, it } from 'node:test'
import { BrokerProcess } from '../../helpers/broker-process.js'
import {
  createTestCertificates,
  opensslAvailable,
  type TestCertificates
} from '../../helpers/test-certificates.js'
import { samsa } from './samsa-cli.js'

const JAAS =
  'org.apache.kafka.common.security.plain.PlainLoginModule required username="admin" password="admin-secret" user_admin="admin-secret" user_alice="alice-secret";'
const skip = !opensslAvailable && !process.env.CI ? 'openssl is not installed' : false

describe('samsa client commands over SASL_SSL', { skip }, () => {
  let certs: TestCertificates
  let broker: BrokerProcess
  let tls: string[]

  before(async () => {
    certs = await createTestCertificates()
    broker = await BrokerProcess.start({
      overrides: [
        'listeners=SASL_SSL://127.0.0.1:0,SSL://127.0.0.1:0',
        'inter.broker.listener.name=SASL_SSL',
        'ssl.keystore.type=PEM',
        `ssl.keystore.location=${certs.path('server.pem')}`,
        'ssl.truststore.type=PEM',
        `ssl.truststore.location=${certs.path('ca.pem')}`,
        'sasl.enabled.mechanisms=PLAIN',
        'sasl.mechanism.inter.broker.protocol=PLAIN',
        `listener.name.sasl_ssl.plain.sasl.jaas.config=${JAAS}`,
        'listener.name.ssl.ssl.client.auth=required',
        'group.initial.rebalance.delay.ms=0',
        'offsets.topic.replication.factor=1'
      ]
    })
    tls = ['--brokers', `127.0.0.1:${broker.portOf('SASL_SSL')}`, '--tls-ca', certs.path('ca.pem')]
  })
  after(async () => {
    await broker?.stop()
    await certs?.cleanup()
  })

  it('creates, produces to and consumes from a topic as a PLAIN user', async () => {
    const alice = [...tls, '--sasl-mechanism', 'PLAIN', '--user', 'alice', '--password', 'alice-secret']
    const created = await samsa(['topic', 'create', 'secure', '-p', '3', '--format', 'json', ...alice])
    assert.equal(created.code, 0, created.stderr)
    assert.equal((JSON.parse(created.stdout) as { partitions: number }[])[0]?.partitions, 3)
    const produced = await samsa(['produce', 'secure', '-k', ':', '-H', 'h=1', ...alice], {
      stdin: 'a:1\nb:2\n'
    })
    assert.equal(produced.code, 0, produced.stderr)
    const consumed = await samsa(['consume', 'secure', '-n', '2', '-f', '%k=%v %h\\n', ...alice])
    assert.equal(consumed.code, 0, consumed.stderr)
    assert.deepEqual(consumed.stdout.trim().split('\n').sort(), ['a=1 h=1', 'b=2 h=1'])
  })

  it('takes the settings from -X, the environment and a profile', async () => {
    const x = await samsa([
      'topic',
      'list',
      '--format',
      'json',
      '-X',
      `brokers=127.0.0.1:${broker.portOf('SASL_SSL')}`,
      '-X',
      `tls.ca=${certs.path('ca.pem')}`,
      '-X',
      'sasl.mechanism=PLAIN',
      '-X',
      'user=admin',
      '-X',
      'pass=admin-secret'
    ])
    assert.equal(x.code, 0, x.stderr)
    const env = await samsa(['cluster', 'info', '--format', 'json'], {
      env: {
        SAMSA_BROKERS: `127.0.0.1:${broker.portOf('SASL_SSL')}`,
        SAMSA_TLS_ENABLED: 'true',
        SAMSA_TLS_CA: certs.path('ca.pem'),
        SAMSA_SASL_MECHANISM: 'PLAIN',
        SAMSA_USER: 'admin',
        SAMSA_PASSWORD: 'admin-secret'
      }
    })
    assert.equal(env.code, 0, env.stderr)
    const profile = `${certs.dir}/profile.yaml`
    await writeFile(
      profile,
      `kafka_api:\n  brokers: [127.0.0.1:${broker.portOf('SASL_SSL')}]\n  tls:\n    ca_file: ${certs.path('ca.pem')}\n  sasl:\n    mechanism: PLAIN\n    user: alice\n    password: alice-secret\n`
    )
    const p = await samsa(['cluster', 'health', '--profile', profile, '--format', 'json'])
    assert.equal(p.code, 0, p.stderr)
    assert.equal((JSON.parse(p.stdout) as { healthy: boolean }).healthy, true)
  })

  it('exits 1 on a wrong password', async () => {
    const r = await samsa(['topic', 'list', ...tls, '--user', 'alice', '--password', 'wrong'])
    assert.equal(r.code, 1)
    assert.match(r.stderr, /samsa: .*(SASL|[Aa]uthentication)/)
  })
})
