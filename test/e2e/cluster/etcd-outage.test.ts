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
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import kafkajs from 'kafkajs'
import { type ClusterState, isAlive } from '../../../src/cli/cluster-command.js'
import { ErrorCode } from '../../../src/protocol/error-codes.js'
import type { ProduceRequest, ProduceResponse } from '../../../src/protocol/messages/produce.js'
import { decodeRecordBatch } from '../../../src/protocol/records/record-batch.js'
import { LogConfig } from '../../../src/storage/log-config.js'
import { UnifiedLog } from '../../../src/storage/unified-log.js'
import { runCli } from '../../helpers/broker-process.js'
import { ensureEtcd } from '../../helpers/etcd-process.js'
import { RawKafkaClient } from '../../helpers/raw-kafka-client.js'
import { KCAT, kcatConsume } from '../support/kcat.js'
import { batchOf } from '../support/raw-requests.js'
import { runOk } from '../support/run-process.js'

const SESSION_TIMEOUT_MS = 3000
const TOPIC = 'outage'

interface KcatPartition {
  partition: number
  leader: number
  replicas: { id: number }[]
  isrs: { id: number }[]
}

interface KcatMetadata {
  controllerid: number
  brokers: { id: number }[]
  topics: { topic: string; partitions: KcatPartition[] }[]
}

async function metadataOf(bootstrap: string, topic = TOPIC): Promise<KcatMetadata> {
  const { stdout } = await runOk(KCAT, ['-L', '-J', '-b', bootstrap, '-t', topic, '-m', '5'], {
    timeoutMs: 15_000
  })
  return JSON.parse(stdout.toString('utf8')) as KcatMetadata
}

async function partitionOf(bootstrap: string): Promise<KcatPartition> {
  const p = (await metadataOf(bootstrap)).topics[0]?.partitions[0]
  if (!p) throw new Error(`no metadata for ${TOPIC}`)
  return p
}

/** What the last metadata check saw, for the failure message. */
let lastSeen = ''

/** Polls `check` every 200 ms until it returns a value, or fails after `timeoutMs`. */
async function waitFor<T>(what: string, timeoutMs: number, check: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + timeoutMs
  while (Date.now() < deadline) {
    const value = await check().catch(() => undefined)
    if (value !== undefined) return value
    await sleep(200)
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}; last seen: ${lastSeen}`)
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms))
}

async function freePortRange(count: number): Promise<number> {
  const isFree = (port: number) =>
    new Promise<boolean>((resolve) => {
      const server = createServer()
      server.once('error', () => resolve(false))
      server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)))
    })
  for (let attempt = 0; attempt < 50; attempt++) {
    const base = 20_000 + Math.floor(Math.random() * 30_000)
    let free = true
    for (let i = 0; i < count && free; i++) free = await isFree(base + i)
    if (free) return base
  }
  throw new Error('no free port range found')
}

/** Sends one acks=-1 Produce v9 of `value` on `client`; the answer is read with `answerOf`. */
async function sendProduce(client: RawKafkaClient, value: string, timeoutMs: number): Promise<void> {
  const body: ProduceRequest = {
    transactionalId: null,
    acks: -1,
    timeoutMs,
    topicData: [{ name: TOPIC, partitionData: [{ index: 0, records: await batchOf([value]) }] }]
  }
  client.send(
    { requestApiKey: 0, requestApiVersion: 9, correlationId: 1, clientId: 'etcd-outage-test' },
    body
  )
}

async function answerOf(client: RawKafkaClient, waitMs: number): Promise<number> {
  const response = await client.nextResponse<ProduceResponse>(0, 9, waitMs)
  return response.body.responses[0]!.partitionResponses[0]!.errorCode
}

/** The error code of an acks=all produce of `value` to the broker at `port` (NONE: acknowledged). */
async function produceAcksAll(port: number, value: string, timeoutMs: number): Promise<number> {
  const client = await RawKafkaClient.connect(port)
  try {
    await sendProduce(client, value, timeoutMs)
    return await answerOf(client, timeoutMs + 10_000)
  } finally {
    client.close()
  }
}

/** Every record value in a partition directory, read with the storage layer (the broker is stopped). */
async function logValues(dir: string): Promise<string[]> {
  const log = await UnifiedLog.open({
    dir,
    topicPartition: { topic: TOPIC, partition: 0 },
    config: new LogConfig()
  })
  try {
    const values: string[] = []
    let offset = log.logStartOffset
    while (offset < log.logEndOffset) {
      const { records } = await log.read(offset, 1 << 20, { maxOffset: log.logEndOffset })
      if (records.length === 0) break
      for (let pos = 0; pos < records.length; ) {
        const batch = await decodeRecordBatch(records, pos)
        for (const r of batch.records) values.push(r.value?.toString() ?? '')
        offset = Number(batch.baseOffset) + batch.lastOffsetDelta + 1
        pos += records.readInt32BE(pos + 8) + 12
      }
    }
    return values
  } finally {
    await log.close()
  }
}

const errorName = (code: number) => Object.entries(ErrorCode).find(([, c]) => c === code)?.[0] ?? String(code)

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
  const consistentMetadata = async (minIsr: number) => {
    const views = await Promise.all(state!.brokers.map((b) => metadataOf(bootstrapOf(b.nodeId))))
    const [first, ...rest] = views.map((m) => {
      const p = m.topics[0]?.partitions[0]
      return JSON.stringify({
        controller: m.controllerid > 0,
        brokers: m.brokers.map((b) => b.id).sort(),
        leader: p?.leader ?? -1,
        isr: p?.isrs.map((r) => r.id).sort() ?? []
      })
    })
    lastSeen = [first, ...rest].join(' | ')
    if (rest.some((v) => v !== first)) return undefined
    const p = views[0]!.topics[0]?.partitions[0]
    if (!views[0]!.controllerid || views[0]!.controllerid < 0 || views[0]!.brokers.length !== 3)
      return undefined
    if (!p || p.leader < 0 || p.isrs.length < minIsr) return undefined
    return p
  }

  before(async () => {
    if (skip) return
    dir = await mkdtemp(join(tmpdir(), 'samsa-etcd-outage-'))
    const started = await runCli(
      [
        'cluster',
        'start',
        '--brokers',
        '3',
        '--dir',
        dir,
        '--base-port',
        String(await freePortRange(3)),
        '--override',
        `broker.session.timeout.ms=${SESSION_TIMEOUT_MS}`,
        '--override',
        'replica.lag.time.max.ms=4000'
      ],
      60_000
    )
    assert.equal(started.code, 0, started.stderr)
    state = JSON.parse(await readFile(join(dir, 'cluster.json'), 'utf8')) as ClusterState
    const kafka = new kafkajs.Kafka({
      brokers: state.bootstrap.split(','),
      logLevel: kafkajs.logLevel.NOTHING
    })
    const admin = kafka.admin()
    await admin.connect()
    try {
      await admin.createTopics({
        topics: [
          {
            topic: TOPIC,
            numPartitions: 1,
            replicationFactor: 3,
            configEntries: [{ name: 'min.insync.replicas', value: '2' }]
          }
        ],
        waitForLeaders: true
      })
    } finally {
      await admin.disconnect()
    }
  })

  after(async () => {
    if (skip || !dir) return
    if (state) {
      signal(state.etcd.pid, 'SIGCONT')
      for (const b of state.brokers) signal(b.pid, 'SIGCONT')
    }
    await runCli(['cluster', 'stop', '--dir', dir], 60_000).catch(() => undefined)
    await rm(dir, { recursive: true, force: true })
  })

  it('with etcd frozen past the session timeout, the leader keeps acknowledging and serving; the cluster recovers', {
    skip: skip ?? false
  }, async (t) => {
    const before = await waitFor('a leader with the full ISR', 20_000, async () => {
      const p = await partitionOf(state!.bootstrap)
      return p.leader > 0 && p.isrs.length === 3 ? p : undefined
    })
    const leaderPort = brokerOf(before.leader).port
    assert.equal(await produceAcksAll(leaderPort, 'before-outage', 10_000), ErrorCode.NONE)
    acked.push('before-outage')

    signal(state!.etcd.pid, 'SIGSTOP')
    const stoppedAt = Date.now()
    try {
      for (let i = 0; Date.now() - stoppedAt < 2.5 * SESSION_TIMEOUT_MS; i++) {
        const value = `during-outage-${i}`
        const code = await produceAcksAll(leaderPort, value, 5000)
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

    const recovered = await waitFor('consistent metadata on every broker after etcd returns', 45_000, () =>
      consistentMetadata(2)
    )
    for (const b of state!.brokers) assert.ok(isAlive(b.pid), `broker ${b.nodeId} survived the outage`)

    const kafka = new kafkajs.Kafka({
      brokers: state!.bootstrap.split(','),
      logLevel: kafkajs.logLevel.NOTHING
    })
    const admin = kafka.admin()
    await admin.connect()
    try {
      assert.equal(
        await admin.createTopics({
          topics: [{ topic: 'after-outage', numPartitions: 3, replicationFactor: 3 }],
          waitForLeaders: true
        }),
        true
      )
    } finally {
      await admin.disconnect()
    }
    const code = await produceAcksAll(brokerOf(recovered.leader).port, 'after-outage', 15_000)
    assert.equal(code, ErrorCode.NONE, errorName(code))
    acked.push('after-outage')
  })

  it('a leader frozen past the session timeout is replaced and, resumed, acknowledges nothing', {
    skip: skip ?? false
  }, async (t) => {
    const before = await waitFor('the full ISR', 30_000, () => consistentMetadata(3))
    deposed = before.leader
    const victim = brokerOf(deposed)
    const witness = state!.brokers.find((b) => b.nodeId !== deposed)!
    // Connected before the freeze: the produce sent while it is frozen waits in its socket.
    const pending = await RawKafkaClient.connect(victim.port)
    try {
      signal(victim.pid, 'SIGSTOP')
      let resumed = false
      try {
        await sendProduce(pending, 'pending-0', 10_000)
        stale.push('pending-0')
        const after = await waitFor('a new leader elected without the frozen one', 30_000, async () => {
          const p = await partitionOf(`127.0.0.1:${witness.port}`)
          return p.leader > 0 && p.leader !== deposed ? p : undefined
        })
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
        answerOf(pending, 30_000),
        ...fresh.map((v) => produceAcksAll(victim.port, v, 5000).catch(() => -1))
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

    const code = await produceAcksAll(brokerOf(newLeader).port, 'new-leader', 15_000)
    assert.equal(code, ErrorCode.NONE, errorName(code))
    acked.push('new-leader')
    // The deposed leader follows the new epoch, truncates what it alone wrote, and rejoins the ISR.
    const converged = await waitFor('the deposed leader back in the ISR', 30_000, () => consistentMetadata(3))
    assert.equal(converged.leader, newLeader)
    const rejected = await produceAcksAll(victim.port, 'to-follower', 5000)
    assert.equal(rejected, ErrorCode.NOT_LEADER_OR_FOLLOWER, errorName(rejected))
  })

  it('after the cluster stops, every log holds every acknowledged record and nothing the deposed leader wrote alone', {
    skip: skip ?? false
  }, async () => {
    assert.ok(deposed > 0 && newLeader > 0, 'needs the deposed-leader test')
    const stopped = await runCli(['cluster', 'stop', '--dir', dir], 60_000)
    assert.equal(stopped.code, 0, stopped.stderr)
    const logs = new Map<number, string[]>()
    for (const b of state!.brokers) logs.set(b.nodeId, await logValues(join(b.logDir, `${TOPIC}-0`)))
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
