/**
 * SCRAM credentials in both metadata stores (the UserScramCredentialRecordStore part of MetadataStore), and
 * the broker's ScramCredentialCache following them: what one store instance writes, another sees.
 */

import assert from 'node:assert/strict'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, describe, it } from 'node:test'
import { FileMetadataStore } from '../../src/cluster/file-metadata-store.js'
import type {
  MetadataStore,
  ScramCredentialsDelta,
  UserScramCredential
} from '../../src/cluster/metadata-store.js'
import { ErrorCode } from '../../src/protocol/error-codes.js'
import { ScramCredentialCache } from '../../src/security/scram/scram-credential-cache.js'
import { ensureEtcd } from '../helpers/etcd-process.js'
import { etcdForFile, rejectsWith, waitFor } from './etcd/etcd-store-kit.js'

const credential = (
  user: string,
  mechanism: 'SCRAM-SHA-256' | 'SCRAM-SHA-512',
  seed: number
): UserScramCredential => ({
  user,
  mechanism,
  credential: {
    salt: Buffer.alloc(16, seed),
    storedKey: Buffer.alloc(mechanism === 'SCRAM-SHA-256' ? 32 : 64, seed + 1),
    serverKey: Buffer.alloc(mechanism === 'SCRAM-SHA-256' ? 32 : 64, seed + 2),
    iterations: 4096 + seed
  }
})

const byKey = (credentials: readonly UserScramCredential[]) =>
  new Map(credentials.map((c) => [`${c.mechanism}/${c.user}`, c.credential]))

const root = await mkdtemp(join(tmpdir(), 'samsa-scram-store-'))
const fileStores: MetadataStore[] = []
after(async () => {
  await Promise.all(fileStores.map((s) => s.close()))
  await rm(root, { recursive: true, force: true })
})
let n = 0

const etcdSkip = await ensureEtcd()
const etcd = etcdForFile(etcdSkip)

interface Implementation {
  readonly name: string
  readonly skip: string | false
  /** Two store instances on one backing: A (the controller) and B (another broker, or a restart). */
  pair(): Promise<{ a: MetadataStore; b: () => Promise<MetadataStore> }>
}

const implementations: Implementation[] = [
  {
    name: 'FileMetadataStore',
    skip: false,
    async pair() {
      const dir = join(root, `case-${n++}`)
      const open = async () => {
        const store = await FileMetadataStore.open({ logDirs: [dir], nodeId: 1 })
        fileStores.push(store)
        return store
      }
      const a = await open()
      // One broker owns a file store: the other instance is the same broker after a restart.
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
    async pair() {
      const clusterName = `scram-${n++}`
      const a = await etcd.openStore({ clusterName, nodeId: 1, leaseTtlSeconds: 2 })
      await waitFor(() => a.election.isController, 5000, 'the only candidate to become controller')
      return { a, b: () => etcd.openStore({ clusterName, nodeId: 2, leaseTtlSeconds: 2, candidate: false }) }
    }
  }
]

for (const impl of implementations) {
  describe(`SCRAM credentials: ${impl.name}`, { skip: impl.skip, timeout: 60_000 }, () => {
    it('keeps credentials per user and mechanism, publishes each write, and another instance sees them', async () => {
      const { a, b } = await impl.pair()
      const deltas: ScramCredentialsDelta[] = []
      a.subscribeUserScramCredentials((d) => deltas.push(d))
      const before = await a.userScramCredentials()
      assert.deepEqual(before.credentials, [])

      const alice256 = credential('alice', 'SCRAM-SHA-256', 1)
      const alice512 = credential('alice', 'SCRAM-SHA-512', 2)
      const bob = credential('bob/with,odd=name', 'SCRAM-SHA-256', 3)
      await a.alterUserScramCredentials([alice256, alice512, bob])
      assert.equal(deltas.length, 1, 'one write, one delta, published before the write resolves')
      assert.ok(deltas[0]!.version > before.version)
      assert.deepEqual(byKey(deltas[0]!.changes as UserScramCredential[]), byKey([alice256, alice512, bob]))

      const replaced = credential('alice', 'SCRAM-SHA-256', 7)
      await a.alterUserScramCredentials([
        replaced,
        { user: 'alice', mechanism: 'SCRAM-SHA-512', credential: null }
      ])
      assert.equal(deltas.length, 2)
      assert.deepEqual(deltas[1]!.changes, [
        replaced,
        { user: 'alice', mechanism: 'SCRAM-SHA-512', credential: null }
      ])
      const afterAlter = await a.userScramCredentials()
      assert.deepEqual(byKey(afterAlter.credentials), byKey([replaced, bob]))
      assert.ok(afterAlter.version >= deltas[1]!.version)

      const other = await b()
      assert.deepEqual(byKey((await other.userScramCredentials()).credentials), byKey([replaced, bob]))
    })

    it('bootstraps only absent credentials, and a cache follows changes made through the store', async () => {
      const { a, b } = await impl.pair()
      const admin = credential('admin', 'SCRAM-SHA-256', 1)
      assert.deepEqual(await a.bootstrapUserScramCredentials([admin]), [])
      const again = credential('admin', 'SCRAM-SHA-256', 9)
      const admin512 = credential('admin', 'SCRAM-SHA-512', 4)
      assert.deepEqual(
        await a.bootstrapUserScramCredentials([again, admin512]),
        [again],
        'an existing one is kept'
      )
      assert.deepEqual(byKey((await a.userScramCredentials()).credentials), byKey([admin, admin512]))

      const other = await b()
      const cache = await ScramCredentialCache.start(other)
      const seen: ScramCredentialsDelta[] = []
      cache.onChange((d) => seen.push(d))
      try {
        assert.deepEqual(cache.credential('admin', 'SCRAM-SHA-256'), admin.credential)
        assert.equal(cache.credential('carol', 'SCRAM-SHA-256'), undefined)
        const writer = impl.name === 'FileMetadataStore' ? other : a
        const carol = credential('carol', 'SCRAM-SHA-512', 5)
        await writer.alterUserScramCredentials([
          carol,
          { user: 'admin', mechanism: 'SCRAM-SHA-256', credential: null }
        ])
        await waitFor(() => seen.length === 1, 5000, 'the cache to see the change')
        assert.deepEqual(cache.credential('carol', 'SCRAM-SHA-512'), carol.credential)
        assert.equal(cache.credential('admin', 'SCRAM-SHA-256'), undefined)
        assert.deepEqual([...cache.allUsers().keys()].sort(), ['admin', 'carol'])
      } finally {
        cache.close()
      }
    })
  })
}

describe('SCRAM credentials on etcd: who may write', { skip: etcdSkip, timeout: 30_000 }, () => {
  it('alter is a controller write; bootstrap (storage format) needs no controller', async () => {
    const store = await etcd.openStore({
      clusterName: `scram-${n++}`,
      nodeId: 3,
      leaseTtlSeconds: 2,
      candidate: false
    })
    await assert.rejects(
      store.alterUserScramCredentials([credential('x', 'SCRAM-SHA-256', 1)]),
      rejectsWith(ErrorCode.NOT_CONTROLLER)
    )
    assert.deepEqual(await store.bootstrapUserScramCredentials([credential('x', 'SCRAM-SHA-256', 1)]), [])
    assert.deepEqual(
      byKey((await store.userScramCredentials()).credentials),
      byKey([credential('x', 'SCRAM-SHA-256', 1)])
    )
  })
})
