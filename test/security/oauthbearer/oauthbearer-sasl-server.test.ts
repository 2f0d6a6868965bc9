/**
 * The OAUTHBEARER exchange over any OAuthBearerValidator: what another kind of token (MSK IAM presigned URLs,
 * say) plugs into. The validators here are stand-ins for such a plug-in; the SASL server is the real one.
 */

import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import {
  OAuthBearerSaslServer,
  oauthBearerSaslServerFactory
} from '../../../src/security/sasl/oauthbearer/oauthbearer-sasl-server.js'
import {
  OAuthBearerValidationError,
  type OAuthBearerValidator
} from '../../../src/security/sasl/oauthbearer/oauthbearer-validator.js'
import { SaslAuthenticationError } from '../../../src/security/sasl/sasl-server.js'

const message = (token: string, rest = '') => Buffer.from(`n,${rest},\u0001auth=Bearer ${token}\u0001\u0001`)

/** Accepts `user.<name>` tokens for an hour, refuses `scope.*` for lack of a scope, fails on `boom`. */
const validator: OAuthBearerValidator = {
  async validate(token) {
    if (token.startsWith('user.')) return { principal: token.slice(5), lifetimeMs: 3_600_000 }
    if (token.startsWith('scope.'))
      throw new OAuthBearerValidationError('no scope', 'insufficient_scope', '[kafka]')
    if (token === 'boom') throw new Error('validator backend unreachable')
    throw new OAuthBearerValidationError('unknown token')
  }
}

describe('OAuthBearerSaslServer', () => {
  it('completes with the principal and the credential lifetime the validator reports', async () => {
    const factory = oauthBearerSaslServerFactory(validator)
    assert.equal(factory.mechanism, 'OAUTHBEARER')
    const server = factory.create({ listenerName: 'SASL_SSL', clientAddress: '10.0.0.1' })
    assert.equal(server.complete, false)
    const challenge = await server.evaluateResponse(message('user.alice'))
    assert.equal(challenge.length, 0)
    assert.equal(server.complete, true)
    assert.equal(server.authorizationId(), 'alice')
    assert.equal(server.sessionLifetimeMs?.(), 3_600_000)
    // An exchange is one token; anything after completion is refused.
    await assert.rejects(server.evaluateResponse(message('user.alice')), SaslAuthenticationError)
  })

  it('sends the RFC 7628 error challenge with the scope, and fails once the client acknowledges it', async () => {
    const server = new OAuthBearerSaslServer(validator)
    const challenge = await server.evaluateResponse(message('scope.x'))
    assert.equal(challenge.toString(), '{"status":"insufficient_scope", "scope":"[kafka]"}')
    assert.equal(server.complete, false)
    await assert.rejects(server.evaluateResponse(Buffer.from([0x01])), (err: unknown) => {
      assert.ok(err instanceof SaslAuthenticationError)
      assert.equal(err.message, '{"status":"insufficient_scope", "scope":"[kafka]"}')
      // The validator's reason is kept for the broker's log, not sent.
      assert.equal((err.cause as Error).message, 'no scope')
      return true
    })
  })

  it('lets a client send a new token instead of acknowledging the error', async () => {
    const server = new OAuthBearerSaslServer(validator)
    assert.equal((await server.evaluateResponse(message('nope'))).toString(), '{"status":"invalid_token"}')
    await server.evaluateResponse(message('user.bob'))
    assert.equal(server.authorizationId(), 'bob')
    // 0x01 without an error pending is just a malformed message.
    const fresh = new OAuthBearerSaslServer(validator)
    await assert.rejects(fresh.evaluateResponse(Buffer.from([0x01])), SaslAuthenticationError)
  })

  it('accepts an authorization id equal to the principal only', async () => {
    const ok = new OAuthBearerSaslServer(validator)
    await ok.evaluateResponse(message('user.carol', 'a=carol'))
    assert.equal(ok.authorizationId(), 'carol')
    const other = new OAuthBearerSaslServer(validator)
    await assert.rejects(other.evaluateResponse(message('user.carol', 'a=admin')), SaslAuthenticationError)
    assert.equal(other.complete, false)
  })

  it('does not turn a broken validator into a bad-token answer', async () => {
    const server = new OAuthBearerSaslServer(validator)
    await assert.rejects(server.evaluateResponse(message('boom')), (err: unknown) => {
      return (
        err instanceof Error && !(err instanceof SaslAuthenticationError) && /unreachable/.test(err.message)
      )
    })
  })
})
