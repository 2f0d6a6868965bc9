import assert from 'node:assert/strict'
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, test } from 'node:test'
import { randomUuid } from '../../src/cluster/kafka-uuid.js'
import {
  ensureMetaProperties,
  InconsistentClusterIdError,
  InconsistentNodeIdError,
  InvalidMetaPropertiesError,
  parseProperties,
  readMetaProperties
} from '../../src/cluster/meta-properties.js'

const root = await mkdtemp(join(tmpdir(), 'samsa-meta-'))
after(() => rm(root, { recursive: true, force: true }))
let n = 0
const fresh = (): string => join(root, `case-${n++}`)

test('first start writes meta.properties in every log dir with one new cluster id', async () => {
  const dirs = [fresh(), fresh()]
  const clusterId = await ensureMetaProperties(dirs, 7)
  for (const dir of dirs) {
    const meta = await readMetaProperties(dir)
    assert.equal(meta?.clusterId, clusterId)
    assert.equal(meta?.nodeId, 7)
    assert.equal(meta?.version, 1)
    assert.ok(meta?.directoryId)
    const props = parseProperties(await readFile(join(dir, 'meta.properties'), 'utf8'))
    assert.equal(props.get('cluster.id'), clusterId)
    assert.equal(props.get('node.id'), '7')
  }
  // A restart keeps the identity.
  assert.equal(await ensureMetaProperties(dirs, 7), clusterId)
})

test('a log dir added later gets the existing cluster id', async () => {
  const a = fresh()
  const clusterId = await ensureMetaProperties([a], 1)
  const b = fresh()
  assert.equal(await ensureMetaProperties([a, b], 1), clusterId)
  assert.equal((await readMetaProperties(b))?.clusterId, clusterId)
})

test('a configured cluster id that differs from the stored one refuses to start', async () => {
  const dir = fresh()
  const stored = await ensureMetaProperties([dir], 1)
  const other = randomUuid()
  await assert.rejects(ensureMetaProperties([dir], 1, other), (err: unknown) => {
    assert.ok(err instanceof InconsistentClusterIdError)
    assert.match(err.message, new RegExp(stored))
    assert.match(err.message, new RegExp(other))
    return true
  })
})

test('log dirs of two different clusters refuse to start, and nothing is written', async () => {
  const a = fresh()
  const b = fresh()
  await ensureMetaProperties([a], 1)
  await ensureMetaProperties([b], 1)
  const c = fresh()
  await assert.rejects(ensureMetaProperties([a, b, c], 1), InconsistentClusterIdError)
  assert.equal(await readMetaProperties(c), null)
})

test('another node id refuses to start', async () => {
  const dir = fresh()
  await ensureMetaProperties([dir], 1)
  await assert.rejects(ensureMetaProperties([dir], 2), (err: unknown) => {
    assert.ok(err instanceof InconsistentNodeIdError)
    assert.match(err.message, /node\.id 1/)
    return true
  })
})

test("Kafka's own meta.properties is read; unsupported versions are refused", async () => {
  const dir = fresh()
  await ensureMetaProperties([dir], 3)
  const id = randomUuid()
  await writeFile(
    join(dir, 'meta.properties'),
    `#\n#Thu Jan 01 00:00:00 UTC 2025\nnode.id=3\nversion=1\ncluster.id=${id}\n`
  )
  assert.equal(await ensureMetaProperties([dir], 3), id)
  await writeFile(join(dir, 'meta.properties'), 'version=0\nbroker.id=3\ncluster.id=x\n')
  await assert.rejects(ensureMetaProperties([dir], 3), InvalidMetaPropertiesError)
})

test('a configured cluster id must be a Kafka uuid', async () => {
  await assert.rejects(ensureMetaProperties([fresh()], 1, 'not-a-uuid'), InvalidMetaPropertiesError)
})
