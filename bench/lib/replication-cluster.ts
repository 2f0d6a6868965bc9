/**
 * The setting the replication benches share: one 3-broker `samsa cluster` (real etcd) in a temp dir, with
 * a one-partition topic at RF=1 (`rf1`) and one at RF=3 with min.insync.replicas=2 (`rf3`) to compare.
 */

import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { ClusterState } from '../../src/cli/cluster-command.js'
import { createTopics, startCluster, stopCluster } from '../../test/e2e/cluster/cluster-kit.js'

export const RF1_TOPIC = 'rf1'
export const RF3_TOPIC = 'rf3'

/**
 * Runs `body` with the cluster's state and a scratch dir of its own (the cluster lives in a subdir), then
 * stops the cluster and removes the dir, whether `body` succeeded or not.
 */
export async function withReplicationCluster<T>(
  prefix: string,
  body: (state: ClusterState, dir: string) => Promise<T>
): Promise<T> {
  const dir = await mkdtemp(join(tmpdir(), prefix))
  const clusterDir = join(dir, 'cluster')
  let state: ClusterState | undefined
  try {
    state = await startCluster(clusterDir, 3, [])
    await createTopics(state.bootstrap, [
      { topic: RF1_TOPIC, numPartitions: 1, replicationFactor: 1 },
      {
        topic: RF3_TOPIC,
        numPartitions: 1,
        replicationFactor: 3,
        configEntries: [{ name: 'min.insync.replicas', value: '2' }]
      }
    ])
    return await body(state, dir)
  } finally {
    await stopCluster(clusterDir, state)
    await rm(dir, { recursive: true, force: true })
  }
}
