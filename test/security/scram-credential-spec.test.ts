import assert from 'node:assert/strict'
import { pbkdf2Sync } from 'node:crypto'
import { describe, it } from 'node:test'
import { parseScramCredentialSpec } from '../../src/security/scram/scram-credential-spec.js'
import {
  credentialFromSaltedPassword,
  SCRAM_SHA_256,
  SCRAM_SHA_512
} from '../../src/security/scram/scram-mechanism.js'

describe("kafka-storage format's --add-scram argument", () => {
  it('salts a password (quoted values may hold , and ]) with the minimum iterations by default', async () => {
    const parsed = await parseScramCredentialSpec('SCRAM-SHA-512=[name="al,ice",password="p,a]ss"]')
    assert.equal(parsed.user, 'al,ice')
    assert.equal(parsed.mechanism, 'SCRAM-SHA-512')
    const { salt, iterations, storedKey } = parsed.credential
    assert.equal(iterations, 4096)
    const expected = credentialFromSaltedPassword(
      SCRAM_SHA_512,
      salt,
      pbkdf2Sync('p,a]ss', salt, 4096, 64, 'sha512'),
      4096
    )
    assert.deepEqual(storedKey, expected.storedKey)
  })

  it('takes salt and saltedpassword in base64 instead of a password, as Kafka documents', async () => {
    const salt = 'MWx2NHBkbnc0ZndxN25vdGN4bTB5eTFrN3E='
    const salted = 'mT0yyUUxnlJaC99HXgRTSYlbuqa4FSGtJCJfTMvjYCE='
    const parsed = await parseScramCredentialSpec(
      `SCRAM-SHA-256=[name=alice,salt="${salt}",saltedpassword="${salted}",iterations=8192]`
    )
    assert.deepEqual(
      parsed.credential,
      credentialFromSaltedPassword(
        SCRAM_SHA_256,
        Buffer.from(salt, 'base64'),
        Buffer.from(salted, 'base64'),
        8192
      )
    )
  })

  it('refuses what Kafka refuses, never repeating the password', async () => {
    const cases: [string, RegExp][] = [
      ['SCRAM-SHA-1=[name=a,password=s3cret]', /unsupported SCRAM mechanism SCRAM-SHA-1/],
      ['SCRAM-SHA-256=[password=s3cret]', /needs name=/],
      [
        'SCRAM-SHA-256=[name=a,password=s3cret,iterations=1000]',
        /iterations must be an integer from 4096 to 16384/
      ],
      ['SCRAM-SHA-256=[name=a,password=s3cret,iterations=16385]', /iterations/],
      ['SCRAM-SHA-256=[name=a]', /needs password=, or salt= and saltedpassword=/],
      ['SCRAM-SHA-256=[name=a,password=s3cret,colour=blue]', /unknown field colour/],
      ['SCRAM-SHA-256=[name=a,password="s3cret]', /unterminated quote|must look like/],
      ['SCRAM-SHA-256 name=a password=s3cret', /must look like/],
      ['SCRAM-SHA-256=[name=a,salt=AAAA,saltedpassword=AAAA]', /saltedpassword must be 32 bytes/]
    ]
    for (const [spec, message] of cases) {
      await assert.rejects(parseScramCredentialSpec(spec), (err: Error) => {
        assert.match(err.message, message, spec)
        assert.doesNotMatch(err.message, /s3cret/)
        return true
      })
    }
  })
})
