/**
 * The broker's client side of SCRAM (used towards other brokers) against RFC 7677's exchange and against the
 * broker's own server side, for both mechanisms: success, a wrong password, a server that does not know the
 * key (wrong signature) and a server nonce that does not extend the client's.
 */

import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import type { ScramCredentialRecord, ScramMechanismName } from '../../src/cluster/metadata-store.js'
import { parseJaasConfig } from '../../src/security/jaas-config.js'
import { PlainSaslClient } from '../../src/security/sasl/client/plain-sasl-client.js'
import { ScramSaslClient } from '../../src/security/sasl/client/scram-sasl-client.js'
import { plainSaslServerFactory } from '../../src/security/sasl/plain-sasl-server.js'
import { SaslAuthenticationError, type SaslServer } from '../../src/security/sasl/sasl-server.js'
import { scramSaslServerFactory } from '../../src/security/sasl/scram-sasl-server.js'
import {
  generateScramCredential,
  SCRAM_SHA_256,
  SCRAM_SHA_512,
  type ScramMechanism
} from '../../src/security/scram/scram-mechanism.js'

const ctx = { listenerName: 'BROKER', clientAddress: '127.0.0.1' }

class Credentials {
  readonly entries = new Map<string, ScramCredentialRecord>()
  credential(user: string, mechanism: ScramMechanismName): ScramCredentialRecord | undefined {
    return this.entries.get(`${mechanism}/${user}`)
  }
  async add(m: ScramMechanism, user: string, password: string): Promise<void> {
    this.entries.set(`${m.name}/${user}`, await generateScramCredential(m, password, 4096))
  }
}

/** Runs the exchange the way BrokerConnection does: initial response, then one answer per server message. */
async function exchange(client: ScramSaslClient | PlainSaslClient, server: SaslServer): Promise<void> {
  let token: Buffer | null = await client.initialResponse()
  while (token !== null) {
    const challenge = await server.evaluateResponse(token)
    token = await client.evaluateChallenge(challenge)
  }
}

describe('SCRAM SASL client', () => {
  it("produces RFC 7677's SCRAM-SHA-256 client messages and accepts its server signature", async () => {
    const client = new ScramSaslClient(
      SCRAM_SHA_256,
      { username: 'user', password: 'pencil' },
      () => 'rOprNGfwEbeRWgbNEkqO'
    )
    assert.equal((await client.initialResponse()).toString(), 'n,,n=user,r=rOprNGfwEbeRWgbNEkqO')
    const clientFinal = await client.evaluateChallenge(
      Buffer.from('r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096')
    )
    assert.equal(
      clientFinal?.toString(),
      'c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ='
    )
    assert.equal(
      await client.evaluateChallenge(Buffer.from('v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=')),
      null
    )
  })

  for (const m of [SCRAM_SHA_256, SCRAM_SHA_512]) {
    it(`${m.name}: authenticates against the broker's server side, names that need saslname escaping too`, async () => {
      const credentials = new Credentials()
      await credentials.add(m, 'broker', 'broker-secret')
      await credentials.add(m, 'b,=x', 'other-secret')
      const factory = scramSaslServerFactory(m, credentials)
      const server = factory.create(ctx)
      await exchange(new ScramSaslClient(m, { username: 'broker', password: 'broker-secret' }), server)
      assert.equal(server.complete, true)
      assert.equal(server.authorizationId(), 'broker')
      const escaped = factory.create(ctx)
      await exchange(new ScramSaslClient(m, { username: 'b,=x', password: 'other-secret' }), escaped)
      assert.equal(escaped.authorizationId(), 'b,=x')
    })

    it(`${m.name}: a wrong password is refused by the server`, async () => {
      const credentials = new Credentials()
      await credentials.add(m, 'broker', 'broker-secret')
      const server = scramSaslServerFactory(m, credentials).create(ctx)
      await assert.rejects(
        exchange(new ScramSaslClient(m, { username: 'broker', password: 'wrong' }), server),
        SaslAuthenticationError
      )
      assert.equal(server.complete, false)
    })

    it(`${m.name}: a server signature made without the key is refused by the client`, async () => {
      const credentials = new Credentials()
      await credentials.add(m, 'broker', 'broker-secret')
      const server = scramSaslServerFactory(m, credentials).create(ctx)
      const client = new ScramSaslClient(m, { username: 'broker', password: 'broker-secret' })
      const serverFirst = await server.evaluateResponse(await client.initialResponse())
      const clientFinal = await client.evaluateChallenge(serverFirst)
      const genuine = (await server.evaluateResponse(clientFinal!)).toString()
      const forged = `v=${Buffer.alloc(m.keyLength, 7).toString('base64')}`
      assert.notEqual(genuine, forged)
      await assert.rejects(client.evaluateChallenge(Buffer.from(forged)), /invalid server signature/)
    })

    it(`${m.name}: a server nonce that does not extend the client's is refused`, async () => {
      const client = new ScramSaslClient(m, { username: 'broker', password: 'x' }, () => 'abc')
      await client.initialResponse()
      await assert.rejects(
        client.evaluateChallenge(Buffer.from('r=xyz123,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096')),
        /does not extend the client nonce/
      )
    })

    it(`${m.name}: a server error in server-final is reported`, async () => {
      const credentials = new Credentials()
      await credentials.add(m, 'broker', 'broker-secret')
      const server = scramSaslServerFactory(m, credentials).create(ctx)
      const client = new ScramSaslClient(m, { username: 'broker', password: 'broker-secret' })
      await client.evaluateChallenge(await server.evaluateResponse(await client.initialResponse()))
      await assert.rejects(client.evaluateChallenge(Buffer.from('e=invalid-proof')), /invalid-proof/)
    })
  }
})

describe('PLAIN SASL client', () => {
  it("logs in to the broker's PLAIN server with the JAAS username and password", async () => {
    const jaas = parseJaasConfig(
      'sasl.jaas.config',
      'org.apache.kafka.common.security.plain.PlainLoginModule required username="broker" password="s3cret" user_broker="s3cret";'
    )
    const factory = plainSaslServerFactory(jaas)
    const server = factory.create(ctx)
    await exchange(new PlainSaslClient({ username: 'broker', password: 's3cret' }), server)
    assert.equal(server.authorizationId(), 'broker')
    await assert.rejects(
      exchange(new PlainSaslClient({ username: 'broker', password: 'nope' }), factory.create(ctx)),
      SaslAuthenticationError
    )
  })
})
