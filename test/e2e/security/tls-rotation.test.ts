/**
 * Certificate rotation without a restart (KIP-226): a kafkajs producer keeps producing over SSL while the
 * listener's keystore file is replaced by one with a new certificate and IncrementalAlterConfigs re-sets
 * `listener.name.ssl.ssl.keystore.location`. No connection is dropped, every acknowledged record is in the
 * log, and a new TLS connection sees the new certificate. A keystore that cannot be loaded, or names another
 * subject, is refused with INVALID_REQUEST and the listener keeps the certificate it has. A keystore set at
 * run time is reloaded from the metadata store on restart.
 */

import assert from 'node:assert/strict'
import { rename, writeFile } from 'node:fs/promises'
import { createRequire } from 'node:module'
import { isIP, type Socket } from 'node:net'
import { after, before, describe, it } from 'node:test'
import { connect as tlsConnect } from 'node:tls'
import type { IncrementalAlterConfigsResponse } from '../../../src/protocol/messages/incremental-alter-configs.js'
import { BrokerProcess } from '../../helpers/broker-process.js'
import {
  createTestCertificates,
  opensslAvailable,
  renewServerCertificate,
  type TestCertificates
} from '../../helpers/test-certificates.js'
import { rawRequest } from '../support/raw-requests.js'

const require = createRequire(import.meta.url)
const { Kafka, logLevel } = require('kafkajs') as typeof import('kafkajs')

const skip = !opensslAvailable && !process.env.CI ? 'openssl is not installed' : false
const BROKER = 4
const SET = 0
const INVALID_REQUEST = 42
const KEYSTORE_KEY = 'listener.name.ssl.ssl.keystore.location'

describe('TLS certificate rotation under load (KIP-226)', { skip }, () => {
  let certs: TestCertificates
  let broker: BrokerProcess
  let ca: string
  let keystore: string

  /** The serial number of the certificate a new TLS connection to the SSL listener is shown. */
  const servedSerial = (): Promise<string> =>
    new Promise((resolve, reject) => {
      const socket = tlsConnect({ host: '127.0.0.1', port: broker.portOf('SSL'), ca }, () => {
        const serial = socket.getPeerCertificate().serialNumber
        socket.end()
        resolve(serial)
      })
      socket.once('error', reject)
    })
  const serialOf = async (certFile: string): Promise<string> => {
    const { X509Certificate } = await import('node:crypto')
    return new X509Certificate(await certs.text(certFile)).serialNumber
  }
  const setKeystore = async (location: string) => {
    const res = await rawRequest<IncrementalAlterConfigsResponse>(broker.portOf('PLAINTEXT'), 44, 1, {
      resources: [
        {
          resourceType: BROKER,
          resourceName: '1',
          configs: [{ name: KEYSTORE_KEY, configOperation: SET, value: location }]
        }
      ],
      validateOnly: false
    })
    return res.responses[0]!
  }

  before(async () => {
    certs = await createTestCertificates()
    ca = await certs.text('ca.pem')
    keystore = certs.path('live.pem')
    await writeFile(keystore, await certs.text('server.pem'))
    await renewServerCertificate(certs, 'renewed')
    await renewServerCertificate(certs, 'third')
    broker = await startBroker()
  })
  after(async () => {
    await broker?.stop()
    await certs?.cleanup()
  })

  /** A broker whose data (and so its dynamic configs) lives in the certificates' directory, across restarts. */
  const startBroker = () =>
    BrokerProcess.start({
      overrides: [
        'listeners=PLAINTEXT://127.0.0.1:0,SSL://127.0.0.1:0',
        'listener.name.ssl.ssl.keystore.type=PEM',
        `${KEYSTORE_KEY}=${keystore}`,
        'num.partitions=1',
        `log.dirs=${certs.path('data')}`
      ]
    })

  it('keeps every connection and record while the keystore is rotated; new connections get the new certificate', async () => {
    const oldSerial = await serialOf('server-cert.pem')
    const newSerial = await serialOf('renewed-cert.pem')
    assert.notEqual(oldSerial, newSerial)
    assert.equal(await servedSerial(), oldSerial)

    // kafkajs's own socket factory, counting the sockets it opens and those that close.
    let opened = 0
    let closed = 0
    const kafka = new Kafka({
      brokers: [`127.0.0.1:${broker.portOf('SSL')}`],
      ssl: { ca: [ca] },
      logLevel: logLevel.NOTHING,
      socketFactory: ({ host, port, ssl, onConnect }) => {
        const socket: Socket = tlsConnect(
          { host, port, ...(isIP(host) ? {} : { servername: host }), ...ssl },
          onConnect
        )
        opened++
        socket.once('close', () => closed++)
        return socket
      }
    })
    const producer = kafka.producer({ allowAutoTopicCreation: true })
    await producer.connect()
    await producer.send({ topic: 'rotation', acks: -1, messages: [{ value: 'warm-up' }] })
    const openedBefore = opened

    let acknowledged = 1
    let failures = 0
    let producing = true
    const load = (async () => {
      let i = 0
      while (producing) {
        const messages = Array.from({ length: 10 }, () => ({ value: `record-${i++}` }))
        try {
          await producer.send({ topic: 'rotation', acks: -1, messages })
          acknowledged += messages.length
        } catch {
          failures++
        }
      }
    })()

    await new Promise((r) => setTimeout(r, 300))
    // Replace the file in place (a new inode, as a certificate manager would), then tell the broker.
    await writeFile(`${keystore}.tmp`, await certs.text('renewed.pem'))
    await rename(`${keystore}.tmp`, keystore)
    const altered = await setKeystore(keystore)
    assert.equal(altered.errorCode, 0, altered.errorMessage ?? '')
    assert.equal(await servedSerial(), newSerial, 'a new connection sees the new certificate')
    await new Promise((r) => setTimeout(r, 300))
    producing = false
    await load

    assert.equal(failures, 0, 'no send failed')
    assert.equal(closed, 0, 'no connection was dropped')
    assert.equal(opened, openedBefore, 'no reconnection was needed')
    await producer.disconnect()

    const admin = kafka.admin()
    await admin.connect()
    const [offsets] = await admin.fetchTopicOffsets('rotation')
    await admin.disconnect()
    assert.ok(acknowledged > 11, 'records were produced during the rotation')
    assert.equal(Number(offsets!.high), acknowledged, 'every acknowledged record is in the log')
  })

  it('refuses a keystore that cannot be loaded or names another subject, keeping the current certificate', async () => {
    const current = await servedSerial()
    await writeFile(certs.path('broken.pem'), 'not a keystore\n')
    const broken = await setKeystore(certs.path('broken.pem'))
    assert.equal(broken.errorCode, INVALID_REQUEST)
    assert.match(broken.errorMessage ?? '', /^Validation of dynamic config update of SSLFactory failed: /)

    await writeFile(
      certs.path('alice.pem'),
      `${await certs.text('alice-key.pem')}${await certs.text('alice-cert.pem')}`
    )
    const other = await setKeystore(certs.path('alice.pem'))
    assert.equal(other.errorCode, INVALID_REQUEST)
    assert.match(other.errorMessage ?? '', /Keystore DistinguishedName does not match/)
    assert.equal(await servedSerial(), current)
  })

  it('a keystore set at run time is the one the listener starts with after a restart', async () => {
    const altered = await setKeystore(certs.path('third.pem'))
    assert.equal(altered.errorCode, 0, altered.errorMessage ?? '')
    const third = await serialOf('third-cert.pem')
    assert.equal(await servedSerial(), third)
    await broker.stop()
    broker = await startBroker()
    assert.equal(await servedSerial(), third, 'the dynamic keystore location was reloaded from the store')
  })
})
