import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { ConfigError } from '../../src/config/config-error.js'
import { KafkaConfig } from '../../src/config/kafka-config.js'
import * as securityKeys from '../../src/config/security-config-keys.js'

const config = (pairs: Record<string, string> = {}) => new KafkaConfig(new Map(Object.entries(pairs)))

function assertConfigError(pairs: Record<string, string>, pattern: RegExp): void {
  assert.throws(
    () => config(pairs),
    (err: unknown) => err instanceof ConfigError && pattern.test(err.message)
  )
}

describe('KafkaConfig', () => {
  it('has Kafka defaults, and Samsa embedded defaults for listeners, log.dirs and node.id', () => {
    const c = config()
    assert.deepEqual(c.listeners, [
      { listenerName: 'PLAINTEXT', host: '127.0.0.1', port: 9092, securityProtocol: 'PLAINTEXT' }
    ])
    assert.deepEqual(c.advertisedListeners, c.listeners)
    assert.deepEqual(c.logDirs, ['./data'])
    assert.equal(c.nodeId, 1)
    assert.equal(c.numPartitions, 1)
    assert.equal(c.defaultReplicationFactor, 1)
    assert.equal(c.autoCreateTopicsEnable, true)
    assert.equal(c.logSegmentBytes, 1073741824)
    assert.equal(c.logRollMs, 168 * 3_600_000)
    assert.equal(c.logRetentionMs, 168 * 3_600_000)
    assert.equal(c.logRetentionBytes, -1)
    assert.equal(c.logRetentionCheckIntervalMs, 300_000)
    assert.equal(c.logFlushIntervalMessages, Number.MAX_SAFE_INTEGER)
    assert.equal(c.logFlushIntervalMs, Number.MAX_SAFE_INTEGER)
    assert.equal(c.messageMaxBytes, 1048588)
    assert.equal(c.socketRequestMaxBytes, 104857600)
    assert.deepEqual(c.logCleanupPolicy, ['delete'])
    assert.equal(c.logCleanerEnable, true)
    assert.equal(c.offsetsTopicNumPartitions, 50)
    assert.equal(c.groupInitialRebalanceDelayMs, 3000)
    assert.equal(c.groupMinSessionTimeoutMs, 6000)
    assert.equal(c.groupMaxSessionTimeoutMs, 1800000)
    assert.equal(c.transactionMaxTimeoutMs, 900000)
    assert.equal(c.minInsyncReplicas, 1)
    assert.equal(c.brokerRack, null)
  })

  it('applies Kafka precedence for retention: ms over minutes over hours; negative means unlimited', () => {
    assert.equal(config({ 'log.retention.hours': '1' }).logRetentionMs, 3_600_000)
    assert.equal(config({ 'log.retention.hours': '1', 'log.retention.minutes': '2' }).logRetentionMs, 120_000)
    assert.equal(
      config({ 'log.retention.hours': '1', 'log.retention.minutes': '2', 'log.retention.ms': '5' })
        .logRetentionMs,
      5
    )
    assert.equal(config({ 'log.retention.ms': '-1' }).logRetentionMs, -1)
    assert.equal(config({ 'log.retention.hours': '-5' }).logRetentionMs, -1)
  })

  it('applies log.roll.ms over log.roll.hours and log.flush.interval.ms over the scheduler interval', () => {
    assert.equal(config({ 'log.roll.hours': '2' }).logRollMs, 7_200_000)
    assert.equal(config({ 'log.roll.hours': '2', 'log.roll.ms': '1000' }).logRollMs, 1000)
    assert.equal(config({ 'log.flush.scheduler.interval.ms': '700' }).logFlushIntervalMs, 700)
    assert.equal(config({ 'log.flush.interval.ms': '50' }).logFlushIntervalMs, 50)
  })

  it('prefers log.dirs over log.dir', () => {
    assert.deepEqual(config({ 'log.dir': '/a' }).logDirs, ['/a'])
    assert.deepEqual(config({ 'log.dir': '/a', 'log.dirs': '/b, /c' }).logDirs, ['/b', '/c'])
  })

  it('uses broker.id when node.id is not set, and rejects them differing', () => {
    assert.equal(config({ 'broker.id': '7' }).nodeId, 7)
    assert.equal(config({ 'broker.id': '7', 'node.id': '7' }).nodeId, 7)
    assertConfigError({ 'broker.id': '7', 'node.id': '8' }, /broker\.id/)
  })

  it('parses several listeners, IPv6 and wildcard hosts, and separate advertised listeners', () => {
    const c = config({
      listeners: 'PLAINTEXT://:9092,INTERNAL://[::1]:0',
      'listener.security.protocol.map': 'PLAINTEXT:PLAINTEXT,INTERNAL:PLAINTEXT',
      'advertised.listeners': 'PLAINTEXT://broker.example:19092'
    })
    assert.deepEqual(
      c.listeners.map((l) => [l.listenerName, l.host, l.port]),
      [
        ['PLAINTEXT', '', 9092],
        ['INTERNAL', '::1', 0]
      ]
    )
    assert.deepEqual(
      c.advertisedListeners.map((l) => [l.listenerName, l.host, l.port]),
      [['PLAINTEXT', 'broker.example', 19092]]
    )
  })

  it('reports bad values naming the key, the value and what is allowed', () => {
    assertConfigError(
      { 'num.partitions': 'abc' },
      /^Invalid value abc for configuration num\.partitions: must be an integer >= 1$/
    )
    assertConfigError(
      { 'num.partitions': '0' },
      /^Invalid value 0 for configuration num\.partitions: must be an integer >= 1$/
    )
    assertConfigError({ 'num.partitions': '99999999999' }, /num\.partitions/)
    assertConfigError(
      { 'auto.create.topics.enable': 'yes' },
      /auto\.create\.topics\.enable: must be true or false/
    )
    assertConfigError(
      { 'log.cleanup.policy': 'delete,shrink' },
      /log\.cleanup\.policy: .*\[compact, delete\]/
    )
    assertConfigError({ 'log.cleaner.min.cleanable.ratio': '2' }, /must be a number between 0 and 1/)
    assertConfigError({ 'compression.type': 'brotli' }, /compression\.type: must be one of/)
    assertConfigError({ listeners: 'localhost:9092' }, /listeners: .*NAME:\/\/host:port/)
    assertConfigError({ 'listener.security.protocol.map': 'PLAINTEXT:TLS' }, /TLS is not a security protocol/)
    assertConfigError(
      { listeners: 'PLAINTEXT://:9092', 'advertised.listeners': 'SSL://h:9093' },
      /advertised.listeners: listener SSL is not one of the names in listeners/
    )
    assertConfigError(
      { listeners: 'PLAINTEXT://:9092', 'inter.broker.listener.name': 'INTERNAL' },
      /inter.broker.listener.name: must be a listener name defined in advertised.listeners/
    )
    assertConfigError({ listeners: 'PLAINTEXT://a:70000' }, /port 70000/)
    assertConfigError({ listeners: 'PLAINTEXT://a:1,PLAINTEXT://b:2' }, /more than once/)
    assertConfigError(
      { 'group.min.session.timeout.ms': '10', 'group.max.session.timeout.ms': '5' },
      /group\.min/
    )
  })

  it('accepts booleans case-insensitively and trims values, as Kafka does', () => {
    assert.equal(config({ 'auto.create.topics.enable': ' FALSE ' }).autoCreateTopicsEnable, false)
    assert.equal(config({ 'num.partitions': ' 3 ' }).numPartitions, 3)
  })

  it('collects unknown keys instead of failing, and separates ignored ones', () => {
    const c = config({ 'some.plugin.setting': 'x', 'num.io.threads': '16', 'num.partitions': '2' })
    assert.deepEqual(c.unknownKeys, ['some.plugin.setting'])
    assert.deepEqual(c.ignoredKeys, ['num.io.threads'])
    assert.equal(c.originals.get('some.plugin.setting'), 'x')
  })

  it('gives typed access to any defined key and refuses undefined ones', () => {
    const c = config({ 'log.index.interval.bytes': '100' })
    assert.equal(c.getNumber('log.index.interval.bytes'), 100)
    assert.equal(c.get('log.retention.minutes'), null)
    assert.throws(() => c.get('no.such.key'), ConfigError)
  })
})

describe('KafkaConfig security keys', () => {
  it('rejects a bad ssl.client.auth naming the key and the allowed values, globally and per listener', () => {
    assertConfigError(
      { 'ssl.client.auth': 'always' },
      /Invalid value always for configuration ssl.client.auth: must be one of \[none, requested, required\]/
    )
    assertConfigError(
      { 'listener.name.ssl.ssl.client.auth': 'sometimes' },
      /configuration listener.name.ssl.ssl.client.auth: must be one of \[none, requested, required\]/
    )
    assertConfigError(
      { 'ssl.enabled.protocols': 'TLSv1.2,SSLv3' },
      /ssl.enabled.protocols: .*TLSv1.2, TLSv1.3/
    )
  })

  it('reads listener.name.<listener>. overrides over the broker-wide value (lower-case listener names)', () => {
    const c = config({
      listeners: 'PLAINTEXT://:9092,SSL://:9093,SASL_SSL://:9094',
      'ssl.client.auth': 'requested',
      'listener.name.ssl.ssl.client.auth': 'required',
      'sasl.enabled.mechanisms': 'PLAIN',
      'listener.name.sasl_ssl.plain.sasl.jaas.config': 'M required;',
      'sasl.jaas.config': 'G required;'
    })
    assert.deepEqual(
      c.listeners.map((l) => [l.listenerName, l.securityProtocol]),
      [
        ['PLAINTEXT', 'PLAINTEXT'],
        ['SSL', 'SSL'],
        ['SASL_SSL', 'SASL_SSL']
      ]
    )
    assert.equal(c.forListener('SSL', 'ssl.client.auth'), 'required')
    assert.equal(c.forListener('SASL_SSL', 'ssl.client.auth'), 'requested')
    assert.equal(c.forListener('SASL_SSL', 'plain.sasl.jaas.config'), 'M required;')
    assert.equal(c.forListener('SASL_SSL', 'scram-sha-256.sasl.jaas.config'), 'G required;')
    assert.deepEqual(c.forListener('SASL_SSL', 'sasl.enabled.mechanisms'), ['PLAIN'])
    assert.deepEqual(c.unknownKeys, [])
    assert.equal(c.interBrokerListenerName, 'PLAINTEXT')
  })

  it('picks the inter-broker listener by name or by security protocol, never both', () => {
    const listeners = 'INTERNAL://:9092,SSL://:9093'
    const map = 'INTERNAL:PLAINTEXT,SSL:SSL'
    const base = { listeners, 'listener.security.protocol.map': map }
    assert.equal(
      config({ ...base, 'inter.broker.listener.name': 'internal' }).interBrokerListenerName,
      'INTERNAL'
    )
    assert.equal(config({ ...base, 'security.inter.broker.protocol': 'SSL' }).interBrokerListenerName, 'SSL')
    assert.equal(config(base).interBrokerListenerName, 'INTERNAL')
    assertConfigError(
      { ...base, 'inter.broker.listener.name': 'SSL', 'security.inter.broker.protocol': 'SSL' },
      /only one of inter.broker.listener.name and security.inter.broker.protocol/
    )
  })

  it('marks secrets as password keys', () => {
    const c = config({ 'ssl.keystore.password': 'pw', 'sasl.jaas.config': 'M required;' })
    assert.equal(c.getString('ssl.keystore.password'), 'pw')
    const { SECURITY_CONFIG_KEYS } = securityKeys
    for (const name of [
      'ssl.keystore.password',
      'ssl.key.password',
      'ssl.keystore.key',
      'sasl.jaas.config'
    ]) {
      assert.equal(SECURITY_CONFIG_KEYS.find((k) => k.name === name)?.type, 'password', name)
    }
  })
})

describe('KafkaConfig with a KRaft server.properties', () => {
  const kraft = {
    'process.roles': 'broker,controller',
    'controller.listener.names': 'CONTROLLER',
    'listener.security.protocol.map': 'CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT',
    listeners: 'PLAINTEXT://127.0.0.1:9092,CONTROLLER://127.0.0.1:9093'
  }

  it('keeps the controller listeners out of listeners and advertised.listeners', () => {
    const c = config({ ...kraft, 'advertised.listeners': 'PLAINTEXT://h:9092,CONTROLLER://h:9093' })
    assert.deepEqual(
      c.listeners.map((l) => l.listenerName),
      ['PLAINTEXT']
    )
    assert.deepEqual(
      c.advertisedListeners.map((l) => `${l.listenerName}://${l.host}:${l.port}`),
      ['PLAINTEXT://h:9092']
    )
    assert.deepEqual(
      c.controllerListeners.map((l) => `${l.listenerName}:${l.port}`),
      ['CONTROLLER:9093']
    )
    assert.deepEqual(c.ignoredKeys, ['process.roles', 'controller.listener.names'])
  })

  it('without controller.listener.names every listener is a broker listener', () => {
    const c = config({
      listeners: 'PLAINTEXT://127.0.0.1:9092,CONTROLLER://127.0.0.1:9093',
      'listener.security.protocol.map': kraft['listener.security.protocol.map']
    })
    assert.equal(c.listeners.length, 2)
    assert.deepEqual(c.controllerListeners, [])
  })

  it('refuses a controller-only configuration, naming listeners', () => {
    assertConfigError(
      { ...kraft, 'process.roles': 'controller', listeners: 'CONTROLLER://127.0.0.1:9093' },
      /configuration listeners: names only controller listeners/
    )
  })
})
