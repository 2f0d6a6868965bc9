/**
 * KIP-848 end to end with a real librdkafka (node-rdkafka 3.6.1, librdkafka 2.12) speaking
 * group.protocol=consumer: three consumers share a 6-partition topic through ConsumerGroupHeartbeat, one
 * leaves, its partitions move to the others, and every produced record is consumed.
 *
 * node-rdkafka is built from source by scripts/install-kip848-client.sh (idempotent; minutes on first run)
 * outside the project's dependencies. If that script fails the test skips, naming the client, outside CI and
 * fails under CI=true (requirePeer).
 */

import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { setTimeout as sleep } from 'node:timers/promises'
import { fileURLToPath } from 'node:url'
import { Kafka, logLevel } from 'kafkajs'
import type { ConsumerGroupDescribeResponse } from '../../../src/protocol/messages/consumer-group-describe.js'
import { BrokerProcess } from '../../helpers/broker-process.js'
import { request } from '../../helpers/partition-client.js'
import { INSTALL, requirePeer } from '../../helpers/test-peers.js'

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '../../../..')
const CLIENT_DIR = join(ROOT, 'node_modules/.cache/kip848-client')
const TOPIC = 'kip848-orders'
const GROUP = 'kip848-group'
const PARTITIONS = 6

/** Minimal typing of the parts of node-rdkafka used here. */
interface RdMessage {
  partition: number
  offset: number
  value: Buffer | null
}
interface RdConsumer {
  connect(opts: object, cb: (err: Error | null) => void): void
  subscribe(topics: string[]): void
  consume(): void
  on(event: 'data', cb: (m: RdMessage) => void): void
  on(event: 'event.error', cb: (e: Error) => void): void
  assignments(): { topic: string; partition: number }[]
  disconnect(cb: (err: Error | null) => void): void
  isConnected(): boolean
}
type RdKafka = {
  KafkaConsumer: new (conf: Record<string, unknown>, topicConf: Record<string, unknown>) => RdConsumer
  librdkafkaVersion: string
}

function installClient(): { rdkafka: RdKafka } | { skip: string } {
  const r = spawnSync('bash', [join(ROOT, 'scripts/install-kip848-client.sh')], {
    encoding: 'utf8',
    timeout: 20 * 60_000,
    env: { ...process.env, KIP848_CLIENT_DIR: CLIENT_DIR }
  })
  const skip = requirePeer(
    'KIP-848 client (node-rdkafka 3.6.1, librdkafka >= 2.10)',
    r.status === 0,
    INSTALL.kip848Client,
    `scripts/install-kip848-client.sh failed (${r.status ?? r.signal}): ${(r.stderr ?? '').trim().slice(-400)}`
  )
  if (skip) return { skip }
  const require = createRequire(join(CLIENT_DIR, 'package.json'))
  return { rdkafka: require('node-rdkafka') as RdKafka }
}

const client = installClient()
const skip = 'skip' in client ? client.skip : false

async function waitFor(what: string, timeoutMs: number, check: () => boolean): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`)
    await sleep(100)
  }
}

describe('KIP-848 consumer protocol with librdkafka', { skip, timeout: 120_000 }, () => {
  let broker: BrokerProcess
  let kafka: Kafka
  const consumers: RdConsumer[] = []
  /** partition:offset → names of the consumers that received it */
  const received = new Map<string, string[]>()

  before(async () => {
    broker = await BrokerProcess.start({
      overrides: ['group.consumer.heartbeat.interval.ms=500', 'group.consumer.session.timeout.ms=10000']
    })
    kafka = new Kafka({ brokers: [broker.bootstrap], clientId: 'kip848-admin', logLevel: logLevel.NOTHING })
    const admin = kafka.admin()
    await admin.connect()
    await admin.createTopics({ topics: [{ topic: TOPIC, numPartitions: PARTITIONS }], waitForLeaders: true })
    await admin.disconnect()
  })

  after(async () => {
    for (const c of consumers) {
      if (c.isConnected()) await new Promise<void>((resolve) => c.disconnect(() => resolve()))
    }
    await broker?.stop()
  })

  async function produce(from: number, count: number): Promise<void> {
    const producer = kafka.producer()
    await producer.connect()
    const messages = Array.from({ length: count }, (_, i) => ({
      value: `m${from + i}`,
      partition: (from + i) % PARTITIONS
    }))
    await producer.send({ topic: TOPIC, messages })
    await producer.disconnect()
  }

  async function startConsumer(name: string): Promise<RdConsumer> {
    const { rdkafka } = client as { rdkafka: RdKafka }
    const c = new rdkafka.KafkaConsumer(
      {
        'group.id': GROUP,
        'group.protocol': 'consumer',
        'metadata.broker.list': broker.bootstrap,
        'client.id': name,
        'enable.auto.commit': true,
        'auto.commit.interval.ms': 200,
        'topic.metadata.refresh.interval.ms': 1000
      },
      { 'auto.offset.reset': 'earliest' }
    )
    c.on('data', (m) => {
      const key = `${m.partition}:${m.offset}`
      received.set(key, [...(received.get(key) ?? []), name])
    })
    c.on('event.error', () => undefined)
    await new Promise<void>((resolve, reject) => c.connect({}, (err) => (err ? reject(err) : resolve())))
    c.subscribe([TOPIC])
    c.consume()
    consumers.push(c)
    return c
  }

  /** The group as the broker describes it (ConsumerGroupDescribe v0): proof the new protocol is in use. */
  async function describeGroup() {
    const res = await request<ConsumerGroupDescribeResponse>(broker.port, 69, 0, {
      groupIds: [GROUP],
      includeAuthorizedOperations: false
    })
    const g = res.groups[0]
    assert.equal(g?.errorCode, 0)
    return g
  }

  const owned = (cs: RdConsumer[]) => cs.flatMap((c) => c.assignments().map((a) => a.partition))

  it('shares the partitions among three consumers, and moves a leaver’s partitions to the others', async () => {
    const [a, b, c] = [await startConsumer('a'), await startConsumer('b'), await startConsumer('c')]
    // Converged: every partition owned exactly once, two each.
    await waitFor('three consumers to own two partitions each', 60_000, () => {
      const all = owned([a, b, c])
      return (
        all.length === PARTITIONS &&
        new Set(all).size === PARTITIONS &&
        [a, b, c].every((x) => x.assignments().length === 2)
      )
    })
    const described = await describeGroup()
    assert.deepEqual(described?.members.map((m) => m.clientId).sort(), ['a', 'b', 'c'])
    assert.ok(['Stable', 'Reconciling'].includes(described?.groupState ?? ''))
    await produce(0, 300)
    await waitFor('300 records consumed', 30_000, () => received.size === 300)
    const byConsumer = new Set([...received.values()].flat())
    assert.deepEqual([...byConsumer].sort(), ['a', 'b', 'c'])

    const before = new Set(c.assignments().map((x) => x.partition))
    await new Promise<void>((resolve, reject) => c.disconnect((err) => (err ? reject(err) : resolve())))
    await waitFor('the two remaining consumers to own all six partitions', 30_000, () => {
      const all = owned([a, b])
      return all.length === PARTITIONS && new Set(all).size === PARTITIONS
    })
    assert.deepEqual((await describeGroup())?.members.map((m) => m.clientId).sort(), ['a', 'b'])
    await produce(300, 300)
    await waitFor('600 records consumed', 30_000, () => received.size === 600)
    // Nothing unconsumed, and what was produced after the leave to the leaver's partitions went to a or b.
    for (let i = 0; i < 600; i++) {
      const partition = i % PARTITIONS
      const offset = Math.floor(i / PARTITIONS)
      const by = received.get(`${partition}:${offset}`)
      assert.ok(by !== undefined, `record ${partition}:${offset} was never consumed`)
      if (i >= 300 && before.has(partition)) assert.ok(!by.every((n) => n === 'c'), `${partition}:${offset}`)
    }
  })
})
