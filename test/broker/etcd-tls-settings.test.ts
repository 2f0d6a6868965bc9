/**
 * etcd's TLS settings from the broker configuration: https endpoints with a PEM truststore and keystore (an
 * encrypted key decrypted with etcd.ssl.key.password), and the mistakes refused with the key at fault.
 */

import assert from 'node:assert/strict'
import { generateKeyPairSync } from 'node:crypto'
import { writeFile } from 'node:fs/promises'
import { after, before, describe, it } from 'node:test'
import { etcdSettings } from '../../src/broker/cluster-metadata.js'
import { KafkaConfig } from '../../src/config/kafka-config.js'
import {
  createTestCertificates,
  opensslAvailable,
  type TestCertificates
} from '../helpers/test-certificates.js'

const config = (props: Record<string, string>) =>
  new KafkaConfig(
    new Map(
      Object.entries({
        'node.id': '1',
        listeners: 'PLAINTEXT://127.0.0.1:19092',
        'metadata.store': 'etcd',
        ...props
      })
    )
  )

describe('etcd TLS settings', { skip: !opensslAvailable && !process.env.CI ? 'no openssl' : false }, () => {
  let certs: TestCertificates
  before(async () => {
    certs = await createTestCertificates()
  })
  after(() => certs?.cleanup())

  it('plain http endpoints need no TLS', () => {
    assert.equal(etcdSettings(config({ 'etcd.endpoints': 'http://127.0.0.1:2379' }))?.tls, null)
  })

  it('https endpoints use the system CAs, or the truststore and the keystore given', async () => {
    assert.deepEqual(etcdSettings(config({ 'etcd.endpoints': 'https://127.0.0.1:2379' }))?.tls, {})
    const tls = etcdSettings(
      config({
        'etcd.endpoints': 'https://127.0.0.1:2379,https://127.0.0.2:2379',
        'etcd.ssl.truststore.location': certs.path('ca.pem'),
        'etcd.ssl.keystore.location': certs.path('server.pem')
      })
    )?.tls
    assert.equal(tls?.rootCertificate?.toString(), (await certs.text('ca.pem')).trim())
    assert.match(tls?.privateKey?.toString() ?? '', /^-----BEGIN PRIVATE KEY-----/)
    assert.match(tls?.certChain?.toString() ?? '', /^-----BEGIN CERTIFICATE-----/)
  })

  it('decrypts an encrypted keystore key with etcd.ssl.key.password, and says when it cannot', async () => {
    const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' })
    const encrypted = privateKey.export({
      type: 'pkcs8',
      format: 'pem',
      cipher: 'aes-256-cbc',
      passphrase: 'key-Secret'
    })
    const path = certs.path('encrypted.pem')
    await writeFile(path, `${encrypted}${await certs.text('server-cert.pem')}`)
    const props = { 'etcd.endpoints': 'https://127.0.0.1:2379', 'etcd.ssl.keystore.location': path }
    const tls = etcdSettings(config({ ...props, 'etcd.ssl.key.password': 'key-Secret' }))?.tls
    assert.match(tls?.privateKey?.toString() ?? '', /^-----BEGIN PRIVATE KEY-----/)
    assert.throws(
      () => etcdSettings(config({ ...props, 'etcd.ssl.key.password': 'wrong-Secret' })),
      (err: Error) => /etcd\.ssl\.keystore\.location/.test(err.message) && !err.message.includes('Secret')
    )
  })

  it('refuses TLS files with http endpoints, mixed schemes and files without PEM content', () => {
    assert.throws(
      () =>
        etcdSettings(
          config({
            'etcd.endpoints': 'http://127.0.0.1:2379',
            'etcd.ssl.truststore.location': certs.path('ca.pem')
          })
        ),
      /etcd\.endpoints.*must be https URLs when etcd\.ssl\.truststore\.location is set/
    )
    assert.throws(
      () => etcdSettings(config({ 'etcd.endpoints': 'https://127.0.0.1:2379,http://127.0.0.2:2379' })),
      /all http or all https/
    )
    assert.throws(
      () =>
        etcdSettings(
          config({
            'etcd.endpoints': 'https://127.0.0.1:2379',
            'etcd.ssl.truststore.location': certs.path('server-key.pem')
          })
        ),
      /etcd\.ssl\.truststore\.location.*holds no PEM certificate/
    )
  })
})
