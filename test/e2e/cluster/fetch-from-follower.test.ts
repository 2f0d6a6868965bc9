/**
 * KIP-392 fetch from the closest replica on a 2-broker cluster (real etcd, real broker processes) with
 * replica.selector.class=RackAwareReplicaSelector: the leader is in rack-a and its follower, restarted with
 * broker.rack=rack-b, in rack-b. A consumer Fetch (v11+) naming rack-b gets preferredReadReplica = the
 * follower and no records; one naming rack-a reads from the leader; the follower serves v11+ consumer
 * fetches up to its high watermark and still refuses older ones; librdkafka with client.rack=rack-b
 * follows the redirect and fetches every record from the follower.
 */

import assert from 'node:assert/strict'
import { mkdtemp } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import type { ClusterState } from '../../../src/cli/cluster-command.js'
import { ErrorCode } from '../../../src/protocol/error-codes.js'
import { ensureEtcd } from '../../helpers/etcd-process.js'
import { KCAT } from '../support/kcat.js'
import { batchOf, rawMetadata, rawProduce } from '../support/raw-requests.js'
import { runOk } from '../support/run-process.js'
import {
  brokerOf,
  consumerFetch as fetchAt,
  partitionOf,
  RestartedBroker,
  startClusterWithTopic,
  stopCluster,
  recordValues as values,
  waitFor
} from './cluster-kit.js'

const TOPIC = 'closest'
const SELECTOR = 'replica.selector.class=org.apache.kafka.common.replica.RackAwareReplicaSelector'
const OVERRIDES = ['broker.session.timeout.ms=3000', SELECTOR]

function consumerFetch(port: number, version: number, rackId: string) {
  return fetchAt(port, version, TOPIC, { rackId })
}

describe('KIP-392: fetch from the closest replica', async () => {
  const skip = await ensureEtcd()
  const opts = { skip }
  let dir = ''
  let state: ClusterState | undefined
  let restarted: RestartedBroker | undefined
  let leader = -1
  let follower = -1
  const portOf = (nodeId: number) => brokerOf(state!, nodeId).port
  const expected = ['r0', 'r1', 'r2', 'r3', 'r4']

  before(async () => {
    if (skip) return
    dir = await mkdtemp(join(tmpdir(), 'samsa-fetch-from-follower-'))
    state = await startClusterWithTopic(dir, 2, [...OVERRIDES, 'broker.rack=rack-a'], {
      topic: TOPIC,
      numPartitions: 1,
      replicationFactor: 2
    })
    const p = await partitionOf(state.bootstrap, TOPIC)
    leader = p.leader
    follower = p.replicas.map((r) => r.id).find((id) => id !== leader)!
    // The follower moves to rack-b: stopped cleanly, started again with its node id and log dir.
    process.kill(brokerOf(state!, follower).pid, 'SIGTERM')
    await waitFor(`broker ${follower} to exit`, 30_000, async () => {
      try {
        process.kill(brokerOf(state!, follower).pid, 0)
        return undefined
      } catch {
        return true
      }
    })
    restarted = await RestartedBroker.start(state, brokerOf(state!, follower), [
      ...OVERRIDES,
      'broker.rack=rack-b'
    ])
    await waitFor('the follower registered in rack-b and back in the ISR', 40_000, async () => {
      const md = await rawMetadata(portOf(leader), [TOPIC], false)
      const rack = md.brokers.find((b) => b.nodeId === follower)?.rack
      const isr = md.topics[0]?.partitions[0]?.isrNodes ?? []
      return rack === 'rack-b' && isr.length === 2 && md.topics[0]?.partitions[0]?.leaderId === leader
        ? true
        : undefined
    })
    const produced = await rawProduce(portOf(leader), TOPIC, 0, await batchOf(expected))
    assert.equal(produced.errorCode, ErrorCode.NONE)
  })

  after(async () => {
    if (skip || !dir) return
    restarted?.kill()
    await stopCluster(dir, state)
  })

  it(
    'the leader sends a rack-b consumer to the rack-b follower, and serves rack-a itself',
    opts,
    async () => {
      const redirected = await consumerFetch(portOf(leader), 11, 'rack-b')
      assert.equal(redirected.errorCode, ErrorCode.NONE)
      assert.equal(redirected.preferredReadReplica, follower)
      assert.equal(redirected.records?.length ?? 0, 0)
      assert.equal(redirected.highWatermark, 5n)

      const local = await consumerFetch(portOf(leader), 12, 'rack-a')
      assert.equal(local.preferredReadReplica, -1)
      assert.deepEqual(await values(local.records), expected)
      const noRack = await consumerFetch(portOf(leader), 12, '')
      assert.equal(noRack.preferredReadReplica, -1)
      assert.deepEqual(await values(noRack.records), expected)
    }
  )

  it(
    'the follower serves v11+ consumer fetches up to its high watermark, not older versions',
    opts,
    async () => {
      const served = await waitFor('the follower to serve every record', 20_000, async () => {
        const r = await consumerFetch(portOf(follower), 12, 'rack-b')
        return r.errorCode === ErrorCode.NONE && r.highWatermark === 5n ? r : undefined
      })
      assert.equal(served.preferredReadReplica, -1)
      assert.deepEqual(await values(served.records), expected)
      const old = await consumerFetch(portOf(follower), 10, '')
      assert.equal(old.errorCode, ErrorCode.NOT_LEADER_OR_FOLLOWER)
    }
  )

  it('librdkafka with client.rack=rack-b consumes every record from the follower', opts, async () => {
    const { stdout, stderr } = await runOk(
      KCAT,
      [
        '-C',
        '-b',
        `127.0.0.1:${portOf(leader)}`,
        '-t',
        TOPIC,
        '-p',
        '0',
        '-o',
        'beginning',
        '-c',
        String(expected.length),
        '-f',
        '%s\\n',
        '-X',
        'client.rack=rack-b',
        '-d',
        'fetch'
      ],
      { timeoutMs: 30_000 }
    )
    assert.deepEqual(stdout.toString('utf8').trim().split('\n'), expected)
    const debug = stderr
    const fetchedFromFollower = debug
      .split('\n')
      .some((line) => line.includes(`:${portOf(follower)}/${follower}`) && /Fetch topic closest/i.test(line))
    assert.ok(fetchedFromFollower, `librdkafka never fetched from broker ${follower}:\n${debug.slice(-3000)}`)
  })
})
