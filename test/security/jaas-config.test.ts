import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { ConfigError } from '../../src/config/config-error.js'
import { parseJaasConfig } from '../../src/security/jaas-config.js'

const KEY = 'listener.name.sasl_ssl.plain.sasl.jaas.config'

describe('parseJaasConfig', () => {
  it("reads a PlainLoginModule entry as Kafka's documentation writes it", () => {
    const jaas = parseJaasConfig(
      KEY,
      'org.apache.kafka.common.security.plain.PlainLoginModule required username="admin" password="admin-secret" user_admin="admin-secret" user_alice="alice-secret";'
    )
    assert.equal(jaas.loginModule, 'org.apache.kafka.common.security.plain.PlainLoginModule')
    assert.equal(jaas.controlFlag, 'required')
    assert.deepEqual(Object.fromEntries(jaas.options), {
      username: 'admin',
      password: 'admin-secret',
      user_admin: 'admin-secret',
      user_alice: 'alice-secret'
    })
  })

  it('accepts bare values, line breaks, escapes and =, ; or spaces inside quotes', () => {
    const jaas = parseJaasConfig(KEY, 'Mod  OPTIONAL\n  a=plain\n  b="x=y; z"\n  c="say \\"hi\\" \\\\ bye" ;')
    assert.equal(jaas.controlFlag, 'optional')
    assert.deepEqual(Object.fromEntries(jaas.options), { a: 'plain', b: 'x=y; z', c: 'say "hi" \\ bye' })
  })

  const rejects = (text: string, reason: RegExp) =>
    assert.throws(
      () => parseJaasConfig(KEY, text),
      (err: unknown) =>
        err instanceof ConfigError &&
        err.message.includes(KEY) &&
        reason.test(err.message) &&
        // The value holds passwords and is never echoed.
        !err.message.includes('s3cret')
    )

  it('names the key and never echoes the value when the entry is malformed', () => {
    rejects('Mod required password="s3cret"', /must end with ";"/)
    rejects('Mod mandatory password="s3cret";', /control flag/)
    rejects('Mod required password="s3cret', /not terminated/)
    rejects('Mod required password "s3cret";', /must be followed by "="/)
    rejects('Mod required password=;', /has no value/)
    rejects('Mod required a="s3cret"; Other required b=c;', /exactly one login module/)
    rejects('', /login module class/)
  })
})
