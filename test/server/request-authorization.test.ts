/**
 * RequestContext's authorization helpers: the decision of the configured authorizer for the connection's
 * principal and address, a denial written to the audit log at most so often, and the identity a forwarded
 * request carries trusted only from a connection with CLUSTER_ACTION (a broker), never from a client that
 * writes a forwarded-looking client id.
 */

import assert from 'node:assert/strict'
import { Writable } from 'node:stream'
import { describe, it } from 'node:test'
import {
  FORWARDED_CLIENT_ID_PREFIX,
  forwardedClientId,
  forwardedIdentity
} from '../../src/cluster/controller-channel.js'
import { createLogger } from '../../src/common/logger.js'
import { KafkaConfig } from '../../src/config/kafka-config.js'
import {
  AclPermissionType,
  CLUSTER_NAME,
  AclOperation as Op,
  PatternType,
  ResourceType as RT
} from '../../src/security/authorizer/acl-types.js'
import { DenialAuditLog } from '../../src/security/authorizer/denial-audit-log.js'
import { StandardAuthorizer } from '../../src/security/authorizer/standard-authorizer.js'
import { userPrincipal } from '../../src/security/kafka-principal.js'
import { RequestContext } from '../../src/server/request-context.js'

function setup(authorizer: StandardAuthorizer | null) {
  const lines: Record<string, unknown>[] = []
  const sink = new Writable({
    write(chunk, _enc, done) {
      lines.push(JSON.parse(chunk.toString()) as Record<string, unknown>)
      done()
    }
  })
  const logger = createLogger('info', sink)
  let now = 0
  const broker = {
    config: new KafkaConfig(new Map()),
    logger,
    apiRegistry: { versionRanges: () => [] },
    authorizer: () => authorizer,
    denials: new DenialAuditLog(logger, 2, () => now)
  }
  const context = (user: string, clientId: string | null = 'client', address = '::ffff:10.0.0.1') =>
    new RequestContext(
      { requestApiKey: 0, requestApiVersion: 9, correlationId: 1, clientId },
      {
        connectionId: 'c',
        listenerName: 'SASL_PLAINTEXT',
        clientAddress: address,
        clientPort: 1,
        principal: () => userPrincipal(user)
      },
      broker
    )
  return { lines, context, tick: (ms: number) => (now += ms) }
}

const acl = (principal: string, resourceType: number, resourceName: string, operation: number) => ({
  resourceType,
  resourceName,
  patternType: PatternType.LITERAL,
  principal,
  host: '*',
  operation,
  permissionType: AclPermissionType.ALLOW
})

describe('RequestContext authorization', () => {
  it('allows everything without an authorizer', () => {
    const { context } = setup(null)
    const ctx = context('nobody')
    assert.equal(ctx.authorizerEnabled, false)
    assert.equal(ctx.authorize(Op.WRITE, RT.TOPIC, 't'), true)
    assert.equal(ctx.authorizedOperations(RT.TOPIC, 't', 12345), 12345)
  })

  it('decides for the principal and its IPv4 address, and logs denials at most so often', async () => {
    const authorizer = new StandardAuthorizer({ superUsers: new Set(), allowEveryoneIfNoAclFound: false })
    authorizer.load([{ ...acl('User:alice', RT.TOPIC, 'orders', Op.WRITE), host: '10.0.0.1' }])
    const { context, lines, tick } = setup(authorizer)
    assert.equal(context('alice').authorize(Op.WRITE, RT.TOPIC, 'orders'), true)
    assert.equal(context('alice', 'c', '10.0.0.2').authorize(Op.WRITE, RT.TOPIC, 'orders'), false)
    assert.equal(context('bob').authorize(Op.WRITE, RT.TOPIC, 'orders'), false)
    assert.equal(context('bob').authorize(Op.READ, RT.TOPIC, 'orders', false), false, 'not logged')
    assert.equal(context('bob').authorize(Op.READ, RT.TOPIC, 'orders'), false, 'over the limit: counted')
    tick(1000)
    assert.equal(context('bob').authorize(Op.DELETE, RT.TOPIC, 'orders'), false)
    await new Promise((r) => setImmediate(r))
    const denials = lines.filter((l) => l.msg === 'authorization denied')
    assert.deepEqual(
      denials.map((l) => [
        l.principal,
        l.host,
        l.operation,
        l.resourceType,
        l.resourceName,
        l.suppressedDenials
      ]),
      [
        ['User:alice', '10.0.0.2', 'WRITE', 'TOPIC', 'orders', undefined],
        ['User:bob', '10.0.0.1', 'WRITE', 'TOPIC', 'orders', undefined],
        ['User:bob', '10.0.0.1', 'DELETE', 'TOPIC', 'orders', 1]
      ]
    )
  })

  it('trusts a forwarded identity only from a connection with CLUSTER_ACTION', () => {
    const authorizer = new StandardAuthorizer({
      superUsers: new Set(['User:admin']),
      allowEveryoneIfNoAclFound: false
    })
    authorizer.load([
      acl('User:broker', RT.CLUSTER, CLUSTER_NAME, Op.CLUSTER_ACTION),
      acl('User:alice', RT.TOPIC, 'orders', Op.CREATE)
    ])
    const { context } = setup(authorizer)
    const forged = `${FORWARDED_CLIENT_ID_PREFIX}1 on-behalf-of=User%3Aadmin 10.0.0.9`
    assert.deepEqual(forwardedIdentity(forged), { principal: 'User:admin', host: '10.0.0.9' })
    assert.equal(context('mallory', forged).authorize(Op.ALTER, RT.CLUSTER, CLUSTER_NAME), false)
    assert.equal(context('mallory', forged).subject.principal, 'User:mallory')

    const fromBroker = (clientId: string) => context('broker', clientId)
    const onBehalfOfAlice = `${FORWARDED_CLIENT_ID_PREFIX}2 on-behalf-of=User%3Aalice 10.0.0.7`
    assert.deepEqual(fromBroker(onBehalfOfAlice).subject, { principal: 'User:alice', host: '10.0.0.7' })
    assert.equal(fromBroker(onBehalfOfAlice).authorize(Op.CREATE, RT.TOPIC, 'orders'), true)
    assert.equal(fromBroker(onBehalfOfAlice).authorize(Op.CREATE, RT.TOPIC, 'payments'), false)
    // The forwarding header names the client it is served for, and its client id reads back as that client.
    const header = context('alice', 'app').forwardingHeader
    assert.deepEqual(header.onBehalfOf, { principal: 'User:alice', host: '10.0.0.1' })
    const sent = forwardedClientId(2, { principal: 'User:o d;d@x', host: '::1' })
    assert.deepEqual(forwardedIdentity(sent), { principal: 'User:o d;d@x', host: '::1' })
    assert.equal(forwardedIdentity(forwardedClientId(2, undefined)), null)
    assert.equal(forwardedIdentity('on-behalf-of=User%3Aadmin x'), null, 'not a forwarded client id')
  })
})
