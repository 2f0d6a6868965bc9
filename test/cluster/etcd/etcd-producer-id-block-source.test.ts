import assert from 'node:assert/strict'
import { after, before, test } from 'node:test'
import { Etcd3 } from 'etcd3'
import { clusterPrefix } from '../../../src/cluster/etcd/etcd-keys.js'
import {
  EtcdProducerIdBlockSource,
  PRODUCER_ID_BLOCK_KEY
} from '../../../src/cluster/etcd/etcd-producer-id-block-source.js'
import { ProducerIdManager } from '../../../src/coordinator/producer-id-manager.js'
import { EtcdProcess, ensureEtcd } from '../../helpers/etcd-process.js'

const skip = await ensureEtcd()
if (skip) console.log(`skipping the etcd producer id tests: ${skip}`)
const opts = { skip }

let etcd: EtcdProcess
const sources: EtcdProducerIdBlockSource[] = []
before(async () => {
  if (!skip) etcd = await EtcdProcess.start()
})
after(async () => {
  for (const s of sources) s.close()
  await etcd?.stop()
})

let n = 0
const freshCluster = (): string => `pid-${n++}`
function connect(clusterName: string, blockSize?: number): EtcdProducerIdBlockSource {
  const source = EtcdProducerIdBlockSource.connect({ endpoints: [etcd.endpoint], clusterName, blockSize })
  sources.push(source)
  return source
}

test('blocks of 1000 start at 0 and follow each other, across reconnects', opts, async () => {
  const cluster = freshCluster()
  const first = connect(cluster)
  assert.deepEqual(await first.allocateBlock(), { firstProducerId: 0n, size: 1000 })
  assert.deepEqual(await first.allocateBlock(), { firstProducerId: 1000n, size: 1000 })
  first.close()
  // A new process (a restarted broker) continues after the last reserved block.
  const again = connect(cluster)
  assert.deepEqual(await again.allocateBlock(), { firstProducerId: 2000n, size: 1000 })
  // Another cluster sharing the etcd has its own counter.
  assert.deepEqual(await connect(freshCluster()).allocateBlock(), { firstProducerId: 0n, size: 1000 })
})

test('sources racing for blocks never hand out overlapping ranges', opts, async () => {
  const cluster = freshCluster()
  const racers = [connect(cluster), connect(cluster), connect(cluster), connect(cluster)]
  const perRacer = 15
  const blocks = (
    await Promise.all(
      racers.map(async (source) => {
        const mine = []
        for (let i = 0; i < perRacer; i++) mine.push(await source.allocateBlock())
        return mine
      })
    )
  ).flat()
  assert.equal(blocks.length, racers.length * perRacer)
  const starts = blocks.map((b) => b.firstProducerId).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))
  // Disjoint and gap-free: exactly the blocks 0, 1000, ... were reserved, once each.
  assert.deepEqual(
    starts,
    starts.map((_, i) => BigInt(i * 1000))
  )
})

test('producer id managers on two brokers hand out distinct ids', opts, async () => {
  const cluster = freshCluster()
  const a = new ProducerIdManager({ source: connect(cluster, 10) })
  const b = new ProducerIdManager({ source: connect(cluster, 10) })
  const ids = await Promise.all(
    Array.from({ length: 100 }, (_, i) => (i % 2 === 0 ? a : b).generateProducerId())
  )
  assert.equal(new Set(ids).size, ids.length)
})

test('a counter that is not a number stops allocation instead of restarting at 0', opts, async () => {
  const cluster = freshCluster()
  const raw = new Etcd3({ hosts: [etcd.endpoint] })
  try {
    await raw.namespace(clusterPrefix(cluster)).put(PRODUCER_ID_BLOCK_KEY).value('garbage')
  } finally {
    raw.close()
  }
  await assert.rejects(connect(cluster).allocateBlock(), /not an id/)
})
