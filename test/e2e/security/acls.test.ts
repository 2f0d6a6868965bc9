/**
 * ACLs end to end against a real broker process with an authorizer (StandardAuthorizer), PLAIN users on a
 * SASL_PLAINTEXT listener and a PLAINTEXT inter-broker listener whose ANONYMOUS principal is a super user,
 * as a broker's own principal must be. Clients: kafkajs (admin ACL APIs, producers, consumers) and kcat.
 */

import assert from 'node:assert/strict'
import { existsSync } from 'node:fs'
import { createRequire } from 'node:module'
import { after, before, describe, it } from 'node:test'
import type { Kafka as KafkaClient } from 'kafkajs'
import { BrokerProcess } from '../../helpers/broker-process.js'
import { KCAT, kcatProduceRaw } from '../support/kcat.js'

const require = createRequire(import.meta.url)
const { Kafka, logLevel, AclResourceTypes, AclOperationTypes, AclPermissionTypes, ResourcePatternTypes } =
  require('kafkajs') as typeof import('kafkajs')

const USERS = { admin: 'admin-secret', alice: 'alice-secret', bob: 'bob-secret' }
const JAAS = `org.apache.kafka.common.security.plain.PlainLoginModule required ${Object.entries(USERS)
  .map(([u, p]) => `user_${u}="${p}"`)
  .join(' ')};`

type User = keyof typeof USERS

describe('ACLs end to end', () => {
  let broker: BrokerProcess
  const bootstrap = () => `127.0.0.1:${broker.portOf('SASL_PLAINTEXT')}`
  const kafkajs = (user: User): KafkaClient =>
    new Kafka({
      clientId: `acl-${user}`,
      brokers: [bootstrap()],
      logLevel: logLevel.NOTHING,
      retry: { retries: 1, initialRetryTime: 50 },
      sasl: { mechanism: 'plain', username: user, password: USERS[user] }
    })
  const withAdmin = async <T>(user: User, run: (admin: ReturnType<KafkaClient['admin']>) => Promise<T>) => {
    const admin = kafkajs(user).admin()
    await admin.connect()
    try {
      return await run(admin)
    } finally {
      await admin.disconnect()
    }
  }
  const acl = (
    resourceName: string,
    operation: number,
    more: { pattern?: number; permission?: number; principal?: string; type?: number } = {}
  ) => ({
    resourceType: more.type ?? AclResourceTypes.TOPIC,
    resourceName,
    resourcePatternType: more.pattern ?? ResourcePatternTypes.LITERAL,
    principal: more.principal ?? 'User:alice',
    host: '*',
    operation,
    permissionType: more.permission ?? AclPermissionTypes.ALLOW
  })
  const produce = async (user: User, topic: string, idempotent = false) => {
    const producer = kafkajs(user).producer({ idempotent, allowAutoTopicCreation: false })
    await producer.connect()
    try {
      await producer.send({ topic, acks: -1, messages: [{ value: `from ${user}` }] })
    } finally {
      await producer.disconnect()
    }
  }

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
        'group.initial.rebalance.delay.ms=0',
        'offsets.topic.replication.factor=1'
      ]
    })
    await withAdmin('admin', (admin) =>
      admin.createTopics({
        topics: ['orders-1', 'orders-2', 'orders-secret', 'payments', 'hidden'].map((topic) => ({ topic })),
        waitForLeaders: true
      })
    )
  })
  after(async () => {
    await broker?.stop()
  })

  it('creates, describes and deletes ACLs with kafkajs admin', async () => {
    await withAdmin('admin', async (admin) => {
      await admin.createAcls({
        acl: [
          acl('orders-', AclOperationTypes.WRITE, { pattern: ResourcePatternTypes.PREFIXED }),
          acl('orders-secret', AclOperationTypes.WRITE, { permission: AclPermissionTypes.DENY }),
          acl('payments', AclOperationTypes.DESCRIBE),
          acl('temporary', AclOperationTypes.READ, { principal: 'User:bob' })
        ]
      })
      const described = await admin.describeAcls({
        resourceType: AclResourceTypes.TOPIC,
        resourcePatternType: ResourcePatternTypes.MATCH,
        resourceName: 'orders-secret',
        operation: AclOperationTypes.ANY,
        permissionType: AclPermissionTypes.ANY
      })
      const found = described.resources.map(
        (r) => `${r.resourceName}/${r.resourcePatternType}/${r.acls.length}`
      )
      assert.deepEqual(found.sort(), [
        `orders-/${ResourcePatternTypes.PREFIXED}/1`,
        `orders-secret/${ResourcePatternTypes.LITERAL}/1`
      ])

      const deleted = await admin.deleteAcls({
        filters: [
          {
            resourceType: AclResourceTypes.ANY,
            resourcePatternType: ResourcePatternTypes.ANY,
            principal: 'User:bob',
            operation: AclOperationTypes.ANY,
            permissionType: AclPermissionTypes.ANY
          }
        ]
      })
      assert.equal(deleted.filterResponses[0]?.matchingAcls.length, 1)
      assert.equal(deleted.filterResponses[0]?.matchingAcls[0]?.resourceName, 'temporary')
      const left = await admin.describeAcls({
        resourceType: AclResourceTypes.ANY,
        resourcePatternType: ResourcePatternTypes.ANY,
        operation: AclOperationTypes.ANY,
        permissionType: AclPermissionTypes.ANY
      })
      assert.deepEqual(left.resources.map((r) => r.resourceName).sort(), [
        'orders-',
        'orders-secret',
        'payments'
      ])
    })
    // A user without ALTER on the cluster may not change ACLs, nor without DESCRIBE read them.
    await withAdmin('alice', async (admin) => {
      await assert.rejects(
        admin.createAcls({ acl: [acl('payments', AclOperationTypes.WRITE)] }),
        /Cluster authorization failed/
      )
      await assert.rejects(
        admin.describeAcls({
          resourceType: AclResourceTypes.ANY,
          resourcePatternType: ResourcePatternTypes.ANY,
          operation: AclOperationTypes.ANY,
          permissionType: AclPermissionTypes.ANY
        }),
        /authoriz/i
      )
    })
  })

  it('lets a PREFIXED ACL on orders- allow producing to orders-1 and not to payments', async () => {
    await produce('alice', 'orders-1')
    await assert.rejects(produce('alice', 'payments'), (err: Error & { type?: string }) => {
      assert.equal(
        err.type ?? (err as { cause?: { type?: string } }).cause?.type,
        'TOPIC_AUTHORIZATION_FAILED',
        String(err)
      )
      return true
    })
  })

  it('lets a DENY beat an ALLOW', async () => {
    await assert.rejects(produce('alice', 'orders-secret'), /authoriz/i)
    const line = await broker.waitForLog(
      (l) => l.msg === 'authorization denied' && l.resourceName === 'orders-secret'
    )
    assert.equal(line.principal, 'User:alice')
    assert.equal(line.operation, 'WRITE')
    assert.equal(line.host, '127.0.0.1')
  })

  it('gives a producer with WRITE only a producer id (idempotent, KIP-679)', async () => {
    await produce('alice', 'orders-2', true)
  })

  it('runs a transaction with WRITE on the transactional id, and refuses one without', async () => {
    await withAdmin('admin', (admin) =>
      admin.createAcls({
        acl: [
          acl('tx-', AclOperationTypes.WRITE, {
            pattern: ResourcePatternTypes.PREFIXED,
            type: AclResourceTypes.TRANSACTIONAL_ID
          })
        ]
      })
    )
    const transactional = async (user: User) => {
      const producer = kafkajs(user).producer({
        transactionalId: `tx-${user}`,
        idempotent: true,
        maxInFlightRequests: 1
      })
      await producer.connect()
      try {
        const txn = await producer.transaction()
        await txn.send({ topic: 'orders-1', messages: [{ value: `in a transaction of ${user}` }] })
        await txn.commit()
      } finally {
        await producer.disconnect()
      }
    }
    await transactional('alice')
    // Without WRITE on any topic, not even the idempotent producer id (KIP-679): CLUSTER_AUTHORIZATION_FAILED.
    await assert.rejects(transactional('bob'), /Cluster authorization failed/)
    await withAdmin('admin', (admin) =>
      // DESCRIBE on its transactional id lets bob find the coordinator; initializing needs WRITE.
      admin.createAcls({
        acl: [
          acl('bob-only', AclOperationTypes.WRITE, { principal: 'User:bob' }),
          acl('tx-bob', AclOperationTypes.DESCRIBE, {
            principal: 'User:bob',
            type: AclResourceTypes.TRANSACTIONAL_ID
          })
        ]
      })
    )
    await assert.rejects(transactional('bob'), /Transactional Id authorization failed/)
  })

  it('lets a super user do everything', async () => {
    await produce('admin', 'hidden', true)
    await withAdmin('admin', async (admin) => {
      const topics = await admin.listTopics()
      assert.ok(topics.includes('hidden'))
      await admin.setOffsets({
        groupId: 'any-group',
        topic: 'hidden',
        partitions: [{ partition: 0, offset: '1' }]
      })
    })
  })

  it('lists in Metadata only the topics the user may DESCRIBE', async () => {
    await withAdmin('alice', async (admin) => {
      const { topics } = await admin.fetchTopicMetadata()
      assert.deepEqual(topics.map((t) => t.name).sort(), [
        'orders-1',
        'orders-2',
        'orders-secret',
        'payments'
      ])
    })
    await withAdmin('bob', async (admin) => {
      assert.deepEqual(await admin.listTopics(), [])
    })
  })

  it('refuses a consumer without READ on its group with GROUP_AUTHORIZATION_FAILED', async () => {
    await withAdmin('admin', (admin) =>
      // DESCRIBE on the group lets bob find its coordinator (FindCoordinator needs it); joining needs READ.
      admin.createAcls({
        acl: [
          acl('orders-1', AclOperationTypes.READ, { principal: 'User:bob' }),
          acl('bob-group', AclOperationTypes.DESCRIBE, {
            principal: 'User:bob',
            type: AclResourceTypes.GROUP
          })
        ]
      })
    )
    const consumer = kafkajs('bob').consumer({ groupId: 'bob-group', retry: { retries: 0 } })
    await consumer.connect()
    try {
      const crashed = new Promise<unknown>((resolve) =>
        consumer.on(consumer.events.CRASH, (e) => resolve(e.payload.error))
      )
      await consumer.subscribe({ topic: 'orders-1', fromBeginning: true })
      await consumer.run({ eachMessage: async () => undefined })
      // kafkajs wraps the protocol error it gave up on.
      type Wrapped = { type?: string; originalError?: Wrapped; cause?: Wrapped; message?: string }
      const types: (string | undefined)[] = []
      for (let e = (await crashed) as Wrapped | undefined; e; e = e.originalError ?? e.cause)
        types.push(e.type ?? `${(e as Error).name}: ${e.message}`)
      assert.ok(types.includes('GROUP_AUTHORIZATION_FAILED'), JSON.stringify(types))
    } finally {
      await consumer.disconnect()
    }
  })

  it('makes kcat report a denial', { skip: existsSync(KCAT) ? false : 'kcat is not installed' }, async () => {
    const result = await kcatProduceRaw(bootstrap(), 'payments', [{ key: null, value: Buffer.from('x') }], {
      config: [
        'security.protocol=SASL_PLAINTEXT',
        'sasl.mechanisms=PLAIN',
        'sasl.username=alice',
        'sasl.password=alice-secret',
        'message.timeout.ms=5000'
      ]
    })
    assert.notEqual(result.code, 0)
    assert.match(result.stderr, /Topic authorization failed/i)
  })
})
