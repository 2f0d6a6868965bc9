/**
 * A 3-broker cluster on real etcd, started and stopped with `samsa cluster start|stop`: kcat sees 3 brokers
 * and the controller, kafkajs creates a 6-partition topic whose leaders spread over the brokers (one rack
 * each), kcat produces to and consumes from every partition through its leader, non-controllers forward
 * CreateTopics (or answer NOT_CONTROLLER to a request that was forwarded already), a SIGKILLed controller is
 * replaced within the session timeout and topic creation keeps working (librdkafka's AdminClient), and
 * `cluster stop` leaves no process behind.
 */

import assert from 'node:assert/strict'
import { access, mkdtemp, readFile, rm } from 'node:fs/promises'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import kafkajs from 'kafkajs'
import { type ClusterState, isAlive } from '../../../src/cli/cluster-command.js'
import { ErrorCode } from '../../../src/protocol/error-codes.js'
import type { CreateTopicsResponse } from '../../../src/protocol/messages/create-topics.js'
import { runCli } from '../../helpers/broker-process.js'
import { ensureEtcd } from '../../helpers/etcd-process.js'
import { RawKafkaClient } from '../../helpers/raw-kafka-client.js'
import { PYTHON } from '../support/confluent.js'
import { KCAT, kcatConsume, kcatProduce } from '../support/kcat.js'
import { rawCreateTopics } from '../support/raw-requests.js'
import { runOk } from '../support/run-process.js'

const SESSION_TIMEOUT_MS = 3000

interface KcatMetadata {
  controllerid: number
  brokers: { id: number; name: string }[]
  topics: { topic: string; partitions: { partition: number; leader: number }[] }[]
}

async function metadataOf(bootstrap: string, topic?: string): Promise<KcatMetadata> {
  const args = ['-L', '-J', '-b', bootstrap, '-m', '5']
  if (topic) args.push('-t', topic)
  const { stdout } = await runOk(KCAT, args, { timeoutMs: 15_000 })
  return JSON.parse(stdout.toString('utf8')) as KcatMetadata
}

/** A base port with `count` free consecutive loopback ports after it. */
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

async function exists(path: string): Promise<boolean> {
  return access(path).then(
    () => true,
    () => false
  )
}

describe('samsa cluster: 3 brokers on etcd', async () => {
  const skip = await ensureEtcd()
  let dir = ''
  let state: ClusterState | undefined

  before(async () => {
    if (skip) return
    dir = await mkdtemp(join(tmpdir(), 'samsa-cluster-'))
    const basePort = await freePortRange(3)
    const started = await runCli(
      [
        'cluster',
        'start',
        '--brokers',
        '3',
        '--racks',
        'a,b,c',
        '--dir',
        dir,
        '--base-port',
        String(basePort),
        '--override',
        `broker.session.timeout.ms=${SESSION_TIMEOUT_MS}`
      ],
      60_000
    )
    assert.equal(started.code, 0, started.stderr)
    state = JSON.parse(await readFile(join(dir, 'cluster.json'), 'utf8')) as ClusterState
    assert.equal(started.stdout.trim(), state.bootstrap)
  })

  after(async () => {
    if (skip || !dir) return
    if (await exists(join(dir, 'cluster.json'))) await runCli(['cluster', 'stop', '--dir', dir], 60_000)
    await rm(dir, { recursive: true, force: true })
  })

  it('lists 3 brokers and the controller (kcat -L)', { skip: skip ?? false }, async () => {
    const md = await metadataOf(state!.bootstrap)
    assert.deepEqual(md.brokers.map((b) => b.id).sort(), [1, 2, 3], 'every broker is registered and live')
    assert.ok([1, 2, 3].includes(md.controllerid), `controller ${md.controllerid}`)
    // Every broker names the same controller.
    for (const b of state!.brokers) {
      assert.equal((await metadataOf(`127.0.0.1:${b.port}`)).controllerid, md.controllerid)
    }
  })

  it('spreads the leaders of a 6-partition topic over the 3 racks; kcat produces and consumes through them', {
    skip: skip ?? false
  }, async () => {
    const kafka = new kafkajs.Kafka({
      brokers: [state!.bootstrap.split(',')[2]!],
      logLevel: kafkajs.logLevel.NOTHING
    })
    const admin = kafka.admin()
    await admin.connect()
    try {
      assert.equal(
        await admin.createTopics({
          topics: [{ topic: 'spread', numPartitions: 6, replicationFactor: 1 }],
          waitForLeaders: true
        }),
        true
      )
    } finally {
      await admin.disconnect()
    }
    const md = await metadataOf(state!.bootstrap, 'spread')
    const partitions = md.topics.find((t) => t.topic === 'spread')!.partitions
    assert.equal(partitions.length, 6)
    const perBroker = new Map<number, number>()
    for (const p of partitions) perBroker.set(p.leader, (perBroker.get(p.leader) ?? 0) + 1)
    assert.deepEqual([...perBroker.entries()].sort(), [
      [1, 2],
      [2, 2],
      [3, 2]
    ])

    // One bootstrap broker only: librdkafka must find each partition's leader itself.
    const bootstrap = `127.0.0.1:${state!.brokers[0]!.port}`
    for (const p of partitions) {
      await kcatProduce(bootstrap, 'spread', [{ key: null, value: Buffer.from(`to-${p.partition}`) }], {
        partition: p.partition
      })
    }
    for (const p of partitions) {
      const consumed = await kcatConsume(bootstrap, 'spread', { partition: p.partition })
      assert.deepEqual(
        consumed.map((r) => r.value?.toString()),
        [`to-${p.partition}`]
      )
      // The data lives on the leader's disk, and only there.
      for (const b of state!.brokers) {
        assert.equal(await exists(join(b.logDir, `spread-${p.partition}`)), b.nodeId === p.leader)
      }
    }
  })

  it('non-controllers forward CreateTopics; a request forwarded once gets NOT_CONTROLLER', {
    skip: skip ?? false
  }, async () => {
    const controller = (await metadataOf(state!.bootstrap)).controllerid
    const other = state!.brokers.find((b) => b.nodeId !== controller)!
    const [created] = await rawCreateTopics(other.port, [
      { name: 'forwarded', numPartitions: 3, replicationFactor: 1 }
    ])
    assert.equal(created?.errorCode, ErrorCode.NONE, created?.errorMessage ?? '')
    assert.equal(created?.numPartitions, 3)

    const client = await RawKafkaClient.connect(other.port)
    try {
      client.send(
        { requestApiKey: 19, requestApiVersion: 7, correlationId: 7, clientId: 'samsa-forwarded-by-99' },
        {
          topics: [
            { name: 'not-again', numPartitions: 1, replicationFactor: 1, assignments: [], configs: [] }
          ],
          timeoutMs: 5000,
          validateOnly: false
        }
      )
      const response = await client.nextResponse<CreateTopicsResponse>(19, 7, 10_000)
      assert.equal(response.body.topics[0]?.errorCode, ErrorCode.NOT_CONTROLLER)
    } finally {
      client.close()
    }
  })

  it('elects another controller when the controller is SIGKILLed, and creates topics after', {
    skip: skip ?? false
  }, async (t) => {
    const before = (await metadataOf(state!.bootstrap)).controllerid
    const victim = state!.brokers.find((b) => b.nodeId === before)!
    const survivor = state!.brokers.find((b) => b.nodeId !== before)!
    const killedAt = Date.now()
    process.kill(victim.pid, 'SIGKILL')
    let elected = -1
    const deadline = killedAt + 30_000
    while (Date.now() < deadline) {
      const md = await metadataOf(`127.0.0.1:${survivor.port}`).catch(() => undefined)
      if (md && md.controllerid !== before && md.controllerid >= 0) {
        elected = md.controllerid
        break
      }
      await new Promise((r) => setTimeout(r, 100))
    }
    const failoverMs = Date.now() - killedAt
    t.diagnostic(
      `controller ${before} -> ${elected} in ${failoverMs} ms (session timeout ${SESSION_TIMEOUT_MS} ms)`
    )
    assert.notEqual(elected, -1, 'no new controller within 30 s')
    assert.notEqual(elected, victim.nodeId)

    // librdkafka's AdminClient sends CreateTopics to the controller it learns from Metadata.
    const script = [
      'import sys',
      'from confluent_kafka.admin import AdminClient, NewTopic',
      "a = AdminClient({'bootstrap.servers': sys.argv[1]})",
      "fs = a.create_topics([NewTopic('after-failover', num_partitions=4, replication_factor=1)], request_timeout=15)",
      "fs['after-failover'].result(timeout=20)",
      "print('created')"
    ].join('\n')
    const { stdout } = await runOk(PYTHON, ['-c', script, `127.0.0.1:${survivor.port}`], {
      timeoutMs: 40_000
    })
    assert.match(stdout.toString(), /created/)
    const md = await metadataOf(`127.0.0.1:${survivor.port}`, 'after-failover')
    const leaders = md.topics.find((t) => t.topic === 'after-failover')!.partitions.map((p) => p.leader)
    assert.equal(leaders.length, 4)
    for (const leader of leaders) assert.ok(leader !== victim.nodeId && leader > 0, `leader ${leader}`)
    // The dead broker's RF=1 partitions have no other replica: they are offline, not moved.
    const spread = (await metadataOf(`127.0.0.1:${survivor.port}`, 'spread')).topics[0]!.partitions
    assert.equal(spread.filter((p) => p.leader === -1).length, 2)
  })

  it('cluster stop ends every broker and etcd', { skip: skip ?? false }, async () => {
    const stopped = await runCli(['cluster', 'stop', '--dir', dir], 60_000)
    assert.equal(stopped.code, 0, stopped.stderr)
    for (const p of [state!.etcd, ...state!.brokers])
      assert.equal(isAlive(p.pid), false, `pid ${p.pid} still runs`)
    assert.equal(await exists(join(dir, 'cluster.json')), false)
  })
})
