import assert from 'node:assert/strict'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, it } from 'node:test'
import { UsageError } from '../../src/cli/cli-errors.js'
import { resolveConnection } from '../../src/cli/client-options.js'
import { recordPrinter } from '../../src/cli/record-format.js'

const noHome = { HOME: '/nonexistent' }

describe('client connection settings', () => {
  it('takes each setting from flags, then -X, then the environment, then the profile', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'samsa-options-'))
    try {
      const profile = join(dir, 'p.yaml')
      await writeFile(
        profile,
        'kafka_api:\n  brokers: [p:1, p:2]\n  tls: { ca_file: /p/ca.pem }\n  sasl: { mechanism: scram-sha-512, user: puser, password: ppass }\n'
      )
      assert.deepEqual(resolveConnection({ profile }, noHome), {
        brokers: ['p:1', 'p:2'],
        tlsEnabled: true,
        tlsCa: '/p/ca.pem',
        saslMechanism: 'SCRAM-SHA-512',
        user: 'puser',
        password: 'ppass'
      })
      const env = { ...noHome, SAMSA_BROKERS: 'e:1', SAMSA_USER: 'euser' }
      const s = resolveConnection({ profile, X: ['brokers=x:1,x:2', 'pass=xpass'], user: 'fuser' }, env)
      assert.deepEqual(s.brokers, ['x:1', 'x:2'])
      assert.equal(s.user, 'fuser')
      assert.equal(s.password, 'xpass')
      assert.equal(s.tlsCa, '/p/ca.pem')
      assert.deepEqual(resolveConnection({ profile, brokers: 'f:1' }, env).brokers, ['f:1'])
      assert.deepEqual(resolveConnection({ profile }, env).brokers, ['e:1'])
    } finally {
      await rm(dir, { recursive: true, force: true })
    }
  })

  it('defaults to 127.0.0.1:9092 in plain TCP; a user alone means PLAIN; a CA alone means TLS', () => {
    assert.deepEqual(resolveConnection({}, noHome), { brokers: ['127.0.0.1:9092'], tlsEnabled: false })
    assert.equal(resolveConnection({ user: 'u', password: 'p' }, noHome).saslMechanism, 'PLAIN')
    assert.equal(resolveConnection({ tlsCa: '/ca.pem' }, noHome).tlsEnabled, true)
    assert.equal(resolveConnection({}, { ...noHome, SAMSA_TLS_ENABLED: 'false' }).tlsEnabled, false)
  })

  it('rejects unknown -X keys, unsupported mechanisms and an unreadable profile as usage errors', () => {
    assert.throws(() => resolveConnection({ X: ['bogus=1'] }, noHome), UsageError)
    assert.throws(() => resolveConnection({ saslMechanism: 'GSSAPI' }, noHome), UsageError)
    assert.throws(() => resolveConnection({ profile: '/nonexistent/p.yaml' }, noHome), UsageError)
  })
})

describe('consumed record output', () => {
  const record = {
    topic: 't',
    partition: 2,
    offset: 7n,
    timestamp: 1000n,
    key: Buffer.from('k'),
    value: Buffer.from('vv'),
    headers: [
      ['a', '1'],
      ['b', '2']
    ] as [string, string][]
  }

  it('renders rpk-style templates with escapes', () => {
    assert.equal(
      recordPrinter('text', '%t/%p@%o %d %k(%K)=%v(%V) %h %H 100%%\\n')(record),
      't/2@7 1000 k(1)=vv(2) a=1,b=2 2 100%\n'
    )
  })

  it('prints one JSON object per record, and the value alone by default', () => {
    assert.deepEqual(JSON.parse(recordPrinter('json', undefined)(record)), {
      topic: 't',
      partition: 2,
      offset: 7,
      timestamp: 1000,
      key: 'k',
      value: 'vv',
      headers: { a: '1', b: '2' }
    })
    assert.equal(recordPrinter('text', undefined)({ ...record, key: null }), 'vv\n')
  })
})
