/**
 * `samsa acl create|list|delete` and `samsa quota alter|describe` against a live broker with StandardAuthorizer,
 * the CLI connecting over SASL_PLAINTEXT with PLAIN as the super user: an ACL created is listed and takes
 * effect for another user (refused before, allowed after, refused again once deleted); a quota altered is
 * described with its entity and value, and deleted.
 */

import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { BrokerProcess } from '../../helpers/broker-process.js'
import { samsa } from './samsa-cli.js'

const USERS = { admin: 'admin-secret', bob: 'bob-secret' }
const JAAS = `org.apache.kafka.common.security.plain.PlainLoginModule required ${Object.entries(USERS)
  .map(([u, p]) => `user_${u}="${p}"`)
  .join(' ')};`

interface AclRow {
  principal: string
  host: string
  resourceType: string
  resourceName: string
  patternType: string
  operation: string
  permission: string
}
interface QuotaRow {
  entity: string
  key: string
  value: number | null
}

describe('samsa acl and quota commands', () => {
  let broker: BrokerProcess
  const as = (user: keyof typeof USERS) => [
    '--brokers',
    `127.0.0.1:${broker.portOf('SASL_PLAINTEXT')}`,
    '--sasl-mechanism',
    'PLAIN',
    '--user',
    user,
    '--password',
    USERS[user]
  ]
  const json = async <T>(args: string[], user: keyof typeof USERS = 'admin'): Promise<T> => {
    const r = await samsa([...args, '--format', 'json', ...as(user)])
    assert.equal(r.code, 0, `samsa ${args.join(' ')}: ${r.stderr}`)
    return JSON.parse(r.stdout) as T
  }
  const produceAsBob = (topic: string) => samsa(['produce', topic, ...as('bob')], { stdin: 'from bob\n' })

  before(async () => {
    broker = await BrokerProcess.start({
      overrides: [
        'listeners=PLAINTEXT://127.0.0.1:0,SASL_PLAINTEXT://127.0.0.1:0',
        'inter.broker.listener.name=PLAINTEXT',
        'sasl.enabled.mechanisms=PLAIN',
        `listener.name.sasl_plaintext.plain.sasl.jaas.config=${JAAS}`,
        'authorizer.class.name=org.apache.kafka.metadata.authorizer.StandardAuthorizer',
        'super.users=User:admin;User:ANONYMOUS',
        'auto.create.topics.enable=false',
        'offsets.topic.replication.factor=1'
      ]
    })
  })
  after(async () => {
    await broker?.stop()
  })

  it('creates an ACL that is listed and takes effect, and deletes it', async () => {
    await json(['topic', 'create', 'acl-cli', '-p', '1'])
    const refused = await produceAsBob('acl-cli')
    assert.notEqual(refused.code, 0)
    assert.match(refused.stderr, /TOPIC_AUTHORIZATION_FAILED|[Nn]ot authorized/)

    const created = await json<AclRow[]>([
      'acl',
      'create',
      '--allow-principal',
      'User:bob',
      '--operation',
      'write',
      '--operation',
      'describe',
      '--topic',
      'acl-',
      '--resource-pattern-type',
      'prefixed'
    ])
    assert.equal(created.length, 2)
    const expected = (operation: string): AclRow => ({
      principal: 'User:bob',
      host: '*',
      resourceType: 'topic',
      resourceName: 'acl-',
      patternType: 'prefixed',
      operation,
      permission: 'allow'
    })
    const byOperation = (rows: AclRow[]) => [...rows].sort((a, b) => a.operation.localeCompare(b.operation))
    assert.deepEqual(byOperation(created), [expected('describe'), expected('write')])

    const listed = await json<AclRow[]>(['acl', 'list', '--principal', 'User:bob'])
    assert.deepEqual(byOperation(listed), [expected('describe'), expected('write')])
    const forTopic = await json<AclRow[]>(['acl', 'list', '--topic', 'acl-', '--operation', 'write'])
    assert.deepEqual(forTopic, [expected('write')])
    // A filter that matches nothing lists nothing.
    assert.deepEqual(await json<AclRow[]>(['acl', 'list', '--principal', 'User:nobody']), [])

    const allowed = await produceAsBob('acl-cli')
    assert.equal(allowed.code, 0, allowed.stderr)

    const deleted = await json<AclRow[]>([
      'acl',
      'delete',
      '--topic',
      'acl-',
      '--resource-pattern-type',
      'prefixed',
      '--principal',
      'User:bob'
    ])
    assert.deepEqual(byOperation(deleted), [expected('describe'), expected('write')])
    assert.deepEqual(await json<AclRow[]>(['acl', 'list', '--principal', 'User:bob']), [])
    const refusedAgain = await produceAsBob('acl-cli')
    assert.notEqual(refusedAgain.code, 0)
    assert.match(refusedAgain.stderr, /TOPIC_AUTHORIZATION_FAILED|[Nn]ot authorized/)
  })

  it('alters quotas that describe shows with their entity and value, and deletes them', async () => {
    const altered = await json<unknown[]>([
      'quota',
      'alter',
      '--quota-user',
      'bob',
      '--add',
      'producer_byte_rate=1048576',
      '--add',
      'consumer_byte_rate=2097152'
    ])
    assert.equal(altered.length, 2)
    await json(['quota', 'alter', '--default-client-id', '--add', 'request_percentage=50'])

    const sorted = (rows: QuotaRow[]) => [...rows].sort((a, b) => a.key.localeCompare(b.key))
    assert.deepEqual(sorted(await json<QuotaRow[]>(['quota', 'describe', '--quota-user', 'bob'])), [
      { entity: 'user=bob', key: 'consumer_byte_rate', value: 2097152 },
      { entity: 'user=bob', key: 'producer_byte_rate', value: 1048576 }
    ])
    assert.deepEqual(await json<QuotaRow[]>(['quota', 'describe', '--default-client-id']), [
      { entity: 'client-id=<default>', key: 'request_percentage', value: 50 }
    ])
    const all = await json<QuotaRow[]>(['quota', 'describe'])
    assert.equal(all.length, 3)
    assert.deepEqual(new Set(all.map((r) => r.entity)), new Set(['user=bob', 'client-id=<default>']))

    // A (user, client-id) entity is one entity of two components, apart from the user's own.
    await json([
      'quota',
      'alter',
      '--quota-user',
      'bob',
      '--client-id',
      'app',
      '--add',
      'producer_byte_rate=100'
    ])
    const both = await json<QuotaRow[]>(['quota', 'describe', '--quota-user', 'bob', '--client-id', 'app'])
    assert.equal(both.length, 1)
    assert.deepEqual(both[0]?.entity.split(',').sort(), ['client-id=app', 'user=bob'])
    assert.deepEqual([both[0]?.key, both[0]?.value], ['producer_byte_rate', 100])

    await json(['quota', 'alter', '--quota-user', 'bob', '--delete', 'producer_byte_rate'])
    assert.deepEqual(await json<QuotaRow[]>(['quota', 'describe', '--quota-user', 'bob']), [
      { entity: 'user=bob', key: 'consumer_byte_rate', value: 2097152 }
    ])
  })

  it('exits 1 with the broker error when the broker refuses an ACL or a quota', async () => {
    // A principal without its type is INVALID_REQUEST per creation, not a failure of the whole request.
    const acl = await samsa([
      'acl',
      'create',
      '--allow-principal',
      'bob',
      '--operation',
      'read',
      '--topic',
      't',
      ...as('admin')
    ])
    assert.equal(acl.code, 1, acl.stdout)
    assert.match(acl.stderr, /samsa: .*(INVALID_REQUEST|[Ii]nvalid)/)
    assert.deepEqual(await json<AclRow[]>(['acl', 'list', '--topic', 't']), [])
    const quota = await samsa([
      'quota',
      'alter',
      '--quota-user',
      'bob',
      '--add',
      'no_such_quota=1',
      ...as('admin')
    ])
    assert.equal(quota.code, 1, quota.stdout)
    assert.match(quota.stderr, /samsa: .*(INVALID_REQUEST|[Ii]nvalid|[Uu]nknown)/)
  })

  it('is refused the ACL APIs as a user without cluster permissions', async () => {
    const r = await samsa(['acl', 'list', '--format', 'json', ...as('bob')])
    assert.notEqual(r.code, 0)
    assert.match(r.stderr, /CLUSTER_AUTHORIZATION_FAILED|[Nn]ot authorized/)
  })
})
