import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { filterMatches } from '../../../src/security/authorizer/acl-binding-filter.js'
import {
  AclOperation as Op,
  PatternType,
  AclPermissionType as Perm,
  ResourceType as RT,
  type StandardAcl
} from '../../../src/security/authorizer/acl-types.js'
import { parseSuperUsers } from '../../../src/security/authorizer/authorizer-config.js'
import { StandardAuthorizer } from '../../../src/security/authorizer/standard-authorizer.js'

const alice = { principal: 'User:alice', host: '10.0.0.1' }
const bob = { principal: 'User:bob', host: '10.0.0.2' }

const acl = (over: Partial<StandardAcl>): StandardAcl => ({
  resourceType: RT.TOPIC,
  resourceName: 'orders',
  patternType: PatternType.LITERAL,
  principal: 'User:alice',
  host: '*',
  operation: Op.READ,
  permissionType: Perm.ALLOW,
  ...over
})

function authorizer(acls: StandardAcl[], settings: Partial<StandardAuthorizer['settings']> = {}) {
  const a = new StandardAuthorizer({ superUsers: new Set(), allowEveryoneIfNoAclFound: false, ...settings })
  a.load(acls)
  return a
}

describe('StandardAuthorizer', () => {
  it('matches a LITERAL name exactly, never as a prefix', () => {
    const a = authorizer([acl({})])
    assert.equal(a.authorize(alice, Op.READ, RT.TOPIC, 'orders'), true)
    assert.equal(a.authorize(alice, Op.READ, RT.TOPIC, 'orders-1'), false)
    assert.equal(a.authorize(alice, Op.READ, RT.TOPIC, 'order'), false)
    assert.equal(a.authorize(alice, Op.READ, RT.GROUP, 'orders'), false, 'another resource type')
  })

  it('matches the LITERAL * name against every resource of its type', () => {
    const a = authorizer([acl({ resourceName: '*' })])
    assert.equal(a.authorize(alice, Op.READ, RT.TOPIC, 'anything'), true)
    assert.equal(a.authorize(alice, Op.READ, RT.GROUP, 'anything'), false)
  })

  it('matches PREFIXED names by prefix, including the prefix itself', () => {
    const a = authorizer([acl({ resourceName: 'orders-', patternType: PatternType.PREFIXED })])
    assert.equal(a.authorize(alice, Op.READ, RT.TOPIC, 'orders-1'), true)
    assert.equal(a.authorize(alice, Op.READ, RT.TOPIC, 'orders-'), true)
    assert.equal(a.authorize(alice, Op.READ, RT.TOPIC, 'orders'), false)
    assert.equal(a.authorize(alice, Op.READ, RT.TOPIC, 'payments'), false)
  })

  it('lets any matching DENY beat any ALLOW, whatever their patterns', () => {
    const a = authorizer([
      acl({ resourceName: '*', operation: Op.ALL }),
      acl({ resourceName: 'orders-', patternType: PatternType.PREFIXED, permissionType: Perm.DENY })
    ])
    assert.equal(a.authorize(alice, Op.READ, RT.TOPIC, 'orders-1'), false)
    assert.equal(a.authorize(alice, Op.WRITE, RT.TOPIC, 'orders-1'), true, 'the DENY is for READ only')
    assert.equal(a.authorize(alice, Op.READ, RT.TOPIC, 'payments'), true)
    const wildcardDeny = authorizer([
      acl({}),
      acl({ principal: 'User:*', resourceName: '*', permissionType: Perm.DENY })
    ])
    assert.equal(wildcardDeny.authorize(alice, Op.READ, RT.TOPIC, 'orders'), false)
  })

  it('applies the implications of ALLOW ACLs only', () => {
    for (const op of [Op.READ, Op.WRITE, Op.DELETE, Op.ALTER]) {
      assert.equal(
        authorizer([acl({ operation: op })]).authorize(alice, Op.DESCRIBE, RT.TOPIC, 'orders'),
        true
      )
    }
    assert.equal(
      authorizer([acl({ operation: Op.CREATE })]).authorize(alice, Op.DESCRIBE, RT.TOPIC, 'orders'),
      false
    )
    const configs = authorizer([acl({ operation: Op.ALTER_CONFIGS })])
    assert.equal(configs.authorize(alice, Op.DESCRIBE_CONFIGS, RT.TOPIC, 'orders'), true)
    assert.equal(configs.authorize(alice, Op.ALTER, RT.TOPIC, 'orders'), false)
    assert.equal(
      authorizer([acl({ operation: Op.READ })]).authorize(alice, Op.WRITE, RT.TOPIC, 'orders'),
      false
    )
    // A DENY of READ does not deny DESCRIBE, which an ALLOW of ALL grants.
    const deny = authorizer([acl({ operation: Op.ALL }), acl({ permissionType: Perm.DENY })])
    assert.equal(deny.authorize(alice, Op.DESCRIBE, RT.TOPIC, 'orders'), true)
    assert.equal(deny.authorize(alice, Op.READ, RT.TOPIC, 'orders'), false)
    assert.equal(
      authorizer([acl({ operation: Op.ALL })]).authorize(alice, Op.ALTER_CONFIGS, RT.TOPIC, 'orders'),
      true
    )
  })

  it('matches principals exactly or through User:*, and hosts exactly or through *', () => {
    const a = authorizer([acl({ host: '10.0.0.1' }), acl({ principal: 'User:*', operation: Op.WRITE })])
    assert.equal(a.authorize(alice, Op.READ, RT.TOPIC, 'orders'), true)
    assert.equal(a.authorize({ ...alice, host: '10.0.0.9' }, Op.READ, RT.TOPIC, 'orders'), false)
    assert.equal(a.authorize(bob, Op.READ, RT.TOPIC, 'orders'), false)
    assert.equal(a.authorize(bob, Op.WRITE, RT.TOPIC, 'orders'), true)
  })

  it('allows resources without any ACL only with allow.everyone.if.no.acl.found', () => {
    const open = authorizer([acl({})], { allowEveryoneIfNoAclFound: true })
    assert.equal(open.authorize(bob, Op.WRITE, RT.TOPIC, 'payments'), true, 'no ACL on payments')
    assert.equal(open.authorize(bob, Op.READ, RT.TOPIC, 'orders'), false, 'orders has an ACL, not for bob')
    assert.equal(authorizer([]).authorize(bob, Op.WRITE, RT.TOPIC, 'payments'), false)
  })

  it('lets super users do anything, DENY ACLs notwithstanding', () => {
    const a = authorizer([acl({ principal: 'User:admin', operation: Op.ALL, permissionType: Perm.DENY })], {
      superUsers: parseSuperUsers(' User:admin ; User:broker;')
    })
    assert.equal(a.authorize({ principal: 'User:admin', host: 'h' }, Op.READ, RT.TOPIC, 'orders'), true)
    assert.equal(
      a.authorize({ principal: 'User:broker', host: 'h' }, Op.CLUSTER_ACTION, RT.CLUSTER, 'kafka-cluster'),
      true
    )
  })

  it('authorizes by resource type (KIP-679): an ALLOW somewhere that no DENY covers', () => {
    const write = acl({ operation: Op.WRITE, resourceName: 'orders-', patternType: PatternType.PREFIXED })
    assert.equal(authorizer([write]).authorizeByResourceType(alice, Op.WRITE, RT.TOPIC), true)
    assert.equal(authorizer([write]).authorizeByResourceType(bob, Op.WRITE, RT.TOPIC), false)
    const covered = acl({
      operation: Op.WRITE,
      resourceName: 'ord',
      patternType: PatternType.PREFIXED,
      permissionType: Perm.DENY
    })
    assert.equal(authorizer([write, covered]).authorizeByResourceType(alice, Op.WRITE, RT.TOPIC), false)
    const all = acl({ operation: Op.WRITE, resourceName: '*', permissionType: Perm.DENY })
    assert.equal(authorizer([write, all]).authorizeByResourceType(alice, Op.WRITE, RT.TOPIC), false)
  })

  it('computes the authorized-operations bits of a resource', () => {
    const a = authorizer([acl({ operation: Op.WRITE })])
    assert.equal(a.authorizedOperations(alice, RT.TOPIC, 'orders'), (1 << Op.WRITE) | (1 << Op.DESCRIBE))
  })

  it('gives the same authorized-operations bits as one decision per operation', () => {
    const a = authorizer([
      acl({ operation: Op.ALL }),
      acl({ operation: Op.READ, permissionType: Perm.DENY }),
      acl({
        principal: 'User:*',
        operation: Op.ALTER_CONFIGS,
        resourceName: 'ord',
        patternType: PatternType.PREFIXED
      }),
      acl({ resourceType: RT.GROUP, operation: Op.READ })
    ])
    for (const subject of [alice, bob])
      for (const [type, name] of [
        [RT.TOPIC, 'orders'],
        [RT.TOPIC, 'ordinal'],
        [RT.GROUP, 'orders'],
        [RT.CLUSTER, 'kafka-cluster']
      ] as const) {
        let expected = 0
        for (let op = Op.READ; op <= Op.DESCRIBE_TOKENS; op++)
          if (a.authorize(subject, op, type, name)) expected |= 1 << op
        const applicable = a.authorizedOperations(subject, type, name)
        assert.equal(applicable & ~expected, 0, `${subject.principal} ${name}`)
        assert.equal(applicable, applicable & expected)
      }
    assert.equal(a.authorizedOperations(alice, RT.TOPIC, 'orders') & (1 << Op.READ), 0)
    assert.notEqual(a.authorizedOperations(alice, RT.TOPIC, 'orders') & (1 << Op.WRITE), 0)
  })

  it('stays cheap and correct with many ACLs', () => {
    const acls: StandardAcl[] = []
    for (let i = 0; i < 10_000; i++)
      acls.push(
        acl({ resourceName: `t-${i}-`, patternType: i % 2 ? PatternType.PREFIXED : PatternType.LITERAL })
      )
    const a = authorizer(acls)
    assert.equal(a.authorize(alice, Op.READ, RT.TOPIC, 't-1-x'), true, 'PREFIXED t-1-')
    assert.equal(a.authorize(alice, Op.READ, RT.TOPIC, 't-2-x'), false, 't-2- is LITERAL')
    assert.equal(a.authorize(alice, Op.READ, RT.TOPIC, 't-2-'), true)
  })
})

describe('ACL binding filters', () => {
  const base = {
    resourceType: RT.ANY,
    resourceName: null,
    patternType: PatternType.ANY,
    principal: null,
    host: null,
    operation: Op.ANY,
    permissionType: Perm.ANY
  }
  const prefixed = acl({ resourceName: 'orders-', patternType: PatternType.PREFIXED })
  const wildcard = acl({ resourceName: '*' })
  const literal = acl({ resourceName: 'orders-1' })

  it('ANY matches names exactly; MATCH finds every pattern that applies to a name', () => {
    assert.equal(filterMatches(base, prefixed), true)
    const any = { ...base, resourceName: 'orders-1' }
    assert.deepEqual(
      [prefixed, wildcard, literal].map((b) => filterMatches(any, b)),
      [false, false, true]
    )
    const match = { ...base, resourceName: 'orders-1', patternType: PatternType.MATCH }
    assert.deepEqual(
      [prefixed, wildcard, literal].map((b) => filterMatches(match, b)),
      [true, true, true]
    )
    const other = { ...match, resourceName: 'payments' }
    assert.deepEqual(
      [prefixed, wildcard, literal].map((b) => filterMatches(other, b)),
      [false, true, false]
    )
    const onlyPrefixed = { ...base, patternType: PatternType.PREFIXED }
    assert.deepEqual(
      [prefixed, literal].map((b) => filterMatches(onlyPrefixed, b)),
      [true, false]
    )
    assert.equal(filterMatches({ ...base, principal: 'User:bob' }, literal), false)
    assert.equal(filterMatches({ ...base, permissionType: Perm.DENY }, literal), false)
  })
})
