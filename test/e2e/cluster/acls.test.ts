/**
 * ACLs in a 2-broker cluster on etcd: a CreateAcls sent to either broker reaches the controller (one of the
 * two forwards it, on the client's behalf), and every broker's authorizer follows the ACLs through its etcd
 * watch, so an ACL made through one broker is enforced by the other within a second. The clients are
 * PLAINTEXT (User:ANONYMOUS) with allow.everyone.if.no.acl.found, so the brokers' own inter-broker traffic
 * needs no ACL and the test's DENY ACLs are what changes the answers.
 */

import assert from 'node:assert/strict'
import { mkdtemp } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import type { ClusterState } from '../../../src/cli/cluster-command.js'
import { ErrorCode } from '../../../src/protocol/error-codes.js'
import type { CreateAclsResponse } from '../../../src/protocol/messages/create-acls.js'
import type { DescribeAclsResponse } from '../../../src/protocol/messages/describe-acls.js'
import type { MetadataResponse } from '../../../src/protocol/messages/metadata.js'
import {
  AclOperation,
  AclPermissionType,
  PatternType,
  ResourceType
} from '../../../src/security/authorizer/acl-types.js'
import { ensureEtcd } from '../../helpers/etcd-process.js'
import { rawRequest } from '../../server/handlers/admin-request.js'
import { createTopics, pollFor, startCluster, stopCluster } from './cluster-kit.js'

const skip = await ensureEtcd()

const deny = (topic: string, operation: number) => ({
  resourceType: ResourceType.TOPIC,
  resourceName: topic,
  resourcePatternType: PatternType.LITERAL,
  principal: 'User:ANONYMOUS',
  host: '*',
  operation,
  permissionType: AclPermissionType.DENY
})

const topicError = async (port: number, topic: string): Promise<number> => {
  const response = await rawRequest<MetadataResponse>(port, 3, 12, {
    topics: [{ topicId: 'AAAAAAAAAAAAAAAAAAAAAA', name: topic }],
    allowAutoTopicCreation: false,
    includeTopicAuthorizedOperations: false
  })
  return response.topics[0]?.errorCode ?? -1
}

const aclNames = async (port: number): Promise<string> => {
  const response = await rawRequest<DescribeAclsResponse>(port, 29, 3, {
    resourceTypeFilter: ResourceType.ANY,
    resourceNameFilter: null,
    patternTypeFilter: PatternType.ANY,
    principalFilter: null,
    hostFilter: null,
    operation: AclOperation.ANY,
    permissionType: AclPermissionType.ANY
  })
  assert.equal(response.errorCode, ErrorCode.NONE, response.errorMessage ?? '')
  return response.resources
    .map((r) => r.resourceName)
    .sort()
    .join()
}

describe('ACLs in a cluster on etcd', { skip, timeout: 120_000 }, () => {
  let dir = ''
  let state: ClusterState | undefined
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'samsa-acl-cluster-'))
    state = await startCluster(dir, 2, [
      'authorizer.class.name=kafka.security.authorizer.AclAuthorizer',
      'allow.everyone.if.no.acl.found=true'
    ])
  })
  after(() => stopCluster(dir, state))

  it('applies an ACL created through one broker on every broker within a second', async () => {
    const ports = state!.brokers.map((b) => b.port) as [number, number]
    await createTopics(`127.0.0.1:${ports[0]}`, [{ topic: 'guarded-a' }, { topic: 'guarded-b' }])
    for (const port of ports) {
      for (const topic of ['guarded-a', 'guarded-b'])
        await pollFor(`${topic} on ${port}`, 10_000, async () =>
          (await topicError(port, topic)) === ErrorCode.NONE ? true : undefined
        )
    }

    // Each broker takes one CreateAcls: whichever is not the controller forwards its request.
    for (const [i, port] of ports.entries()) {
      const topic = i === 0 ? 'guarded-a' : 'guarded-b'
      const created = await rawRequest<CreateAclsResponse>(port, 30, 3, {
        creations: [deny(topic, AclOperation.DESCRIBE)]
      })
      assert.deepEqual(created.results, [{ errorCode: ErrorCode.NONE, errorMessage: null }])
      const createdAt = Date.now()
      // The controller answers once its own watch has the ACL; the broker that forwarded follows within a second.
      for (const other of ports) {
        await pollFor(`the DENY on ${topic} at ${other}`, 1_000, async () =>
          (await topicError(other, topic)) === ErrorCode.TOPIC_AUTHORIZATION_FAILED ? true : undefined
        )
      }
      assert.ok(Date.now() - createdAt < 1_000)
    }
    for (const port of ports) assert.equal(await aclNames(port), 'guarded-a,guarded-b')
  })
})
