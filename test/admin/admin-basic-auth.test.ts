/** AdminBasicAuth verifies SCRAM users by recomputing the stored key from the password, salt and iterations. */

import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { AdminBasicAuth } from '../../src/admin/admin-basic-auth.js'
import type { ScramCredentialRecord } from '../../src/cluster/metadata-store.js'
import type { SaslServerFactory } from '../../src/security/sasl/sasl-server.js'
import { generateScramCredential, SCRAM_SHA_512 } from '../../src/security/scram/scram-mechanism.js'

const header = (user: string, password: string) =>
  `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`

describe('AdminBasicAuth with SCRAM credentials', () => {
  it('accepts the password whose salted keys the broker stores, and nothing else', async () => {
    const credential = await generateScramCredential(SCRAM_SHA_512, 'carol-secret', 4096)
    const stored = new Map<string, ScramCredentialRecord>([['carol', credential]])
    const mechanisms = new Map<string, SaslServerFactory>([
      ['SCRAM-SHA-512', { mechanism: 'SCRAM-SHA-512', create: () => assert.fail('not a SASL exchange') }]
    ])
    const auth = new AdminBasicAuth({
      mechanisms: () => mechanisms,
      scramCredential: (user, m) => (m === 'SCRAM-SHA-512' ? stored.get(user) : undefined)
    })
    assert.deepEqual(await auth.verify(header('carol', 'carol-secret')), {
      user: 'carol',
      mechanism: 'SCRAM-SHA-512'
    })
    assert.equal(await auth.verify(header('carol', 'carol-secreT')), null)
    assert.equal(await auth.verify(header('dave', 'carol-secret')), null)
    assert.equal(await auth.verify(undefined), null)
    assert.equal(await auth.verify('Bearer abc'), null)
  })

  it('ignores SCRAM credentials when no listener enables SCRAM', async () => {
    const credential = await generateScramCredential(SCRAM_SHA_512, 'carol-secret', 4096)
    const auth = new AdminBasicAuth({ mechanisms: () => new Map(), scramCredential: () => credential })
    assert.equal(await auth.verify(header('carol', 'carol-secret')), null)
  })
})
