import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { ConfigError } from '../../src/config/config-error.js'
import {
  dynamicBrokerKey,
  isPerBrokerOnly,
  listenerSslKey,
  validateDynamicBrokerConfigs
} from '../../src/config/dynamic-broker-config-keys.js'

const refused = (props: Record<string, string>, perBroker: boolean, message: string) =>
  assert.throws(
    () => validateDynamicBrokerConfigs(new Map(Object.entries(props)), perBroker),
    (err: unknown) => err instanceof ConfigError && err.message === message
  )

describe("Kafka's dynamic broker config rules (DynamicBrokerConfig)", () => {
  it('knows which keys are dynamic, and which only per broker', () => {
    for (const key of [
      'log.retention.ms',
      'log.cleanup.policy',
      'message.max.bytes',
      'background.threads',
      'num.io.threads',
      'log.cleaner.threads',
      'leader.replication.throttled.rate',
      'follower.replication.throttled.rate',
      'max.connections'
    ]) {
      assert.ok(dynamicBrokerKey(key), key)
      assert.equal(isPerBrokerOnly(key), false, key)
    }
    for (const key of [
      'log.dirs',
      'node.id',
      'listeners',
      'ssl.keystore.location',
      'auto.create.topics.enable'
    ]) {
      assert.equal(dynamicBrokerKey(key), undefined, key)
    }
    assert.deepEqual(listenerSslKey('listener.name.ssl.ssl.keystore.location'), {
      listener: 'ssl',
      key: 'ssl.keystore.location'
    })
    assert.equal(listenerSslKey('listener.name.ssl.ssl.client.auth'), null, 'not reloadable')
    assert.equal(dynamicBrokerKey('listener.name.ssl.ssl.keystore.password')?.type, 'password')
    assert.ok(isPerBrokerOnly('listener.name.ssl.ssl.truststore.location'))
  })

  it('refuses with Kafka messages, in its order of checks', () => {
    refused(
      { 'log.dirs': '/x', 'node.id': '2' },
      true,
      'Cannot update these configs dynamically: Set(log.dirs, node.id)'
    )
    refused(
      { 'ssl.keystore.location': '/k.pem' },
      true,
      'These security configs can be dynamically updated only per-listener using the listener prefix: Set(ssl.keystore.location)'
    )
    refused(
      { 'listener.name.ssl.ssl.keystore.location': '/k.pem' },
      false,
      'Cannot update these configs at default cluster level, broker id must be specified: Set(listener.name.ssl.ssl.keystore.location)'
    )
    refused(
      { 'log.retention.ms': 'soon' },
      false,
      'Invalid value soon for configuration log.retention.ms: must be an integer'
    )
    validateDynamicBrokerConfigs(
      new Map([
        ['log.retention.ms', '1000'],
        ['listener.name.ssl.ssl.keystore.location', '/k.pem']
      ]),
      true
    )
  })
})
