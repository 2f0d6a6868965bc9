import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { ConfigError } from '../../../src/config/config-error.js'
import { KafkaConfig } from '../../../src/config/kafka-config.js'
import { listenerSecurity } from '../../../src/security/listener-security.js'
import type { SaslMechanismContext } from '../../../src/security/sasl/sasl-mechanisms.js'
import { SaslAuthenticationError } from '../../../src/security/sasl/sasl-server.js'
import { aliceStore, asToken, signedPayload } from './msk-iam-signing.js'

const IAM_JAAS = 'software.amazon.msk.auth.iam.IAMLoginModule required'

function mechanisms(props: Record<string, string>, context?: SaslMechanismContext) {
  const config = new KafkaConfig(
    new Map(Object.entries({ listeners: 'SASL_PLAINTEXT://127.0.0.1:0', ...props }))
  )
  return listenerSecurity(config, config.listeners[0]!, context).saslMechanisms!
}

const ctx = { listenerName: 'SASL_PLAINTEXT', clientAddress: '127.0.0.1:1' }
const context: SaslMechanismContext = { awsCredentials: aliceStore(), advertisedHost: () => 'broker.local' }

describe('AWS_MSK_IAM as a listener mechanism', () => {
  it('is built from the listener JAAS entry, offered beside PLAIN, and verifies with the broker keys', async () => {
    const factories = mechanisms(
      {
        'sasl.enabled.mechanisms': 'PLAIN,AWS_MSK_IAM',
        'listener.name.sasl_plaintext.plain.sasl.jaas.config':
          'org.apache.kafka.common.security.plain.PlainLoginModule required user_a="b";',
        'listener.name.sasl_plaintext.aws_msk_iam.sasl.jaas.config': `${IAM_JAAS} acceptedHosts="bootstrap.local";`
      },
      context
    )
    assert.deepEqual([...factories.keys()], ['PLAIN', 'AWS_MSK_IAM'])
    for (const host of ['broker.local', 'bootstrap.local']) {
      const server = factories.get('AWS_MSK_IAM')!.create(ctx)
      await server.evaluateResponse(asToken(await signedPayload({ host })))
      assert.equal(server.authorizationId(), 'alice')
    }
    const other = factories.get('AWS_MSK_IAM')!.create(ctx)
    await assert.rejects(
      other.evaluateResponse(asToken(await signedPayload({ host: 'elsewhere.local' }))),
      /host/
    )
  })

  it('honours the region option, and knows no key without the broker context', async () => {
    const jaas = { 'listener.name.sasl_plaintext.sasl.enabled.mechanisms': 'AWS_MSK_IAM' }
    const inRegion = mechanisms(
      { ...jaas, 'sasl.jaas.config': `${IAM_JAAS} region="us-east-1";` },
      context
    ).get('AWS_MSK_IAM')!
    await assert.rejects(
      inRegion.create(ctx).evaluateResponse(asToken(await signedPayload({ host: 'broker.local' }))),
      /region eu-west-1, not us-east-1/
    )
    const noContext = mechanisms({ ...jaas, 'sasl.jaas.config': `${IAM_JAAS} acceptedHosts="*";` }).get(
      'AWS_MSK_IAM'
    )!
    await assert.rejects(
      noContext.create(ctx).evaluateResponse(asToken(await signedPayload({ host: 'broker.local' }))),
      (err: unknown) =>
        err instanceof SaslAuthenticationError && /invalid access key id or signature/.test(err.message)
    )
  })

  it('names the key at fault for another login module or a malformed region', () => {
    const jaas = { 'listener.name.sasl_plaintext.sasl.enabled.mechanisms': 'AWS_MSK_IAM' }
    assert.throws(
      () =>
        mechanisms({
          ...jaas,
          'sasl.jaas.config': 'org.apache.kafka.common.security.plain.PlainLoginModule required;'
        }),
      (err: unknown) =>
        err instanceof ConfigError &&
        /needs login module software\.amazon\.msk\.auth\.iam\.IAMLoginModule/.test(err.message)
    )
    assert.throws(
      () => mechanisms({ ...jaas, 'sasl.jaas.config': `${IAM_JAAS} region="EU WEST";` }),
      (err: unknown) =>
        err instanceof ConfigError &&
        /listener\.name\.sasl_plaintext\.aws_msk_iam\.sasl\.jaas\.config.*region/.test(err.message)
    )
  })
})
