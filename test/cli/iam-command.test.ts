import assert from 'node:assert/strict'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, describe, it } from 'node:test'
import { FileMetadataStore } from '../../src/cluster/file-metadata-store.js'
import { etcdForFile } from '../cluster/etcd/etcd-store-kit.js'
import { runCli } from '../helpers/broker-process.js'
import { ensureEtcd } from '../helpers/etcd-process.js'

const root = await mkdtemp(join(tmpdir(), 'samsa-iam-cli-'))
after(() => rm(root, { recursive: true, force: true }))
const etcdSkip = await ensureEtcd()
const etcd = etcdForFile(etcdSkip)

async function iam(args: string[], overrides: string[]) {
  const r = await runCli(['iam', ...args, ...overrides.flatMap((o) => ['--override', o])])
  return { ...r, json: r.code === 0 ? (JSON.parse(r.stdout) as unknown) : undefined }
}

interface Created {
  accessKeyId: string
  secretAccessKey: string
  user: string
  created: string
}

describe('samsa iam', () => {
  it('manages keys in the file store before the broker first starts; the broker then reads them', async () => {
    const dir = join(root, 'file')
    const o = [`log.dirs=${dir}`]
    const created = (await iam(['create-access-key', '--user', 'alice'], o)).json as Created
    assert.match(created.accessKeyId, /^AKIA[A-Z2-7]{16}$/)
    assert.equal(created.secretAccessKey.length, 40)
    assert.equal(created.user, 'alice')
    const listed = (await iam(['list-access-keys'], o)).json as Record<string, string>[]
    assert.deepEqual(listed, [{ accessKeyId: created.accessKeyId, user: 'alice', created: created.created }])

    const store = await FileMetadataStore.open({ logDirs: [dir], nodeId: 1 })
    try {
      const { keys } = await store.awsAccessKeys()
      assert.deepEqual(
        keys.map((k) => [k.accessKeyId, k.user, k.secretAccessKey]),
        [[created.accessKeyId, 'alice', created.secretAccessKey]]
      )
    } finally {
      await store.close()
    }
    // metadata.json (the broker's) never holds a secret.
    assert.doesNotMatch(await readFile(join(dir, '__cluster_metadata', 'metadata.json'), 'utf8'), /secret/i)

    const deleted = await iam(['delete-access-key', created.accessKeyId], o)
    assert.deepEqual(deleted.json, { accessKeyId: created.accessKeyId, deleted: true })
    const again = await iam(['delete-access-key', created.accessKeyId], o)
    assert.equal(again.code, 1)
    assert.match(again.stderr, /no access key/)
    assert.deepEqual((await iam(['list-access-keys'], o)).json, [])
  })

  it('exits 1 with usage on a missing --user, a bad user name or an unknown action', async () => {
    const o = [`log.dirs=${join(root, 'usage')}`]
    const noUser = await iam(['create-access-key'], o)
    assert.equal(noUser.code, 1)
    assert.match(noUser.stderr, /needs --user NAME/)
    const badUser = await iam(['create-access-key', '--user', 'no spaces'], o)
    assert.equal(badUser.code, 1)
    assert.match(badUser.stderr, /invalid user name/)
    const unknown = await iam(['rotate-everything'], o)
    assert.equal(unknown.code, 1)
    assert.match(unknown.stderr, /unknown action rotate-everything/)
  })

  it('manages keys in etcd when metadata.store=etcd', { skip: etcdSkip }, async () => {
    const o = [
      'metadata.store=etcd',
      `etcd.endpoints=${etcd.etcd().endpoint}`,
      'etcd.cluster.name=iam-cli',
      'listeners=PLAINTEXT://127.0.0.1:19092',
      `log.dirs=${join(root, 'etcd')}`
    ]
    const created = (await iam(['create-access-key', '--user', 'bob'], o)).json as Created
    const store = await etcd.openStore({ clusterName: 'iam-cli', nodeId: 7, candidate: false })
    const { keys } = await store.awsAccessKeys()
    assert.deepEqual(
      keys.map((k) => [k.accessKeyId, k.user, k.secretAccessKey]),
      [[created.accessKeyId, 'bob', created.secretAccessKey]]
    )
    const listed = (await iam(['list-access-keys'], o)).json as Record<string, string>[]
    assert.deepEqual(
      listed.map((k) => k.accessKeyId),
      [created.accessKeyId]
    )
    assert.equal((await iam(['delete-access-key', created.accessKeyId], o)).code, 0)
    assert.deepEqual((await store.awsAccessKeys()).keys, [])
  })
})
