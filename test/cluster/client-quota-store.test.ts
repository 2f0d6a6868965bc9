/**
 * Client quotas in both metadata stores (the ClientQuotaRecordStore part of MetadataStore): alterations by
 * key, entities removed with their last key, the change stream, and another instance (another broker, or the
 * same one restarted) seeing the same quotas.
 */

import assert from 'node:assert/strict'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, describe, it } from 'node:test'
import { FileMetadataStore } from '../../src/cluster/file-metadata-store.js'
import {
  type ClientQuotaRecord,
  type ClientQuotasImage,
  clientQuotaEntityKey,
  type MetadataStore
} from '../../src/cluster/metadata-store.js'
import { ensureEtcd } from '../helpers/etcd-process.js'
import { etcdForFile, waitFor } from './etcd/etcd-store-kit.js'

const root = await mkdtemp(join(tmpdir(), 'samsa-quota-store-'))
const fileStores: MetadataStore[] = []
after(async () => {
  await Promise.all(fileStores.map((s) => s.close()))
  await rm(root, { recursive: true, force: true })
})
let n = 0
const etcdSkip = await ensureEtcd()
const etcd = etcdForFile(etcdSkip)

const sorted = (quotas: readonly ClientQuotaRecord[]) =>
  [...quotas]
    .map((q) => [clientQuotaEntityKey(q.entity), q.values] as const)
    .sort(([a], [b]) => a.localeCompare(b))

interface Implementation {
  readonly name: string
  readonly skip: string | false
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
      const clusterName = `quotas-${n++}`
      const a = await etcd.openStore({ clusterName, nodeId: 1, leaseTtlSeconds: 2 })
      return { a, b: () => etcd.openStore({ clusterName, nodeId: 2, leaseTtlSeconds: 2, candidate: false }) }
    }
  }
]

for (const impl of implementations) {
  describe(`client quotas: ${impl.name}`, { skip: impl.skip, timeout: 60_000 }, () => {
    it('alters keys of entities, drops an entity with its last key, streams changes, and persists', async () => {
      const { a, b } = await impl.pair()
      const images: ClientQuotasImage[] = []
      a.subscribeClientQuotas((image) => images.push(image))
      assert.deepEqual((await a.clientQuotas()).quotas, [])
      await a.alterClientQuotas([
        {
          entity: { user: 'alice', 'client-id': null },
          ops: { producer_byte_rate: 1000, consumer_byte_rate: 2000 }
        },
        { entity: { 'client-id': 'app/with %odd' }, ops: { request_percentage: 12.5 } },
        { entity: { ip: null }, ops: { connection_creation_rate: 10 } }
      ])
      await a.alterClientQuotas([
        { entity: { 'client-id': null, user: 'alice' }, ops: { producer_byte_rate: null } },
        { entity: { ip: null }, ops: { connection_creation_rate: null } }
      ])
      const expected = sorted([
        { entity: { user: 'alice', 'client-id': null }, values: { consumer_byte_rate: 2000 } },
        { entity: { 'client-id': 'app/with %odd' }, values: { request_percentage: 12.5 } }
      ])
      assert.deepEqual(sorted((await a.clientQuotas()).quotas), expected)
      await waitFor(
        () => JSON.stringify(sorted(images.at(-1)?.quotas ?? [])) === JSON.stringify(expected),
        5000,
        'the change stream to publish the last alteration'
      )
      const other = await b()
      assert.deepEqual(sorted((await other.clientQuotas()).quotas), expected)
    })
  })
}
