import assert from 'node:assert/strict'
import { execFileSync } from 'node:child_process'
import { writeFile } from 'node:fs/promises'
import { after, before, describe, it } from 'node:test'
import { ConfigError } from '../../src/config/config-error.js'
import { KafkaConfig } from '../../src/config/kafka-config.js'
import { listenerSecurity } from '../../src/security/listener-security.js'
import {
  createTestCertificates,
  OPENSSL,
  opensslAvailable,
  P12_PASSWORD,
  type TestCertificates
} from '../helpers/test-certificates.js'

const JAAS = 'org.apache.kafka.common.security.plain.PlainLoginModule required user_alice="alice-secret";'

const securityOf = (props: Record<string, string>) => {
  const config = new KafkaConfig(new Map(Object.entries(props)))
  return config.listeners.map((l) => listenerSecurity(config, l))
}

function rejects(props: Record<string, string>, message: RegExp): void {
  assert.throws(
    () => securityOf(props),
    (err: unknown) =>
      err instanceof ConfigError &&
      message.test(err.message) &&
      !/alice-secret|changeit|key-pw/.test(err.message)
  )
}

describe('listener security settings', {
  skip: !opensslAvailable && !process.env.CI ? 'no openssl' : false
}, () => {
  let certs: TestCertificates
  before(async () => {
    certs = await createTestCertificates()
  })
  after(() => certs?.cleanup())

  it('builds PEM file, inline PEM and PKCS12 keystores and a PEM truststore', async () => {
    const [pem] = securityOf({
      listeners: 'SSL://127.0.0.1:0',
      'ssl.keystore.type': 'PEM',
      'ssl.keystore.location': certs.path('server.pem'),
      'ssl.truststore.type': 'PEM',
      'ssl.truststore.location': certs.path('ca.pem'),
      'ssl.client.auth': 'required'
    })
    assert.equal(pem?.tls?.clientAuth, 'required')
    assert.equal(pem?.tls?.options.rejectUnauthorized, true)
    assert.equal(pem?.saslMechanisms, null)
    const [inline] = securityOf({
      listeners: 'SSL://127.0.0.1:0',
      'ssl.keystore.type': 'PEM',
      'ssl.keystore.key': await certs.text('server-key.pem'),
      'ssl.keystore.certificate.chain': await certs.text('server-cert.pem'),
      'ssl.enabled.protocols': 'TLSv1.3'
    })
    assert.equal(inline?.tls?.options.minVersion, 'TLSv1.3')
    const [p12] = securityOf({
      listeners: 'SASL_SSL://127.0.0.1:0',
      'ssl.keystore.type': 'PKCS12',
      'ssl.keystore.location': certs.path('server.p12'),
      'ssl.keystore.password': P12_PASSWORD,
      'sasl.enabled.mechanisms': 'PLAIN',
      'sasl.jaas.config': JAAS
    })
    assert.deepEqual([...(p12?.saslMechanisms?.keys() ?? [])], ['PLAIN'])
  })

  it('decrypts a PEM key with ssl.key.password and takes inline truststore certificates', async () => {
    execFileSync(OPENSSL, [
      'pkey',
      '-in',
      certs.path('server-key.pem'),
      '-aes256',
      '-passout',
      'pass:key-pw',
      '-out',
      certs.path('enc-key.pem')
    ])
    const encrypted = `${await certs.text('enc-key.pem')}${await certs.text('server-cert.pem')}`
    await writeFile(certs.path('server-enc.pem'), encrypted)
    const base = {
      listeners: 'SSL://127.0.0.1:0',
      'ssl.keystore.type': 'PEM',
      'ssl.keystore.location': certs.path('server-enc.pem'),
      'ssl.truststore.type': 'PEM',
      'ssl.truststore.certificates': await certs.text('ca.pem'),
      'ssl.client.auth': 'required'
    }
    const [ok] = securityOf({ ...base, 'ssl.key.password': 'key-pw' })
    assert.equal(ok?.tls?.options.ca?.length, 1)
    rejects(
      { ...base, 'ssl.key.password': 'wrong' },
      /ssl\.keystore\.location: TLS settings of listener SSL are unusable/
    )
  })

  it('names the key at fault for unusable TLS settings, never echoing secrets', () => {
    rejects(
      { listeners: 'SSL://127.0.0.1:0' },
      /ssl\.keystore\.location: listener SSL uses TLS and needs a keystore/
    )
    rejects(
      { listeners: 'SSL://127.0.0.1:0', 'ssl.keystore.location': certs.path('server.p12') },
      /ssl\.keystore\.type: Samsa reads PKCS12 and PEM keystores/
    )
    rejects(
      {
        listeners: 'SSL://127.0.0.1:0',
        'ssl.keystore.type': 'PKCS12',
        'ssl.keystore.location': certs.path('server.p12'),
        'ssl.keystore.password': 'wrong-password'
      },
      /ssl\.keystore\.location: TLS settings of listener SSL are unusable/
    )
    rejects(
      {
        listeners: 'SSL://127.0.0.1:0',
        'listener.name.ssl.ssl.keystore.type': 'PEM',
        'listener.name.ssl.ssl.keystore.location': '/no/such/file.pem'
      },
      /listener\.name\.ssl\.ssl\.keystore\.location: cannot be read/
    )
    rejects(
      {
        listeners: 'SSL://127.0.0.1:0',
        'ssl.keystore.type': 'PEM',
        'ssl.keystore.location': certs.path('server.pem'),
        'listener.name.ssl.ssl.client.auth': 'required'
      },
      /listener\.name\.ssl\.ssl\.client\.auth: client certificates need a truststore/
    )
  })

  it('takes cipher suites by their standard names and refuses unknown ones naming the key', () => {
    const base = {
      listeners: 'SSL://127.0.0.1:0',
      'ssl.keystore.type': 'PEM',
      'ssl.keystore.location': certs.path('server.pem')
    }
    const [ok] = securityOf({
      ...base,
      'ssl.cipher.suites': 'TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,TLS_AES_128_GCM_SHA256'
    })
    assert.equal(ok?.tls?.options.ciphers, 'TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384:TLS_AES_128_GCM_SHA256')
    rejects({ ...base, 'ssl.cipher.suites': 'NO_SUCH_SUITE' }, /ssl\.cipher\.suites: names no cipher suite/)
  })

  it('names the key at fault for unusable SASL settings', () => {
    rejects(
      { listeners: 'SASL_PLAINTEXT://127.0.0.1:0' },
      /sasl\.enabled\.mechanisms: mechanism GSSAPI is not supported; supported mechanisms are \[PLAIN, SCRAM-SHA-256, SCRAM-SHA-512, OAUTHBEARER, AWS_MSK_IAM\]/
    )
    rejects(
      {
        listeners: 'SASL_PLAINTEXT://127.0.0.1:0',
        'listener.name.sasl_plaintext.sasl.enabled.mechanisms': 'PLAIN'
      },
      /listener\.name\.sasl_plaintext\.plain\.sasl\.jaas\.config: mechanism PLAIN on listener SASL_PLAINTEXT needs a JAAS configuration/
    )
    rejects(
      {
        listeners: 'SASL_PLAINTEXT://127.0.0.1:0',
        'sasl.enabled.mechanisms': 'PLAIN',
        'listener.name.sasl_plaintext.plain.sasl.jaas.config': JAAS.replace(
          'plain.PlainLoginModule',
          'scram.ScramLoginModule'
        )
      },
      /listener\.name\.sasl_plaintext\.plain\.sasl\.jaas\.config: mechanism PLAIN needs login module org\.apache\.kafka\.common\.security\.plain\.PlainLoginModule/
    )
  })
})
