/**
 * The broker's client settings for other brokers, from the inter-broker listener's configuration: nothing
 * for PLAINTEXT, the login of sasl.mechanism.inter.broker.protocol, and the configurations that cannot work
 * refused at startup with the key at fault and no secret.
 */

import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { KafkaConfig } from '../../src/config/kafka-config.js'
import { interBrokerClientSecurity } from '../../src/security/inter-broker-client-security.js'

const PLAIN = 'org.apache.kafka.common.security.plain.PlainLoginModule'
const SCRAM = 'org.apache.kafka.common.security.scram.ScramLoginModule'

const config = (props: Record<string, string>) =>
  new KafkaConfig(
    new Map(
      Object.entries({
        listeners: 'PLAINTEXT://127.0.0.1:9092,BROKER://127.0.0.1:9093',
        'listener.security.protocol.map': 'PLAINTEXT:PLAINTEXT,BROKER:SASL_PLAINTEXT',
        'inter.broker.listener.name': 'BROKER',
        'listener.name.broker.sasl.enabled.mechanisms': 'PLAIN,SCRAM-SHA-256',
        'listener.name.broker.plain.sasl.jaas.config': `${PLAIN} required username="b" password="pw-Secret" user_b="pw-Secret";`,
        'listener.name.broker.scram-sha-256.sasl.jaas.config': `${SCRAM} required username="b" password="pw-Secret";`,
        'sasl.mechanism.inter.broker.protocol': 'PLAIN',
        ...props
      })
    )
  )

describe('inter-broker client security', () => {
  it('is plain TCP on a PLAINTEXT inter-broker listener', () => {
    const s = interBrokerClientSecurity(config({ 'inter.broker.listener.name': 'PLAINTEXT' }))
    assert.deepEqual(s, { securityProtocol: 'PLAINTEXT', tls: null, hostnameVerification: false, sasl: null })
  })

  it('logs in with the JAAS username and password of the inter-broker mechanism', async () => {
    for (const mechanism of ['PLAIN', 'SCRAM-SHA-256']) {
      const s = interBrokerClientSecurity(config({ 'sasl.mechanism.inter.broker.protocol': mechanism }))
      assert.equal(s.securityProtocol, 'SASL_PLAINTEXT')
      assert.equal(s.tls, null)
      assert.equal(s.sasl?.mechanism, mechanism)
      const first = (await s.sasl!.createClient().initialResponse()).toString()
      assert.ok(mechanism === 'PLAIN' ? first === '\0b\0pw-Secret' : first.startsWith('n,,n=b,r='), first)
    }
  })

  it('refuses GSSAPI (Kafka’s default), a mechanism the listener does not enable, and a login without a password', () => {
    const noSecret = (pattern: RegExp) => (err: Error) =>
      pattern.test(err.message) && !err.message.includes('Secret')
    assert.throws(
      () => interBrokerClientSecurity(config({ 'sasl.mechanism.inter.broker.protocol': 'GSSAPI' })),
      noSecret(/sasl\.mechanism\.inter\.broker\.protocol.*one of \[PLAIN, SCRAM-SHA-256, SCRAM-SHA-512\]/)
    )
    assert.throws(
      () => interBrokerClientSecurity(config({ 'sasl.mechanism.inter.broker.protocol': 'SCRAM-SHA-512' })),
      noSecret(/does not enable it/)
    )
    assert.throws(
      () =>
        interBrokerClientSecurity(
          config({ 'listener.name.broker.plain.sasl.jaas.config': `${PLAIN} required user_b="pw-Secret";` })
        ),
      noSecret(/listener\.name\.broker\.plain\.sasl\.jaas\.config.*needs username and password/)
    )
  })
})
