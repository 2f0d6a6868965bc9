/**
 * ACLs in both metadata stores (the AclRecordStore part of MetadataStore), and an authorizer following
 * them: what one instance writes, another (another broker, or the same broker after a restart) sees.
 */

import assert from 'node:assert/strict'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, describe, it } from 'node:test'
import { FileMetadataStore } from '../../src/cluster/file-metadata-store.js'
import type { AclRecord, MetadataStore } from '../../src/cluster/metadata-store.js'
import { followAcls } from '../../src/security/authorizer/acl-follower.js'
import {
  AclOperation,
  AclPermissionType,
  PatternType,
  ResourceType
} from '../../src/security/authorizer/acl-types.js'
import { StandardAuthorizer } from '../../src/security/authorizer/standard-authorizer.js'
import { ensureEtcd } from '../helpers/etcd-process.js'
import { etcdForFile, waitFor } from './etcd/etcd-store-kit.js'

const root = await mkdtemp(join(tmpdir(), 'samsa-acl-store-'))
const stores: MetadataStore[] = []
after(async () => {
  await Promise.all(stores.map((s) => s.close().catch(() => undefined)))
  await rm(root, { recursive: true, force: true })
})
let n = 0
const etcdSkip = await ensureEtcd()
const etcd = etcdForFile(etcdSkip)

const acl = (
  id: string,
  resourceName: string,
  permissionType: number = AclPermissionType.ALLOW
): AclRecord => ({
  id,
  resourceType: ResourceType.TOPIC,
  resourceName,
  patternType: PatternType.PREFIXED,
  principal: 'User:alice',
  host: '*',
  operation: AclOperation.WRITE,
  permissionType
})

const implementations = [
  {
    name: 'FileMetadataStore',
    skip: false as string | false,
    async pair(): Promise<{ a: MetadataStore; b: () => Promise<MetadataStore> }> {
      const dir = join(root, `case-${n++}`)
      const open = async () => {
        const store = await FileMetadataStore.open({ logDirs: [dir], nodeId: 1 })
        stores.push(store)
        return store
      }
      const a = await open()
      return {
        a,
        b: async () => {
          await a.close()
          return open()
        }
      }
    }
  },
  {
    name: 'EtcdMetadataStore',
    skip: etcdSkip,
    async pair(): Promise<{ a: MetadataStore; b: () => Promise<MetadataStore> }> {
      const clusterName = `acls-${n++}`
      const a = await etcd.openStore({ clusterName, nodeId: 1, leaseTtlSeconds: 2 })
      stores.push(a)
      return {
        a,
        b: async () => {
          const b = await etcd.openStore({ clusterName, nodeId: 2, leaseTtlSeconds: 2, candidate: false })
          stores.push(b)
          return b
        }
      }
    }
  }
]

for (const impl of implementations) {
  describe(`ACLs: ${impl.name}`, { skip: impl.skip, timeout: 60_000 }, () => {
    it('stores, deletes and publishes ACLs, and another instance follows them', async () => {
      const { a, b } = await impl.pair()
      const alice = { principal: 'User:alice', host: '127.0.0.1' }
      const authorizer = new StandardAuthorizer({ superUsers: new Set(), allowEveryoneIfNoAclFound: false })
      const unfollow = await followAcls(a, authorizer)
      assert.deepEqual((await a.acls()).acls, [])

      await a.alterAcls([acl('one', 'orders-'), acl('two', 'orders-secret', AclPermissionType.DENY)], [])
      await waitFor(() => authorizer.aclCount === 2, 5000, 'the follower to load both ACLs')
      assert.equal(authorizer.authorize(alice, AclOperation.WRITE, ResourceType.TOPIC, 'orders-1'), true)
      assert.equal(
        authorizer.authorize(alice, AclOperation.WRITE, ResourceType.TOPIC, 'orders-secret-1'),
        false
      )

      await a.alterAcls([acl('three', 'payments')], ['two', 'unknown-id'])
      // Same count, other ACLs: wait for the DENY to be gone.
      await waitFor(
        () => authorizer.authorize(alice, AclOperation.WRITE, ResourceType.TOPIC, 'orders-secret-1'),
        5000,
        'the follower to apply the change'
      )
      assert.equal(authorizer.authorize(alice, AclOperation.WRITE, ResourceType.TOPIC, 'payments'), true)
      assert.equal(authorizer.aclCount, 2)
      unfollow()

      const other = await b()
      const seen = new StandardAuthorizer({ superUsers: new Set(), allowEveryoneIfNoAclFound: false })
      const unfollowOther = await followAcls(other, seen)
      assert.deepEqual(
        seen
          .matching({
            resourceType: ResourceType.ANY,
            resourceName: null,
            patternType: PatternType.ANY,
            principal: null,
            host: null,
            operation: AclOperation.ANY,
            permissionType: AclPermissionType.ANY
          })
          .map((x) => x.resourceName)
          .sort(),
        ['orders-', 'payments']
      )
      assert.deepEqual((await other.acls()).acls.map((x) => x.id).sort(), ['one', 'three'])
      unfollowOther()
    })
  })
}
