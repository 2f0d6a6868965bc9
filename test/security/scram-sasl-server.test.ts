/**
 * The SCRAM server against RFC 7677's SCRAM-SHA-256 exchange and against an independent client: kafkajs's own
 * SCRAM implementation, driven directly with the server in place of a broker connection.
 */

import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import type { ScramCredentialRecord, ScramMechanismName } from '../../src/cluster/metadata-store.js'
import { SaslAuthenticationError } from '../../src/security/sasl/sasl-server.js'
import { scramSaslServerFactory } from '../../src/security/sasl/scram-sasl-server.js'
import type { ScramCredentialStore } from '../../src/security/scram/scram-credential-cache.js'
import {
  clientKey,
  generateScramCredential,
  hash,
  hmac,
  SCRAM_SHA_256,
  SCRAM_SHA_512,
  type ScramMechanism,
  saltPassword
} from '../../src/security/scram/scram-mechanism.js'
import { kafkajsScramExchange } from '../helpers/kafkajs-scram-client.js'

const GENERIC = (m: ScramMechanism) =>
  `Authentication failed during authentication due to invalid credentials with SASL mechanism ${m.name}`

class Credentials implements ScramCredentialStore {
  readonly entries = new Map<string, ScramCredentialRecord>()
  credential(user: string, mechanism: ScramMechanismName): ScramCredentialRecord | undefined {
    return this.entries.get(`${mechanism}/${user}`)
  }
  async add(m: ScramMechanism, user: string, password: string, iterations = 4096): Promise<void> {
    this.entries.set(`${m.name}/${user}`, await generateScramCredential(m, password, iterations))
  }
}

function assertFails(m: ScramMechanism, reason: RegExp) {
  return (err: unknown): boolean => {
    assert.ok(err instanceof SaslAuthenticationError, String(err))
    assert.equal(err.message, GENERIC(m))
    assert.match(String((err.cause as Error | undefined)?.message), reason)
    return true
  }
}

describe('SCRAM SASL server', () => {
  it("answers RFC 7677's SCRAM-SHA-256 exchange byte for byte", async () => {
    // RFC 7677 section 3: user "user", password "pencil", 4096 iterations.
    const credentials = new Credentials()
    credentials.entries.set(
      'SCRAM-SHA-256/user',
      await generateScramCredential(
        SCRAM_SHA_256,
        'pencil',
        4096,
        Buffer.from('W22ZaJ0SNY7soEsUEjb6gQ==', 'base64')
      )
    )
    const factory = scramSaslServerFactory(SCRAM_SHA_256, credentials, {
      serverNonce: () => '%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0'
    })
    assert.equal(factory.mechanism, 'SCRAM-SHA-256')
    const server = factory.create({ listenerName: 'SASL_SSL', clientAddress: '127.0.0.1' })
    const serverFirst = await server.evaluateResponse(Buffer.from('n,,n=user,r=rOprNGfwEbeRWgbNEkqO'))
    assert.equal(
      serverFirst.toString(),
      'r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096'
    )
    assert.equal(server.complete, false)
    const serverFinal = await server.evaluateResponse(
      Buffer.from(
        'c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ='
      )
    )
    assert.equal(serverFinal.toString(), 'v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=')
    assert.equal(server.complete, true)
    assert.equal(server.authorizationId(), 'user')
  })

  for (const m of [SCRAM_SHA_256, SCRAM_SHA_512]) {
    it(`${m.name}: kafkajs's client authenticates and accepts the server signature`, async () => {
      const credentials = new Credentials()
      await credentials.add(m, 'alice', 'alice-secret', 8192)
      // A name with ',' and '=' travels as saslname (=2C, =3D) and must come back decoded.
      await credentials.add(m, 'bob,=x', 'bob-secret')
      const factory = scramSaslServerFactory(m, credentials)
      const ctx = { listenerName: 'SASL_SSL', clientAddress: '127.0.0.1' }
      const server = factory.create(ctx)
      await kafkajsScramExchange(m, server, 'alice', 'alice-secret')
      assert.equal(server.complete, true)
      assert.equal(server.authorizationId(), 'alice')
      const bob = factory.create(ctx)
      await kafkajsScramExchange(m, bob, 'bob,=x', 'bob-secret')
      assert.equal(bob.authorizationId(), 'bob,=x')
    })

    it(`${m.name}: a wrong password and an unknown user fail alike, at client-final`, async () => {
      const credentials = new Credentials()
      await credentials.add(m, 'alice', 'alice-secret')
      const factory = scramSaslServerFactory(m, credentials)
      const ctx = { listenerName: 'SASL_SSL', clientAddress: '127.0.0.1' }
      const wrong = factory.create(ctx)
      const tokens: Buffer[] = []
      await assert.rejects(
        kafkajsScramExchange(m, wrong, 'alice', 'not-the-secret', tokens),
        assertFails(m, /proof/)
      )
      assert.equal(tokens.length, 2, 'the proof was checked, at client-final')
      assert.equal(wrong.complete, false)
      assert.throws(() => wrong.authorizationId())

      const unknown = factory.create(ctx)
      const unknownTokens: Buffer[] = []
      await assert.rejects(
        kafkajsScramExchange(m, unknown, 'mallory', 'anything', unknownTokens),
        assertFails(m, /unknown user/)
      )
      assert.equal(unknownTokens.length, 2, 'an unknown user gets a server-first like a known one')
      // The made-up salt is stable, so asking twice does not reveal that the user does not exist.
      const first = await factory.create(ctx).evaluateResponse(Buffer.from('n,,n=mallory,r=abc'))
      const again = await factory.create(ctx).evaluateResponse(Buffer.from('n,,n=mallory,r=abc'))
      assert.equal(/s=([^,]+)/.exec(first.toString())?.[1], /s=([^,]+)/.exec(again.toString())?.[1])
    })

    it(`${m.name}: a client-final with another nonce, or replayed, fails`, async () => {
      const credentials = new Credentials()
      await credentials.add(m, 'alice', 'alice-secret')
      const factory = scramSaslServerFactory(m, credentials)
      const ctx = { listenerName: 'SASL_SSL', clientAddress: '127.0.0.1' }
      const tokens: Buffer[] = []
      const first = factory.create(ctx)
      await kafkajsScramExchange(m, first, 'alice', 'alice-secret', tokens)
      const [clientFirst, clientFinal] = tokens as [Buffer, Buffer]

      // Replayed on the completed exchange: no second answer.
      await assert.rejects(first.evaluateResponse(clientFinal), assertFails(m, /state complete/))

      // Replayed on a new exchange (same client-first, so same user): the server's nonce differs.
      const replay = factory.create(ctx)
      await replay.evaluateResponse(clientFirst)
      await assert.rejects(replay.evaluateResponse(clientFinal), assertFails(m, /nonce/))
      // And a failed exchange stays failed.
      await assert.rejects(replay.evaluateResponse(clientFinal), assertFails(m, /state failed/))

      // A nonce that is the client's own with a made-up server part.
      const bad = factory.create(ctx)
      const serverFirst = (await bad.evaluateResponse(Buffer.from('n,,n=alice,r=client-nonce'))).toString()
      assert.match(serverFirst, /^r=client-nonce[^,]+,s=[^,]+,i=4096$/)
      await assert.rejects(
        bad.evaluateResponse(
          Buffer.from(`c=biws,r=client-nonceXYZ,p=${Buffer.alloc(m.keyLength).toString('base64')}`)
        ),
        assertFails(m, /nonce/)
      )
    })
  }

  it("accepts librdkafka's client-final nonce (its own nonce again in front), and no other prefix", async () => {
    // RFC 7677's exchange, with the nonce as librdkafka v2 sends it; the proof covers the message as sent.
    const m = SCRAM_SHA_256
    const credentials = new Credentials()
    await credentials.add(m, 'user', 'pencil')
    const factory = scramSaslServerFactory(m, credentials, { serverNonce: () => 'snonce' })
    const ctx = { listenerName: 'SASL_SSL', clientAddress: '127.0.0.1' }
    const exchange = async (finalNonce: string) => {
      const server = factory.create(ctx)
      const serverFirst = (await server.evaluateResponse(Buffer.from('n,,n=user,r=cnonce'))).toString()
      const salt = Buffer.from(/s=([^,]+)/.exec(serverFirst)![1]!, 'base64')
      const salted = await saltPassword(m, 'pencil', salt, 4096)
      const withoutProof = `c=biws,r=${finalNonce}`
      const authMessage = `n=user,r=cnonce,${serverFirst},${withoutProof}`
      const key = clientKey(m, salted)
      const signature = hmac(m, hash(m, key), authMessage)
      const proof = Buffer.from(key.map((b, i) => b ^ signature[i]!))
      await server.evaluateResponse(Buffer.from(`${withoutProof},p=${proof.toString('base64')}`))
      return server.authorizationId()
    }
    assert.equal(await exchange('cnoncesnonce'), 'user')
    assert.equal(await exchange('cnoncecnoncesnonce'), 'user')
    await assert.rejects(exchange('othercnoncesnonce'), assertFails(m, /nonce/))
  })

  it('refuses a foreign authzid, channel binding, delegation tokens and malformed messages', async () => {
    const m = SCRAM_SHA_256
    const credentials = new Credentials()
    await credentials.add(m, 'alice', 'alice-secret')
    const factory = scramSaslServerFactory(m, credentials)
    const ctx = { listenerName: 'SASL_SSL', clientAddress: '127.0.0.1' }
    const first = (message: string) => factory.create(ctx).evaluateResponse(Buffer.from(message))

    await assert.rejects(first('n,a=bob,n=alice,r=abc'), {
      name: 'SaslAuthenticationError',
      message: 'Authentication failed: Client requested an authorization id that is different from username'
    })
    // The user's own name as authzid is fine.
    assert.match((await first('n,a=alice,n=alice,r=abc')).toString(), /^r=abc/)
    await assert.rejects(first('p=tls-unique,,n=alice,r=abc'), assertFails(m, /channel binding/))
    await assert.rejects(first('n,,n=alice,r=abc,tokenauth=true'), assertFails(m, /delegation tokens/))
    await assert.rejects(first('n,,m=ext,n=alice,r=abc'), assertFails(m, /n= and r=/))
    await assert.rejects(first('n,,n=al=ice,r=abc'), assertFails(m, /saslname/))
    await assert.rejects(first('n,,n=alice,r=a,b'), assertFails(m, /extension/))

    // c= must encode the gs2 header the client sent: "n,a=alice," is not "n,,".
    const withAuthzid = factory.create(ctx)
    const serverFirst = (
      await withAuthzid.evaluateResponse(Buffer.from('n,a=alice,n=alice,r=abc'))
    ).toString()
    const nonce = /^r=([^,]+)/.exec(serverFirst)?.[1]
    await assert.rejects(
      withAuthzid.evaluateResponse(Buffer.from(`c=biws,r=${nonce},p=${Buffer.alloc(32).toString('base64')}`)),
      assertFails(m, /channel binding/)
    )
  })
})
