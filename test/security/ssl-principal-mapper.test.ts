import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { ConfigError } from '../../src/config/config-error.js'
import { NoMatchingRuleError, SslPrincipalMapper } from '../../src/security/ssl/ssl-principal-mapper.js'

const DN = 'CN=Alice Smith,OU=ServiceUsers,O=Example\\, Inc,C=US'

describe('SslPrincipalMapper (ssl.principal.mapping.rules, KIP-371)', () => {
  it('DEFAULT keeps the distinguished name', () => {
    assert.equal(SslPrincipalMapper.fromRules('DEFAULT').getName(DN), DN)
  })

  it('applies the first rule whose pattern matches the whole DN, with groups and case flags', () => {
    const mapper = SslPrincipalMapper.fromRules(
      'RULE:^CN=(.*?),OU=Admins,.*$/admin-$1/, RULE:^CN=(.*?),OU=ServiceUsers,.*$/$1/L, DEFAULT'
    )
    assert.equal(mapper.getName(DN), 'alice smith')
    assert.equal(mapper.getName('CN=Bob,OU=Admins,C=US'), 'admin-Bob')
    assert.equal(mapper.getName('CN=Carol,OU=Other'), 'CN=Carol,OU=Other')
    assert.equal(SslPrincipalMapper.fromRules('RULE:^CN=([^,]*),.*$/$1/U').getName(DN), 'ALICE SMITH')
  })

  it('lets a pattern contain commas and an escaped slash', () => {
    const mapper = SslPrincipalMapper.fromRules('RULE:^CN=(.*)\\/(.*),O=Org$/$2@$1/')
    assert.equal(mapper.getName('CN=team/bob,O=Org'), 'bob@team')
  })

  it('refuses a DN no rule applies to (Kafka closes such a connection)', () => {
    const mapper = SslPrincipalMapper.fromRules('RULE:^CN=(.*),OU=Admins$/$1/')
    assert.throws(() => mapper.getName(DN), NoMatchingRuleError)
  })

  it('rejects malformed rules naming the key', () => {
    for (const bad of ['RULE:^CN=(.*)$/$1', 'NOPE', 'RULE:^CN=(.*)$/$1/X', 'RULE:^CN=((.*)$/$1/']) {
      assert.throws(
        () => SslPrincipalMapper.fromRules(bad),
        (err: unknown) => err instanceof ConfigError && /ssl\.principal\.mapping\.rules/.test(err.message),
        bad
      )
    }
  })
})
