/**
 * Divergent and out-of-range followers on a 2-broker cluster (real etcd, real broker processes), RF=2:
 * the leader A takes records its stopped follower B never sees, then A is SIGKILLed and B leads a new
 * leader epoch. B answers a Fetch whose last fetched epoch ended earlier in its log with divergingEpoch
 * (KIP-320), and one whose epoch it never had with OFFSET_OUT_OF_RANGE. After B's ISR shrinks to itself, B
 * deletes every record A has (DeleteRecords); A restarts with a log that ends below B's log start and
 * extra records at the old epoch, truncates it fully, starts at B's log start, catches up and rejoins the
 * ISR, and ends with exactly B's records.
 */

import assert from 'node:assert/strict'
import { mkdtemp } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import type { ClusterState } from '../../../src/cli/cluster-command.js'
import { ErrorCode } from '../../../src/protocol/error-codes.js'
import type {
  DeleteRecordsRequest,
  DeleteRecordsResponse
} from '../../../src/protocol/messages/delete-records.js'
import { ensureEtcd } from '../../helpers/etcd-process.js'
import { rawMetadata, rawRequest } from '../support/raw-requests.js'
import {
  brokerOf as brokerIn,
  consumerFetch,
  logValues,
  partitionOf,
  produceValues,
  RestartedBroker,
  startClusterWithTopic,
  stopCluster,
  waitFor,
  waitForIsr
} from './cluster-kit.js'

const TOPIC = 'diverge'
// The lag limit leaves the follower in the ISR through its 1.2 s stop, and drops the dead leader soon after.
const OVERRIDES = ['broker.session.timeout.ms=3000', 'replica.lag.time.max.ms=5000']

function produce(port: number, acks: number, values: readonly string[]) {
  return produceValues(port, TOPIC, acks, values)
}

/** A consumer's Fetch v12 carrying a last fetched epoch, answered at once. */
function fetchWithEpoch(port: number, fetchOffset: number, lastFetchedEpoch: number) {
  return consumerFetch(port, 12, TOPIC, { fetchOffset, lastFetchedEpoch })
}

async function leaderEpochAt(port: number): Promise<number> {
  const md = await rawMetadata(port, [TOPIC], false)
  return md.topics[0]!.partitions[0]!.leaderEpoch ?? -1
}

describe('follower truncation: diverging epochs and a follower behind the leader log start', async () => {
  const skip = await ensureEtcd()
  const opts = { skip }
  let dir = ''
  let state: ClusterState | undefined
  let restarted: RestartedBroker | undefined
  let oldLeader = -1
  let newLeader = -1
  let oldEpoch = -1
  let newEpoch = -1

  const brokerOf = (nodeId: number) => brokerIn(state!, nodeId)
  const portOf = (nodeId: number) => brokerOf(nodeId).port
  const isrAt = async (nodeId: number) =>
    (await partitionOf(`127.0.0.1:${portOf(nodeId)}`, TOPIC)).isrs.map((r) => r.id).sort()

  before(async () => {
    if (skip) return
    dir = await mkdtemp(join(tmpdir(), 'samsa-follower-truncation-'))
    state = await startClusterWithTopic(dir, 2, OVERRIDES, {
      topic: TOPIC,
      numPartitions: 1,
      replicationFactor: 2
    })
    await waitForIsr(state.bootstrap, TOPIC, 2)
  })

  after(async () => {
    if (skip || !dir) return
    restarted?.kill()
    await stopCluster(dir, state)
  })

  it('a new leader answers a fetch from a diverged epoch with divergingEpoch', opts, async () => {
    const p = await partitionOf(state!.bootstrap, TOPIC)
    oldLeader = p.leader
    newLeader = p.replicas.map((r) => r.id).find((id) => id !== oldLeader)!
    oldEpoch = await leaderEpochAt(portOf(oldLeader))
    const committed = await produce(portOf(oldLeader), -1, ['a0', 'a1', 'a2', 'a3', 'a4'])
    assert.equal(committed.errorCode, ErrorCode.NONE)

    // Records only the old leader gets: its follower is stopped while they are appended, after the fetch it
    // had parked expired (replica.fetch.wait.max.ms, 500 ms); an append would answer that fetch at once.
    process.kill(brokerOf(newLeader).pid, 'SIGSTOP')
    try {
      await new Promise((r) => setTimeout(r, 1200))
      const extra = await produce(portOf(oldLeader), 1, ['x0', 'x1', 'x2'])
      assert.equal(extra.errorCode, ErrorCode.NONE)
      assert.equal(extra.baseOffset, 5n)
      process.kill(brokerOf(oldLeader).pid, 'SIGKILL')
    } finally {
      process.kill(brokerOf(newLeader).pid, 'SIGCONT')
    }
    await waitFor(`broker ${newLeader} to lead`, 30_000, async () =>
      (await partitionOf(`127.0.0.1:${portOf(newLeader)}`, TOPIC)).leader === newLeader ? true : undefined
    )
    newEpoch = await leaderEpochAt(portOf(newLeader))
    assert.ok(newEpoch > oldEpoch, `epoch ${newEpoch} after ${oldEpoch}`)
    const appended = await produce(portOf(newLeader), 1, ['b0', 'b1', 'b2', 'b3'])
    assert.equal(appended.errorCode, ErrorCode.NONE)
    assert.equal(appended.baseOffset, 5n)

    // The old leader's position: offset 8 at the old epoch, which ends at 5 in the new leader's log.
    const diverged = await fetchWithEpoch(portOf(newLeader), 8, oldEpoch)
    assert.equal(diverged.errorCode, ErrorCode.NONE)
    assert.deepEqual(
      { epoch: diverged.divergingEpoch?.epoch, endOffset: diverged.divergingEpoch?.endOffset },
      { epoch: oldEpoch, endOffset: 5n }
    )
    assert.equal(diverged.records?.length ?? 0, 0)

    // In step with the new epoch: no divergence.
    const inStep = await fetchWithEpoch(portOf(newLeader), 5, newEpoch)
    assert.equal(inStep.errorCode, ErrorCode.NONE)
    assert.equal(inStep.divergingEpoch?.epoch ?? -1, -1)

    const unknown = await fetchWithEpoch(portOf(newLeader), 5, newEpoch + 10)
    assert.equal(unknown.errorCode, ErrorCode.OFFSET_OUT_OF_RANGE)
  })

  it(
    'a follower whose log ends below the leader log start starts over there and rejoins the ISR',
    opts,
    async () => {
      assert.ok(newLeader >= 0, 'the first test sets the scene')
      await waitFor(`the ISR to shrink to broker ${newLeader}`, 30_000, async () =>
        (await isrAt(newLeader)).join() === String(newLeader) ? true : undefined
      )
      const deleted = await rawRequest<DeleteRecordsResponse>(portOf(newLeader), 21, 2, {
        topics: [{ name: TOPIC, partitions: [{ partitionIndex: 0, offset: 9n }] }],
        timeoutMs: 5000
      } satisfies DeleteRecordsRequest)
      const result = deleted.topics[0]!.partitions[0]!
      assert.deepEqual(
        { errorCode: result.errorCode, lowWatermark: result.lowWatermark },
        { errorCode: 0, lowWatermark: 9n }
      )
      const more = await produce(portOf(newLeader), 1, ['c0', 'c1', 'c2'])
      assert.equal(more.errorCode, ErrorCode.NONE)
      assert.equal(more.baseOffset, 9n)

      // The old leader's log (a0-a4, x0-x2) ends at 8, below the log start 9.
      restarted = await RestartedBroker.start(state!, brokerOf(oldLeader), OVERRIDES)
      await waitFor(`broker ${oldLeader} back in the ISR`, 40_000, async () =>
        (await isrAt(newLeader)).length === 2 ? true : undefined
      )
      const acked = await produce(portOf(newLeader), -1, ['d0'])
      assert.equal(acked.errorCode, ErrorCode.NONE)
      assert.equal(acked.baseOffset, 12n)
      await waitFor(`broker ${oldLeader} to hold d0`, 20_000, async () => {
        const r = await fetchWithEpoch(portOf(newLeader), 13, newEpoch)
        return r.highWatermark === 13n ? true : undefined
      })

      await restarted.stop()
      const values = await logValues(join(brokerOf(oldLeader).logDir, `${TOPIC}-0`), TOPIC)
      assert.deepEqual(values, ['c0', 'c1', 'c2', 'd0'])
    }
  )
})
