import assert from 'node:assert/strict'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { createDevCertificates, type DevCertificates } from '../../src/cli/certs/dev-certificates.js'
import {
  clientProperties,
  formatProperties,
  plainJaasConfig,
  type SecureBrokerSettings,
  secureBrokerProperties
} from '../../src/cli/secure-cluster-config.js'
import { loadKafkaConfig } from '../../src/config/load-config.js'
import { parseProperties } from '../../src/config/properties-parser.js'
import { interBrokerClientSecurity } from '../../src/security/inter-broker-client-security.js'
import { parseJaasConfig } from '../../src/security/jaas-config.js'
import { listenerSecurity } from '../../src/security/listener-security.js'

describe('secure cluster configuration', () => {
  let dir: string
  let certs: DevCertificates
  const settings = (over: Partial<SecureBrokerSettings> = {}): SecureBrokerSettings => ({
    host: '127.0.0.1',
    clientPort: 29092,
    brokerPort: 39092,
    interBrokerProtocol: 'PLAINTEXT',
    keystore: certs.broker.pem,
    truststore: certs.caCert,
    users: [{ name: 'admin', password: 'p"w\\d=;x' }],
    ...over
  })

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'samsa-secure-config-'))
    certs = await createDevCertificates({ dir: join(dir, 'certs'), clients: [], days: 2 })
  })
  after(() => rm(dir, { recursive: true, force: true }))

  it('quotes passwords in the JAAS entry so that Kafka’s parser reads them back', () => {
    const jaas = parseJaasConfig(
      'sasl.jaas.config',
      plainJaasConfig([
        { name: 'admin', password: 'p"w\\d=;x' },
        { name: 'alice', password: 'plain' }
      ])
    )
    assert.equal(jaas.loginModule, 'org.apache.kafka.common.security.plain.PlainLoginModule')
    assert.equal(jaas.controlFlag, 'required')
    assert.deepEqual(
      [...jaas.options],
      [
        ['user_admin', 'p"w\\d=;x'],
        ['user_alice', 'plain']
      ]
    )
    assert.throws(() => plainJaasConfig([{ name: 'bad name', password: 'x' }]), /user name "bad name"/)
    assert.throws(() => plainJaasConfig([]), /at least one user/)
  })

  it('writes properties that java.util.Properties rules read back unchanged', () => {
    const entries = secureBrokerProperties(settings())
    const text = formatProperties([...entries, ['odd', ' lead\\ing\nline']], 'a comment')
    assert.ok(text.startsWith('# a comment\n'))
    assert.deepEqual(parseProperties(text), new Map([...entries, ['odd', ' lead\\ing\nline']]))
  })

  it('gives a broker a SASL_SSL client listener and an inter-broker listener that Samsa accepts', async () => {
    const path = join(dir, 'broker.properties')
    await writeFile(path, formatProperties(secureBrokerProperties(settings())))
    const config = await loadKafkaConfig(path, ['log.dirs=' + join(dir, 'data')])
    assert.deepEqual(config.unknownKeys, [])
    assert.deepEqual(
      config.listeners.map((l) => [l.listenerName, l.securityProtocol, l.port]),
      [
        ['CLIENT', 'SASL_SSL', 29092],
        ['BROKER', 'PLAINTEXT', 39092]
      ]
    )
    assert.equal(config.interBrokerListenerName, 'BROKER')
    const client = listenerSecurity(config, config.listeners[0]!)
    assert.ok(client.tls, 'TLS on the client listener')
    assert.equal(client.tls.clientAuth, 'none')
    assert.deepEqual([...(client.saslMechanisms?.keys() ?? [])], ['PLAIN'])
    const broker = listenerSecurity(config, config.listeners[1]!)
    assert.equal(broker.tls, null)
    assert.equal(broker.saslMechanisms, null)
  })

  it('with interBrokerProtocol SSL requires client certificates between brokers', async () => {
    const path = join(dir, 'broker-ssl.properties')
    await writeFile(path, formatProperties(secureBrokerProperties(settings({ interBrokerProtocol: 'SSL' }))))
    const config = await loadKafkaConfig(path, ['log.dirs=' + join(dir, 'data')])
    const broker = listenerSecurity(config, config.listeners[1]!)
    assert.equal(broker.securityProtocol, 'SSL')
    assert.equal(broker.tls?.clientAuth, 'required')
    assert.equal(listenerSecurity(config, config.listeners[0]!).tls?.clientAuth, 'none')
    // What this broker dials other brokers with: the broker certificate, the CA, host names verified.
    const client = interBrokerClientSecurity(config)
    assert.equal(client.securityProtocol, 'SSL')
    assert.equal(client.sasl, null)
    assert.equal(client.hostnameVerification, true)
    assert.ok(client.tls?.key && client.tls.cert && client.tls.ca, 'keystore and truststore as a client')
  })

  it('writes the client settings in librdkafka names', () => {
    const entries = new Map(
      clientProperties({
        bootstrap: '127.0.0.1:29092,127.0.0.1:29093',
        caLocation: certs.caCert,
        user: { name: 'admin', password: 'secret' }
      })
    )
    assert.deepEqual(
      entries,
      new Map([
        ['bootstrap.servers', '127.0.0.1:29092,127.0.0.1:29093'],
        ['security.protocol', 'SASL_SSL'],
        ['ssl.ca.location', certs.caCert],
        ['sasl.mechanism', 'PLAIN'],
        ['sasl.username', 'admin'],
        ['sasl.password', 'secret']
      ])
    )
  })
})
