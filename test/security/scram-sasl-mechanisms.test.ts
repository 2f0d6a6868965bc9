/** SCRAM in a SASL listener's mechanism registry: its JAAS login module, and credentials from the context. */

import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { ConfigError } from '../../src/config/config-error.js'
import { KafkaConfig } from '../../src/config/kafka-config.js'
import { saslServerFactories } from '../../src/security/sasl/sasl-mechanisms.js'
import { generateScramCredential, SCRAM_SHA_512 } from '../../src/security/scram/scram-mechanism.js'
import { kafkajsScramExchange } from '../helpers/kafkajs-scram-client.js'

const SCRAM_JAAS = 'org.apache.kafka.common.security.scram.ScramLoginModule required;'
const config = (props: Record<string, string>) =>
  new KafkaConfig(new Map(Object.entries({ listeners: 'SASL_PLAINTEXT://127.0.0.1:0', ...props })))
const ctx = { listenerName: 'SASL_PLAINTEXT', clientAddress: '127.0.0.1' }

describe('SCRAM mechanisms on a SASL listener', () => {
  it('are offered in the configured order and read credentials from the context', async () => {
    const alice = await generateScramCredential(SCRAM_SHA_512, 'alice-secret', 4096)
    const factories = saslServerFactories(
      config({
        'sasl.enabled.mechanisms': 'SCRAM-SHA-512,SCRAM-SHA-256',
        'sasl.jaas.config': SCRAM_JAAS
      }),
      'SASL_PLAINTEXT',
      {
        scramCredentials: {
          credential: (user, m) => (user === 'alice' && m === 'SCRAM-SHA-512' ? alice : undefined)
        }
      }
    )
    assert.deepEqual([...factories.keys()], ['SCRAM-SHA-512', 'SCRAM-SHA-256'])
    const server = factories.get('SCRAM-SHA-512')!.create(ctx)
    await kafkajsScramExchange(SCRAM_SHA_512, server, 'alice', 'alice-secret')
    assert.equal(server.authorizationId(), 'alice')
  })

  it('without a credential store (a server built without the metadata), every SCRAM login fails', async () => {
    const factories = saslServerFactories(
      config({ 'sasl.enabled.mechanisms': 'SCRAM-SHA-512', 'sasl.jaas.config': SCRAM_JAAS }),
      'SASL_PLAINTEXT'
    )
    await assert.rejects(
      kafkajsScramExchange(
        SCRAM_SHA_512,
        factories.get('SCRAM-SHA-512')!.create(ctx),
        'alice',
        'alice-secret'
      ),
      { name: 'SaslAuthenticationError' }
    )
  })

  it("needs Kafka's ScramLoginModule in the mechanism's JAAS entry", () => {
    assert.throws(
      () =>
        saslServerFactories(
          config({
            'sasl.enabled.mechanisms': 'SCRAM-SHA-256',
            'listener.name.sasl_plaintext.scram-sha-256.sasl.jaas.config':
              'org.apache.kafka.common.security.plain.PlainLoginModule required user_a="b";'
          }),
          'SASL_PLAINTEXT'
        ),
      (err: unknown) =>
        err instanceof ConfigError &&
        /needs login module org\.apache\.kafka\.common\.security\.scram\.ScramLoginModule/.test(err.message)
    )
  })
})
