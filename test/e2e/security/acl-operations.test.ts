/**
 * Authorized-operations bitfields and ACLs across a restart, against a real broker process whose only
 * clients are PLAINTEXT (User:ANONYMOUS) with allow.everyone.if.no.acl.found: resources without ACLs allow
 * every operation, resources with ACLs only what those allow. Raw requests at exact versions.
 */

import assert from 'node:assert/strict'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import type { CreateAclsResponse } from '../../../src/protocol/messages/create-acls.js'
import type { DescribeAclsResponse } from '../../../src/protocol/messages/describe-acls.js'
import type { DescribeClusterResponse } from '../../../src/protocol/messages/describe-cluster.js'
import type { DescribeGroupsResponse } from '../../../src/protocol/messages/describe-groups.js'
import type { MetadataResponse } from '../../../src/protocol/messages/metadata.js'
import {
  AclPermissionType,
  CLUSTER_NAME,
  AclOperation as Op,
  PatternType,
  ResourceType as RT
} from '../../../src/security/authorizer/acl-types.js'
import { BrokerProcess } from '../../helpers/broker-process.js'
import { kafkajs, rawRequest } from '../../server/handlers/admin-request.js'

const bits = (...ops: number[]) => ops.reduce((acc, op) => acc | (1 << op), 0)
const ALL_TOPIC = bits(
  Op.READ,
  Op.WRITE,
  Op.CREATE,
  Op.DELETE,
  Op.ALTER,
  Op.DESCRIBE,
  Op.DESCRIBE_CONFIGS,
  Op.ALTER_CONFIGS
)

const allow = (resourceType: number, resourceName: string, operation: number) => ({
  resourceType,
  resourceName,
  resourcePatternType: PatternType.LITERAL,
  principal: 'User:ANONYMOUS',
  host: '*',
  operation,
  permissionType: AclPermissionType.ALLOW
})

describe('authorized operations and ACLs across a restart', () => {
  let dir = ''
  let broker: BrokerProcess | undefined
  const start = async () => {
    broker = await BrokerProcess.start({
      overrides: [
        `log.dirs=${dir}`,
        'authorizer.class.name=org.apache.kafka.metadata.authorizer.StandardAuthorizer',
        'allow.everyone.if.no.acl.found=true',
        'offsets.topic.replication.factor=1'
      ]
    })
    return broker
  }
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'samsa-acl-ops-'))
    const b = await start()
    const admin = kafkajs(b.bootstrap).admin()
    await admin.connect()
    try {
      await admin.createTopics({ topics: [{ topic: 'ops' }, { topic: 'other' }], waitForLeaders: true })
    } finally {
      await admin.disconnect()
    }
  })
  after(async () => {
    await broker?.stop()
    await rm(dir, { recursive: true, force: true })
  })

  const metadata = (port: number) =>
    rawRequest<MetadataResponse>(port, 3, 10, {
      topics: null,
      allowAutoTopicCreation: false,
      includeClusterAuthorizedOperations: true,
      includeTopicAuthorizedOperations: true
    })
  const topicBits = async (port: number) =>
    Object.fromEntries((await metadata(port)).topics.map((t) => [t.name, t.topicAuthorizedOperations]))

  it('reports the operations each resource allows in Metadata, DescribeCluster and DescribeGroups', async () => {
    const port = broker!.port
    assert.deepEqual(await topicBits(port), { ops: ALL_TOPIC, other: ALL_TOPIC })
    const created = await rawRequest<CreateAclsResponse>(port, 30, 3, {
      creations: [
        allow(RT.TOPIC, 'ops', Op.WRITE),
        allow(RT.CLUSTER, CLUSTER_NAME, Op.DESCRIBE),
        allow(RT.CLUSTER, CLUSTER_NAME, Op.ALTER)
      ]
    })
    assert.deepEqual(
      created.results.map((r) => r.errorCode),
      [0, 0, 0]
    )
    assert.deepEqual(await topicBits(port), { ops: bits(Op.WRITE, Op.DESCRIBE), other: ALL_TOPIC })
    assert.equal((await metadata(port)).clusterAuthorizedOperations, bits(Op.ALTER, Op.DESCRIBE))
    const cluster = await rawRequest<DescribeClusterResponse>(port, 60, 0, {
      includeClusterAuthorizedOperations: true
    })
    assert.equal(cluster.clusterAuthorizedOperations, bits(Op.ALTER, Op.DESCRIBE))
    const groups = await rawRequest<DescribeGroupsResponse>(port, 15, 5, {
      groups: ['g'],
      includeAuthorizedOperations: true
    })
    assert.equal(groups.groups[0]?.authorizedOperations, bits(Op.READ, Op.DELETE, Op.DESCRIBE))
  })

  it('auto-creates a topic in Metadata only with CREATE on the cluster or the topic', async () => {
    const port = broker!.port
    const created = await rawRequest<CreateAclsResponse>(port, 30, 3, {
      creations: [
        allow(RT.TOPIC, 'auto-denied', Op.DESCRIBE),
        { ...allow(RT.TOPIC, 'auto-denied', Op.CREATE), permissionType: AclPermissionType.DENY }
      ]
    })
    assert.deepEqual(
      created.results.map((r) => r.errorCode),
      [0, 0]
    )
    const asked = await rawRequest<MetadataResponse>(port, 3, 10, {
      topics: [{ name: 'auto-denied' }, { name: 'auto-allowed' }],
      allowAutoTopicCreation: true,
      includeClusterAuthorizedOperations: false,
      includeTopicAuthorizedOperations: false
    })
    const errors = Object.fromEntries(asked.topics.map((t) => [t.name, t.errorCode]))
    assert.equal(errors['auto-denied'], 29, 'TOPIC_AUTHORIZATION_FAILED')
    assert.ok(
      errors['auto-allowed'] === 0 || errors['auto-allowed'] === 5,
      `created: ${errors['auto-allowed']}`
    )
    const names = Object.keys(await topicBits(port)).sort()
    assert.deepEqual(names, ['auto-allowed', 'ops', 'other'])
  })

  it('keeps the ACLs across a restart', async () => {
    await broker!.stop()
    broker = undefined
    const port = (await start()).port
    const described = await rawRequest<DescribeAclsResponse>(port, 29, 3, {
      resourceTypeFilter: RT.ANY,
      resourceNameFilter: null,
      patternTypeFilter: PatternType.ANY,
      principalFilter: null,
      hostFilter: null,
      operation: Op.ANY,
      permissionType: AclPermissionType.ANY
    })
    assert.deepEqual(described.resources.map((r) => r.resourceName).sort(), [
      'auto-denied',
      'kafka-cluster',
      'ops'
    ])
    const after = await topicBits(port)
    assert.deepEqual([after.ops, after.other], [bits(Op.WRITE, Op.DESCRIBE), ALL_TOPIC])
  })
})
