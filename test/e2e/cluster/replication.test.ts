/**
 * Replication on a 3-broker cluster (real etcd, real broker processes): a topic with RF=3 and
 * min.insync.replicas=2 takes acks=all produces from librdkafka that every replica holds; a
 * SIGKILLed leader is replaced by an ISR member with a bumped leader epoch, producing resumes within seconds
 * and no acknowledged record is lost or duplicated; a follower that stops fetching leaves the ISR, so a
 * waiting acks=all produce ends with NOT_ENOUGH_REPLICAS_AFTER_APPEND and the next with NOT_ENOUGH_REPLICAS;
 * after the cluster stops, the logs of the new leader and its follower hold the same records.
 */

import assert from 'node:assert/strict'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import kafkajs from 'kafkajs'
import type { ClusterState } from '../../../src/cli/cluster-command.js'
import { ErrorCode } from '../../../src/protocol/error-codes.js'
import type { ProduceRequest, ProduceResponse } from '../../../src/protocol/messages/produce.js'
import { decodeRecordBatch } from '../../../src/protocol/records/record-batch.js'
import { LogConfig } from '../../../src/storage/log-config.js'
import { UnifiedLog } from '../../../src/storage/unified-log.js'
import { runCli } from '../../helpers/broker-process.js'
import { ensureEtcd } from '../../helpers/etcd-process.js'
import { RawKafkaClient } from '../../helpers/raw-kafka-client.js'
import { pyConsume, pyProduce } from '../support/confluent.js'
import { KCAT } from '../support/kcat.js'
import { batchOf } from '../support/raw-requests.js'
import { runOk } from '../support/run-process.js'

const SESSION_TIMEOUT_MS = 3000
const TOPIC = 'replicated'
/**
 * Not idempotent: each broker still hands out producer ids from its own file-backed blocks (ids repeat across
 * brokers until AllocateProducerIds goes through the controller), so a second idempotent producer could
 * collide with the first's sequence state. One request in flight keeps retries in order.
 */
const ACKS_ALL = { acks: 'all', 'max.in.flight.requests.per.connection': 1, 'linger.ms': 5 }

interface KcatPartition {
  partition: number
  leader: number
  replicas: { id: number }[]
  isrs: { id: number }[]
}

async function partitionOf(bootstrap: string): Promise<KcatPartition> {
  const { stdout } = await runOk(KCAT, ['-L', '-J', '-b', bootstrap, '-t', TOPIC, '-m', '5'], {
    timeoutMs: 15_000
  })
  const md = JSON.parse(stdout.toString('utf8')) as { topics: { partitions: KcatPartition[] }[] }
  const p = md.topics[0]?.partitions[0]
  if (!p) throw new Error(`no metadata for ${TOPIC}`)
  return p
}

/** Polls `check` every 100 ms until it returns a value, or fails after `timeoutMs`. */
async function waitFor<T>(what: string, timeoutMs: number, check: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + timeoutMs
  while (Date.now() < deadline) {
    const value = await check().catch(() => undefined)
    if (value !== undefined) return value
    await new Promise((r) => setTimeout(r, 100))
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`)
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

/** acks=-1 Produce v9 of one batch, answered within `timeoutMs` by the broker at `port`. */
async function produceAcksAll(port: number, value: string, timeoutMs: number) {
  const client = await RawKafkaClient.connect(port)
  try {
    const body: ProduceRequest = {
      transactionalId: null,
      acks: -1,
      timeoutMs,
      topicData: [{ name: TOPIC, partitionData: [{ index: 0, records: await batchOf([value]) }] }]
    }
    client.send(
      { requestApiKey: 0, requestApiVersion: 9, correlationId: 1, clientId: 'replication-test' },
      body
    )
    const response = await client.nextResponse<ProduceResponse>(0, 9, timeoutMs + 10_000)
    return response.body.responses[0]!.partitionResponses[0]!
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

describe('replication: RF=3, min.insync.replicas=2, leader failover', async () => {
  const skip = await ensureEtcd()
  let dir = ''
  let state: ClusterState | undefined
  const acked: string[] = []
  let newLeader = -1
  let follower = -1

  const brokerOf = (nodeId: number) => state!.brokers.find((b) => b.nodeId === nodeId)!
  const bootstrapOf = (nodeId: number) => `127.0.0.1:${brokerOf(nodeId).port}`

  before(async () => {
    if (skip) return
    dir = await mkdtemp(join(tmpdir(), 'samsa-replication-'))
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
    for (const b of state?.brokers ?? []) {
      try {
        process.kill(b.pid, 'SIGCONT')
      } catch {}
    }
    await runCli(['cluster', 'stop', '--dir', dir], 60_000).catch(() => undefined)
    await rm(dir, { recursive: true, force: true })
  })

  it('acks=all produces reach every replica and are readable from the leader', {
    skip: skip ?? false
  }, async () => {
    const values = Array.from({ length: 100 }, (_, i) => `a-${i}`)
    const { reports, unflushed } = await pyProduce(
      state!.bootstrap,
      TOPIC,
      values.map((v) => ({ key: null, value: Buffer.from(v), partition: 0 })),
      ACKS_ALL
    )
    assert.equal(unflushed, 0)
    assert.deepEqual(
      reports.filter((r) => r.error !== null),
      []
    )
    acked.push(...values)
    const p = await partitionOf(state!.bootstrap)
    assert.deepEqual(p.isrs.map((r) => r.id).sort(), [1, 2, 3], 'every follower is in sync')
    const consumed = await pyConsume(bootstrapOf(p.leader), TOPIC, { partition: 0 })
    assert.deepEqual(
      consumed.records.map((r) => r.value?.toString()),
      values
    )
  })

  it('a SIGKILLed leader is replaced from the ISR; produces resume and nothing is lost or duplicated', {
    skip: skip ?? false
  }, async (t) => {
    const before = await partitionOf(state!.bootstrap)
    const victim = brokerOf(before.leader)
    const survivor = state!.brokers.find((b) => b.nodeId !== before.leader)!
    const killedAt = Date.now()
    process.kill(victim.pid, 'SIGKILL')
    let probe = 0
    const firstAck = await waitFor('a produce acknowledged by a new leader', 30_000, async () => {
      const value = `probe-${probe++}`
      const { reports } = await pyProduce(
        `127.0.0.1:${survivor.port}`,
        TOPIC,
        [{ key: null, value: Buffer.from(value), partition: 0 }],
        { ...ACKS_ALL, 'message.timeout.ms': 4000 }
      )
      return reports[0]?.error === null ? value : undefined
    })
    const failoverMs = Date.now() - killedAt
    acked.push(firstAck)
    const after = await partitionOf(`127.0.0.1:${survivor.port}`)
    t.diagnostic(
      `leader ${before.leader} SIGKILLed; first acks=all produce acknowledged after ${failoverMs} ms, new leader ${after.leader} (session timeout ${SESSION_TIMEOUT_MS} ms)`
    )
    assert.notEqual(after.leader, before.leader)
    assert.ok(after.leader > 0)
    assert.deepEqual(
      after.isrs.map((r) => r.id).sort(),
      state!.brokers
        .map((b) => b.nodeId)
        .filter((id) => id !== before.leader)
        .sort()
    )
    newLeader = after.leader
    follower = after.isrs.map((r) => r.id).find((id) => id !== newLeader)!

    const values = Array.from({ length: 100 }, (_, i) => `b-${i}`)
    const { reports } = await pyProduce(
      bootstrapOf(newLeader),
      TOPIC,
      values.map((v) => ({ key: null, value: Buffer.from(v), partition: 0 })),
      ACKS_ALL
    )
    assert.deepEqual(
      reports.filter((r) => r.error !== null),
      []
    )
    acked.push(...values)

    const consumed = (await pyConsume(bootstrapOf(newLeader), TOPIC, { partition: 0 })).records.map(
      (r) => r.value?.toString() ?? ''
    )
    assert.equal(new Set(consumed).size, consumed.length, 'no record is duplicated')
    // Every acknowledged record is there, in the order it was acknowledged; unacknowledged probes may be too.
    assert.deepEqual(
      consumed.filter((v) => acked.includes(v)),
      acked
    )
  })

  it('a follower that stops fetching leaves the ISR: NOT_ENOUGH_REPLICAS_AFTER_APPEND, then NOT_ENOUGH_REPLICAS', {
    skip: skip ?? false
  }, async () => {
    assert.ok(newLeader > 0 && follower > 0, 'needs the failover test')
    const leaderPort = brokerOf(newLeader).port
    // A stopped follower neither fetches nor renews its lease: the leader waits for it until the ISR shrinks.
    process.kill(brokerOf(follower).pid, 'SIGSTOP')
    const waiting = await produceAcksAll(leaderPort, 'after-shrink', 20_000)
    assert.equal(waiting.errorCode, ErrorCode.NOT_ENOUGH_REPLICAS_AFTER_APPEND)
    const p = await partitionOf(bootstrapOf(newLeader))
    assert.deepEqual(
      p.isrs.map((r) => r.id),
      [newLeader]
    )
    const rejected = await produceAcksAll(leaderPort, 'rejected', 5000)
    assert.equal(rejected.errorCode, ErrorCode.NOT_ENOUGH_REPLICAS)
    process.kill(brokerOf(follower).pid, 'SIGKILL')
  })

  it('after the cluster stops, the new leader and its follower hold the same log', {
    skip: skip ?? false
  }, async () => {
    assert.ok(newLeader > 0 && follower > 0, 'needs the failover test')
    const stopped = await runCli(['cluster', 'stop', '--dir', dir], 60_000)
    assert.equal(stopped.code, 0, stopped.stderr)
    const leaderLog = await logValues(join(brokerOf(newLeader).logDir, `${TOPIC}-0`))
    const followerLog = await logValues(join(brokerOf(follower).logDir, `${TOPIC}-0`))
    for (const values of [leaderLog, followerLog]) {
      assert.equal(new Set(values).size, values.length, 'no record is duplicated')
      assert.deepEqual(
        values.filter((v) => acked.includes(v)),
        acked
      )
    }
    // The follower stopped before 'after-shrink' was written; up to there both logs are the same.
    assert.deepEqual(followerLog, leaderLog.slice(0, followerLog.length))
    assert.deepEqual(leaderLog.slice(followerLog.length), ['after-shrink'])
  })
})
