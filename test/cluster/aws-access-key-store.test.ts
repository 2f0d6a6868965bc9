/**
 * The AWS access keys of the MetadataStore (AwsAccessKeyRecordStore), against the file store and the etcd
 * store, and AwsCredentialCache following them: a key written by another writer (`samsa iam` in another
 * process: here a second store or file writer on the same data) reaches a subscribed broker's cache.
 */

import assert from 'node:assert/strict'
import { mkdtemp, rm, stat } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, describe, it } from 'node:test'
import { AWS_ACCESS_KEYS_FILE, FileAwsAccessKeys } from '../../src/cluster/file-aws-access-keys.js'
import { FileMetadataStore, METADATA_DIR } from '../../src/cluster/file-metadata-store.js'
import {
  type AwsAccessKey,
  AwsAccessKeyExistsError,
  type AwsAccessKeyRecordStore,
  type MetadataStore
} from '../../src/cluster/metadata-store.js'
import { newAwsAccessKey } from '../../src/security/msk-iam/aws-access-key-generator.js'
import { AwsCredentialCache } from '../../src/security/msk-iam/aws-credential-store.js'
import { ensureEtcd } from '../helpers/etcd-process.js'
import { etcdForFile, waitFor } from './etcd/etcd-store-kit.js'

const root = await mkdtemp(join(tmpdir(), 'samsa-aws-keys-'))
const openStores: MetadataStore[] = []
after(async () => {
  await Promise.all(openStores.map((s) => s.close()))
  await rm(root, { recursive: true, force: true })
})

const etcdSkip = await ensureEtcd()
const etcd = etcdForFile(etcdSkip)
let caseNumber = 0

interface Implementation {
  readonly name: string
  readonly skip: string | false
  /** The broker's store, and another writer on the same data (as `samsa iam` in another process). */
  open(): Promise<{ store: MetadataStore; other: AwsAccessKeyRecordStore }>
}

const implementations: Implementation[] = [
  {
    name: 'FileMetadataStore',
    skip: false,
    async open() {
      const dir = join(root, `case-${caseNumber++}`)
      const store = await FileMetadataStore.open({ logDirs: [dir], nodeId: 1 })
      openStores.push(store)
      // What `samsa iam` opens on the file store: the keys' own file, not the broker's metadata.json.
      const file = new FileAwsAccessKeys(join(dir, METADATA_DIR, AWS_ACCESS_KEYS_FILE))
      const other: AwsAccessKeyRecordStore = {
        awsAccessKeys: () => file.read(),
        createAwsAccessKey: (k) => file.create(k),
        deleteAwsAccessKey: (id) => file.delete(id),
        subscribeAwsAccessKeys: (l) => file.subscribe(l)
      }
      return { store, other }
    }
  },
  {
    name: 'EtcdMetadataStore',
    skip: etcdSkip,
    async open() {
      const clusterName = `aws-keys-${caseNumber++}`
      const store = await etcd.openStore({ clusterName, nodeId: 1, leaseTtlSeconds: 2 })
      const other = await etcd.openStore({ clusterName, nodeId: 2, leaseTtlSeconds: 2, candidate: false })
      return { store, other }
    }
  }
]

const ids = (keys: readonly AwsAccessKey[]) => keys.map((k) => k.accessKeyId).sort()

for (const impl of implementations) {
  describe(`AWS access keys: ${impl.name}`, { skip: impl.skip, timeout: 30_000 }, () => {
    it('creates, lists and deletes keys; an id is never given twice', async () => {
      const { store } = await impl.open()
      assert.deepEqual((await store.awsAccessKeys()).keys, [])
      const alice = newAwsAccessKey('alice', 1_000)
      const bob = newAwsAccessKey('bob', 2_000)
      await store.createAwsAccessKey(alice)
      const v1 = (await store.awsAccessKeys()).version
      await store.createAwsAccessKey(bob)
      const image = await store.awsAccessKeys()
      assert.ok(image.version > v1)
      assert.deepEqual(ids(image.keys), ids([alice, bob]))
      assert.deepEqual(
        image.keys.find((k) => k.accessKeyId === alice.accessKeyId),
        alice
      )
      await assert.rejects(
        store.createAwsAccessKey({ ...alice, user: 'mallory', secretAccessKey: 'x' }),
        AwsAccessKeyExistsError
      )
      assert.equal(await store.deleteAwsAccessKey(alice.accessKeyId), true)
      assert.equal(await store.deleteAwsAccessKey(alice.accessKeyId), false)
      assert.deepEqual(ids((await store.awsAccessKeys()).keys), [bob.accessKeyId])
    })

    it('feeds AwsCredentialCache, which follows changes made by another writer', async () => {
      const { store, other } = await impl.open()
      const early = newAwsAccessKey('alice')
      await other.createAwsAccessKey(early)
      const cache = new AwsCredentialCache(store)
      try {
        await cache.ready()
        assert.deepEqual(cache.credential(early.accessKeyId), {
          user: 'alice',
          secretAccessKey: early.secretAccessKey
        })
        const late = newAwsAccessKey('carol')
        await other.createAwsAccessKey(late)
        await waitFor(
          () => cache.credential(late.accessKeyId) !== undefined,
          5000,
          'the new key in the cache'
        )
        assert.equal(cache.credential(late.accessKeyId)?.user, 'carol')
        await other.deleteAwsAccessKey(early.accessKeyId)
        await waitFor(() => cache.credential(early.accessKeyId) === undefined, 5000, 'the deleted key gone')
        assert.equal(cache.credential('AKIANOSUCHKEY0000000'), undefined)
      } finally {
        cache.close()
      }
    })
  })
}

describe('AWS access keys: the file store file', () => {
  it('is readable by its owner only, and survives a restart of the store', async () => {
    const dir = join(root, `case-${caseNumber++}`)
    const store = await FileMetadataStore.open({ logDirs: [dir], nodeId: 1 })
    const key = newAwsAccessKey('alice')
    await store.createAwsAccessKey(key)
    await store.close()
    const mode = (await stat(join(dir, METADATA_DIR, AWS_ACCESS_KEYS_FILE))).mode & 0o777
    assert.equal(mode, 0o600)
    const reopened = await FileMetadataStore.open({ logDirs: [dir], nodeId: 1 })
    openStores.push(reopened)
    assert.deepEqual((await reopened.awsAccessKeys()).keys, [key])
  })
})
