import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after } from 'node:test'
import { FileMetadataStore } from '../../../src/cluster/file-metadata-store.js'
import { randomUuid } from '../../../src/cluster/kafka-uuid.js'
import type { PartitionRegistration, TopicConfigs } from '../../../src/cluster/metadata-store.js'

const root = await mkdtemp(join(tmpdir(), 'samsa-controller-parts-'))
after(() => rm(root, { recursive: true, force: true }))
let n = 0

/**
 * A real embedded metadata store with brokers `nodeIds` registered, written directly (not through the
 * controller), so a controller part can be tested on its own.
 */
export async function openStore(nodeIds: readonly number[]) {
  const store = await FileMetadataStore.open({ logDirs: [join(root, `case-${n++}`)], nodeId: 1 })
  after(() => store.close())
  for (const nodeId of nodeIds) {
    await store.registerBroker({ nodeId, host: 'localhost', port: 9000 + nodeId, rack: null, listeners: [] })
  }
  /** Topic `name` whose partition i has replicas `assignment[i]`, all in the ISR, the first leading. */
  const createTopic = async (name: string, assignment: readonly number[][], configs: TopicConfigs = {}) => {
    const created = await store.createTopic({
      name,
      topicId: randomUuid(),
      partitions: assignment.map((replicas) => ({ replicas, isr: replicas, leader: replicas[0]! })),
      configs
    })
    return created.topicId
  }
  const partition = async (name: string, index: number): Promise<PartitionRegistration> => {
    const topic = [...(await store.image()).topics.values()].find((t) => t.name === name)
    return topic!.partitions[index]!
  }
  return { store, createTopic, partition }
}
