/**
 * Faults around etcd on a 3-broker cluster (real etcd, real broker processes), RF=3, min.insync.replicas=2:
 * - etcd frozen (SIGSTOP) for longer than the session timeout: the leader keeps acknowledging acks=all
 *   produces (its ISR is intact and unchanged) and serving fetches, no broker exits, and once etcd is back
 *   the cluster recovers: every broker reports the same leader and ISR, a controller, and topic creation works;
 * - fencing: a leader frozen for longer than the session timeout is replaced; when it resumes, neither the
 *   acks=all produce that waited in its socket nor new ones are acknowledged by it, and after `cluster stop`
 *   no record it acknowledged after the election exists only on it (logs read with the storage layer).
 */

import assert from 'node:assert/strict'
import { mkdtemp } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { type ClusterState, isAlive } from '../../../src/cli/cluster-command.js'
import { ErrorCode } from '../../../src/protocol/error-codes.js'
import { runCli } from '../../helpers/broker-process.js'
import { ensureEtcd } from '../../helpers/etcd-process.js'
import { RawKafkaClient } from '../../helpers/raw-kafka-client.js'
import { kcatConsume } from '../support/kcat.js'
import {
  agreedPartition,
  createTopics,
  errorName,
  logValues,
  metadataOf,
  partitionOf,
  pollFor,
  produceAcksAll,
  produceAnswer,
  sendProduceAcksAll,
  sleep,
  startReplicatedCluster,
  stopCluster
} from './cluster-kit.js'

const SESSION_TIMEOUT_MS = 3000
const TOPIC = 'outage'
/** Every wait here runs kcat against each broker: every 200 ms is often enough. */
const POLL = { intervalMs: 200 }

/** The error code of an acks=all produce of `value` to the broker at `port` (NONE: acknowledged). */
async function produce(port: number, value: string, timeoutMs: number): Promise<number> {
  return (await produceAcksAll(port, TOPIC, value, timeoutMs)).errorCode
}

describe('etcd outage and a deposed leader: RF=3, min.insync.replicas=2', async () => {
  const skip = await ensureEtcd()
  let dir = ''
  let state: ClusterState | undefined
  /** Every value some broker acknowledged, in order. */
  const acked: string[] = []
  /** Values sent to the deposed leader after the election: none may be acknowledged. */
  const stale: string[] = []
  let deposed = -1
  let newLeader = -1

  const brokerOf = (nodeId: number) => state!.brokers.find((b) => b.nodeId === nodeId)!
  const bootstrapOf = (nodeId: number) => `127.0.0.1:${brokerOf(nodeId).port}`
  const signal = (pid: number, name: NodeJS.Signals) => {
    try {
      process.kill(pid, name)
    } catch {}
  }

  /** Every broker reports a controller, all 3 brokers, and the same leader and ISR (at least `minIsr`). */
  const consistentMetadata = async (minIsr: number) =>
    agreedPartition(
      await Promise.all(state!.brokers.map((b) => metadataOf(bootstrapOf(b.nodeId), TOPIC))),
      3,
      minIsr
    )

  before(async () => {
    if (skip) return
    dir = await mkdtemp(join(tmpdir(), 'samsa-etcd-outage-'))
    state = await startReplicatedCluster(dir, TOPIC, [
      `broker.session.timeout.ms=${SESSION_TIMEOUT_MS}`,
      'replica.lag.time.max.ms=4000'
    ])
  })

  after(async () => {
    if (skip) return
    await stopCluster(dir, state)
  })

  it('with etcd frozen past the session timeout, the leader keeps acknowledging and serving; the cluster recovers', {
    skip
  }, async (t) => {
    const before = await pollFor(
      'a leader with the full ISR',
      20_000,
      async () => {
        const p = await partitionOf(state!.bootstrap, TOPIC)
        return p.leader > 0 && p.isrs.length === 3 ? p : undefined
      },
      POLL
    )
    const leaderPort = brokerOf(before.leader).port
    assert.equal(await produce(leaderPort, 'before-outage', 10_000), ErrorCode.NONE)
    acked.push('before-outage')

    signal(state!.etcd.pid, 'SIGSTOP')
    const stoppedAt = Date.now()
    try {
      for (let i = 0; Date.now() - stoppedAt < 2.5 * SESSION_TIMEOUT_MS; i++) {
        const value = `during-outage-${i}`
        const code = await produce(leaderPort, value, 5000)
        assert.equal(code, ErrorCode.NONE, `${value}: ${errorName(code)} while etcd is frozen`)
        acked.push(value)
        await sleep(300)
      }
      const consumed = await kcatConsume(bootstrapOf(before.leader), TOPIC, { partition: 0 })
      assert.deepEqual(
        consumed.map((r) => r.value?.toString()),
        acked,
        'the leader serves fetches up to everything acknowledged'
      )
      for (const b of state!.brokers)
        assert.ok(isAlive(b.pid), `broker ${b.nodeId} is alive during the outage`)
    } finally {
      signal(state!.etcd.pid, 'SIGCONT')
    }
    t.diagnostic(
      `etcd frozen for ${Date.now() - stoppedAt} ms; ${acked.length - 1} acks=all produces acknowledged meanwhile`
    )

    const recovered = await pollFor(
      'consistent metadata on every broker after etcd returns',
      45_000,
      () => consistentMetadata(2),
      POLL
    )
    for (const b of state!.brokers) assert.ok(isAlive(b.pid), `broker ${b.nodeId} survived the outage`)

    assert.equal(
      await createTopics(state!.bootstrap, [
        { topic: 'after-outage', numPartitions: 3, replicationFactor: 3 }
      ]),
      true
    )
    const code = await produce(brokerOf(recovered.leader).port, 'after-outage', 15_000)
    assert.equal(code, ErrorCode.NONE, errorName(code))
    acked.push('after-outage')
  })

  it('a leader frozen past the session timeout is replaced and, resumed, acknowledges nothing', {
    skip
  }, async (t) => {
    const before = await pollFor('the full ISR', 30_000, () => consistentMetadata(3), POLL)
    deposed = before.leader
    const victim = brokerOf(deposed)
    const witness = state!.brokers.find((b) => b.nodeId !== deposed)!
    // Connected before the freeze: the produce sent while it is frozen waits in its socket.
    const pending = await RawKafkaClient.connect(victim.port)
    try {
      signal(victim.pid, 'SIGSTOP')
      let resumed = false
      try {
        await sendProduceAcksAll(pending, TOPIC, 'pending-0', 10_000)
        stale.push('pending-0')
        const after = await pollFor(
          'a new leader elected without the frozen one',
          30_000,
          async () => {
            const p = await partitionOf(`127.0.0.1:${witness.port}`, TOPIC)
            return p.leader > 0 && p.leader !== deposed ? p : undefined
          },
          POLL
        )
        newLeader = after.leader
        signal(victim.pid, 'SIGCONT')
        resumed = true
      } finally {
        if (!resumed) signal(victim.pid, 'SIGCONT')
      }
      // Right after it resumes, before or while it learns the news, the old leader must not acknowledge.
      const fresh = Array.from({ length: 3 }, (_, i) => `stale-${i}`)
      stale.push(...fresh)
      const codes = await Promise.all([
        produceAnswer(pending, 30_000).then((r) => r.errorCode),
        ...fresh.map((v) => produce(victim.port, v, 5000).catch(() => -1))
      ])
      t.diagnostic(
        `leader ${deposed} replaced by ${newLeader}; its answers after resuming: ${codes.map(errorName).join(', ')}`
      )
      assert.deepEqual(
        codes.filter((c) => c === ErrorCode.NONE),
        [],
        'a deposed leader acknowledged an acks=all produce'
      )
    } finally {
      pending.close()
    }

    const code = await produce(brokerOf(newLeader).port, 'new-leader', 15_000)
    assert.equal(code, ErrorCode.NONE, errorName(code))
    acked.push('new-leader')
    // The deposed leader follows the new epoch, truncates what it alone wrote, and rejoins the ISR.
    const converged = await pollFor(
      'the deposed leader back in the ISR',
      30_000,
      () => consistentMetadata(3),
      POLL
    )
    assert.equal(converged.leader, newLeader)
    const rejected = await produce(victim.port, 'to-follower', 5000)
    assert.equal(rejected, ErrorCode.NOT_LEADER_OR_FOLLOWER, errorName(rejected))
  })

  it('after the cluster stops, every log holds every acknowledged record and nothing the deposed leader wrote alone', {
    skip
  }, async () => {
    assert.ok(deposed > 0 && newLeader > 0, 'needs the deposed-leader test')
    const stopped = await runCli(['cluster', 'stop', '--dir', dir], 60_000)
    assert.equal(stopped.code, 0, stopped.stderr)
    const logs = new Map<number, string[]>()
    for (const b of state!.brokers) logs.set(b.nodeId, await logValues(join(b.logDir, `${TOPIC}-0`), TOPIC))
    const leaderLog = logs.get(newLeader)!
    assert.deepEqual(
      leaderLog.filter((v) => acked.includes(v)),
      acked,
      'the new leader holds every acknowledged record, in order'
    )
    for (const [nodeId, values] of logs) {
      assert.deepEqual(
        values.filter((v) => stale.includes(v) && !leaderLog.includes(v)),
        [],
        `broker ${nodeId} holds records only the deposed leader took`
      )
      assert.deepEqual(values, leaderLog, `broker ${nodeId} has converged on the new leader's log`)
    }
  })
})
