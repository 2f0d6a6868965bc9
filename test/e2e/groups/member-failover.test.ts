/**
 * Three librdkafka members (separate processes) share a 6-partition topic while a producer keeps writing
 * numbered records. One member is SIGKILLed: after its session times out the survivors take over its
 * partitions, and every acknowledged record is consumed at least once (auto-commit: duplicates allowed).
 */

import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { BrokerProcess } from '../../helpers/broker-process.js'
import { GroupConsumerProcess } from '../../helpers/group-consumer-process.js'
import {
  createTopic,
  eventually,
  GROUP_BROKER_OVERRIDES,
  NumberedProducer
} from '../../helpers/group-test-kit.js'

const TOPIC = 'failover'
const PARTITIONS = 6
const SESSION_TIMEOUT_MS = 6000

const memberConfig = {
  'session.timeout.ms': SESSION_TIMEOUT_MS,
  'heartbeat.interval.ms': 500,
  'enable.auto.commit': true,
  'auto.commit.interval.ms': 500
}

/** True once the members' assignments are disjoint and together cover every partition. */
function coversAllOnce(members: readonly GroupConsumerProcess[]): boolean {
  for (const m of members) m.assertRunning()
  const owned = members.flatMap((m) => [...m.owned()])
  return owned.length === PARTITIONS && new Set(owned).size === PARTITIONS
}

describe('group member failover (librdkafka, eager range assignor)', () => {
  let broker: BrokerProcess
  const members: GroupConsumerProcess[] = []
  let producer: NumberedProducer | undefined

  before(async () => {
    broker = await BrokerProcess.start({ overrides: GROUP_BROKER_OVERRIDES })
  })
  after(async () => {
    await producer?.stop().catch(() => undefined)
    await Promise.all(members.map((m) => m.kill()))
    await broker?.stop()
  })

  it('moves a SIGKILLed member’s partitions to the survivors and loses no record', async () => {
    await createTopic(broker.bootstrap, TOPIC, PARTITIONS)
    producer = await NumberedProducer.start(broker.bootstrap, TOPIC, PARTITIONS)
    for (const name of ['a', 'b', 'c']) {
      members.push(
        GroupConsumerProcess.start(name, {
          bootstrap: broker.bootstrap,
          groupId: 'failover-group',
          topics: [TOPIC],
          config: memberConfig
        })
      )
    }
    const [a, b, c] = members as [GroupConsumerProcess, GroupConsumerProcess, GroupConsumerProcess]
    await eventually(
      'three members sharing six partitions',
      () =>
        (coversAllOnce(members) && a.owned().size === 2 && b.owned().size === 2 && c.owned().size === 2) ||
        undefined,
      30_000
    )
    // Let every member consume (and auto-commit) for a while before one dies.
    await eventually(
      'every member consuming',
      () => members.every((m) => m.values().length > 0) || undefined,
      15_000
    )
    const victimPartitions = [...c.owned()]
    await c.kill()

    await eventually(
      'the survivors owning all six partitions',
      () => coversAllOnce([a, b]) || undefined,
      SESSION_TIMEOUT_MS + 20_000
    )
    const survivors = new Set([...a.owned(), ...b.owned()])
    for (const p of victimPartitions) assert.ok(survivors.has(p), `${p} taken over`)

    // Keep producing briefly after the takeover, so the survivors also consume fresh records.
    await new Promise((r) => setTimeout(r, 1000))
    await producer.stop()
    const acked = producer.acked
    assert.ok(acked.length > 100, `produced ${acked.length}`)
    const missing = await eventually(
      'every acknowledged record consumed',
      () => {
        const seen = new Set(members.flatMap((m) => m.values()))
        const missing = acked.filter((v) => !seen.has(v))
        return missing.length === 0 ? missing : undefined
      },
      20_000
    ).catch(() => {
      const seen = new Set(members.flatMap((m) => m.values()))
      return acked.filter((v) => !seen.has(v))
    })
    assert.deepEqual(missing.slice(0, 20), [], `${missing.length} of ${acked.length} records never consumed`)
  })
})
