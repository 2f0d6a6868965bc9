/**
 * The reassignment state (adding and removing replicas) is part of the partition registration in etcd, as
 * in Kafka's PartitionRecord: it survives a reopen, reaches other brokers as a partition change, stays
 * through changes that do not mention it, and ends when a change clears it.
 */

import assert from 'node:assert/strict'
import { test } from 'node:test'
import type { EtcdMetadataStore } from '../../../src/cluster/etcd/etcd-metadata-store.js'
import { randomUuid } from '../../../src/cluster/kafka-uuid.js'
import type { MetadataDelta } from '../../../src/cluster/metadata-store.js'
import { ensureEtcd } from '../../helpers/etcd-process.js'
import { etcdForFile, waitFor } from './etcd-store-kit.js'

const skip = await ensureEtcd()
const opts = { skip }

const stores = etcdForFile(skip)

function openStore(nodeId: number, candidate: boolean): Promise<EtcdMetadataStore> {
  return stores.openStore({ clusterName: 'reassignment-state', nodeId, leaseTtlSeconds: 2, candidate })
}

test('adding and removing replicas persist in the partition registration', opts, async () => {
  const controller = await openStore(1, true)
  await waitFor(() => controller.election.isController, 5000, 'the only candidate to become controller')
  const other = await openStore(2, false)
  const seen: MetadataDelta[] = []
  other.subscribe((delta) => seen.push(delta))
  const topicId = randomUuid()
  await controller.createTopic({
    name: 'moving',
    topicId,
    partitions: [{ replicas: [1, 2], isr: [1, 2], leader: 1 }],
    configs: {}
  })
  const started = await controller.alterPartition(topicId, 0, 0, {
    replicas: [3, 2, 1],
    addingReplicas: [3],
    removingReplicas: [1]
  })
  assert.deepEqual(started.addingReplicas, [3])
  assert.deepEqual(started.removingReplicas, [1])
  await waitFor(() => seen.some((d) => d.type === 'partition-changed'), 5000, 'the change on broker 2')
  const delta = seen.find((d) => d.type === 'partition-changed')
  assert.ok(delta?.type === 'partition-changed')
  assert.deepEqual(delta.partition.addingReplicas, [3])
  assert.deepEqual(delta.partition.removingReplicas, [1])

  // An ISR change that does not mention the reassignment keeps it.
  const isrChanged = await controller.alterPartition(topicId, 0, 1, { isr: [1, 2, 3] })
  assert.deepEqual(isrChanged.addingReplicas, [3])
  const reread = (await other.image()).topics.get(topicId)!.partitions[0]!
  assert.deepEqual(reread.addingReplicas, [3])
  assert.deepEqual(reread.removingReplicas, [1])
  assert.deepEqual(reread.isr, [1, 2, 3])

  // Completing clears both sets: the registration looks like one that never moved.
  const completed = await controller.alterPartition(topicId, 0, 2, {
    replicas: [3, 2],
    isr: [2, 3],
    leader: 3,
    addingReplicas: [],
    removingReplicas: []
  })
  assert.deepEqual((await other.image()).topics.get(topicId)!.partitions[0], completed)
  assert.deepEqual(completed, {
    partitionIndex: 0,
    replicas: [3, 2],
    isr: [2, 3],
    leader: 3,
    leaderEpoch: 1,
    partitionEpoch: 3
  })
})
