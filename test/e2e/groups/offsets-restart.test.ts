/**
 * Committed offsets are durable: a librdkafka member commits, the broker is stopped (SIGTERM, and SIGKILL
 * with no shutdown at all) and restarted on the same log dir, then kafkajs admin.fetchOffsets and
 * librdkafka committed() return the commits, and a new member of the group resumes exactly from them.
 */

import assert from 'node:assert/strict'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, describe, it } from 'node:test'
import type { BrokerProcess } from '../../helpers/broker-process.js'
import { GroupConsumerProcess } from '../../helpers/group-consumer-process.js'
import {
  createTopic,
  GROUP_BROKER_OVERRIDES,
  kafkajsClient,
  withAdmin
} from '../../helpers/group-test-kit.js'
import { startBrokerOn } from '../../helpers/partition-client.js'

const PARTITIONS = 2
const FIRST = 20
const MORE = 10

async function produce(bootstrap: string, topic: string, from: number, count: number): Promise<void> {
  const producer = kafkajsClient(bootstrap).producer({ allowAutoTopicCreation: false })
  await producer.connect()
  try {
    const messages = Array.from({ length: count }, (_, i) => ({
      value: `v-${from + i}`,
      partition: (from + i) % PARTITIONS
    }))
    await producer.send({ topic, acks: -1, messages })
  } finally {
    await producer.disconnect()
  }
}

const sortOffsets = (offsets: [string, number, number][]) => [...offsets].sort((x, y) => x[1] - y[1])

describe('committed offsets across a broker restart', () => {
  const dirs: string[] = []
  const brokers: BrokerProcess[] = []
  const members: GroupConsumerProcess[] = []
  after(async () => {
    await Promise.all(members.map((m) => m.kill()))
    await Promise.all(brokers.map((b) => b.stop('SIGKILL')))
    await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })))
  })

  for (const signal of ['SIGTERM', 'SIGKILL'] as const) {
    it(`keeps commits through a ${signal} restart, and a new member resumes from them`, async () => {
      const logDir = await mkdtemp(join(tmpdir(), 'samsa-group-restart-'))
      dirs.push(logDir)
      const topic = `durable-${signal.toLowerCase()}`
      const groupId = `durable-group-${signal.toLowerCase()}`
      const spec = (bootstrap: string) => ({
        bootstrap,
        groupId,
        topics: [topic],
        config: { 'enable.auto.commit': false, 'session.timeout.ms': 6000, 'heartbeat.interval.ms': 500 }
      })

      let broker = await startBrokerOn(logDir, 0, GROUP_BROKER_OVERRIDES)
      brokers.push(broker)
      await createTopic(broker.bootstrap, topic, PARTITIONS)
      await produce(broker.bootstrap, topic, 0, FIRST)

      const first = GroupConsumerProcess.start('first', spec(broker.bootstrap))
      members.push(first)
      await first.waitFor(() => first.values().length >= FIRST, 30_000)
      const commit = await first.request({ cmd: 'commit' }, 'commit')
      const expected: [string, number, number][] = [
        [topic, 0, FIRST / PARTITIONS],
        [topic, 1, FIRST / PARTITIONS]
      ]
      assert.deepEqual(sortOffsets(commit.offsets ?? []), expected)
      await first.close()
      // Records after the commit: the only ones a member resuming from the commit may deliver.
      await produce(broker.bootstrap, topic, FIRST, MORE)

      await broker.stop(signal)
      broker = await startBrokerOn(logDir, 0, GROUP_BROKER_OVERRIDES)
      brokers.push(broker)

      const fetched = await withAdmin(broker.bootstrap, (admin) =>
        admin.fetchOffsets({ groupId, topics: [topic] })
      )
      assert.deepEqual(
        fetched
          .flatMap((t) =>
            t.partitions.map((p) => [t.topic, p.partition, Number(p.offset)] as [string, number, number])
          )
          .sort((x, y) => x[1] - y[1]),
        expected
      )

      const resumed = GroupConsumerProcess.start('resumed', spec(broker.bootstrap))
      members.push(resumed)
      const committed = await resumed.request(
        {
          cmd: 'committed',
          partitions: [
            [topic, 0],
            [topic, 1]
          ]
        },
        'committed'
      )
      assert.deepEqual(sortOffsets(committed.offsets ?? []), expected)

      await resumed.waitFor(() => resumed.values().length >= MORE, 30_000)
      const msgs = resumed.events.filter((e) => e.ev === 'msg')
      for (const p of [0, 1]) {
        assert.equal(
          msgs.find((m) => m.p === p)?.o,
          FIRST / PARTITIONS,
          `partition ${p} resumes at the commit`
        )
      }
      assert.deepEqual(
        resumed.values().sort(),
        Array.from({ length: MORE }, (_, i) => `v-${FIRST + i}`).sort()
      )
      await resumed.close()
    })
  }
})
