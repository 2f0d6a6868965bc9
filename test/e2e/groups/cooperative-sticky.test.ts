/**
 * librdkafka's cooperative-sticky assignor over the classic protocol: the broker only relays the members'
 * metadata (with owned partitions) and the leader's assignment, and must support the two-round incremental
 * rebalance. When a second member joins, the first keeps a subset of its partitions without ever having
 * them revoked, gives up only the ones that move, and every partition ends with exactly one owner.
 */

import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { BrokerProcess } from '../../helpers/broker-process.js'
import { GroupConsumerProcess } from '../../helpers/group-consumer-process.js'
import { createTopic, eventually, GROUP_BROKER_OVERRIDES } from '../../helpers/group-test-kit.js'

const TOPIC = 'coop'
const PARTITIONS = 6
const ALL = Array.from({ length: PARTITIONS }, (_, p) => `${TOPIC}-${p}`)

const memberConfig = {
  'partition.assignment.strategy': 'cooperative-sticky',
  'session.timeout.ms': 6000,
  'heartbeat.interval.ms': 300
}

const partitionsOf = (events: GroupConsumerProcess['events'], ev: string) =>
  events.filter((e) => e.ev === ev).flatMap((e) => (e.partitions ?? []).map(([t, p]) => `${t}-${p}`))

describe('cooperative-sticky rebalancing (librdkafka)', () => {
  let broker: BrokerProcess
  const members: GroupConsumerProcess[] = []
  before(async () => {
    broker = await BrokerProcess.start({ overrides: GROUP_BROKER_OVERRIDES })
  })
  after(async () => {
    await Promise.all(members.map((m) => m.kill()))
    await broker?.stop()
  })

  it('moves only the partitions the new member gets; the first member keeps the rest throughout', async () => {
    await createTopic(broker.bootstrap, TOPIC, PARTITIONS)
    const spec = { bootstrap: broker.bootstrap, groupId: 'coop-group', topics: [TOPIC], config: memberConfig }
    const a = GroupConsumerProcess.start('a', spec)
    members.push(a)
    await eventually(
      'a owning every partition',
      () => a.assertRunning().owned().size === PARTITIONS || undefined,
      20_000
    )
    const aEventsBefore = a.events.length

    const b = GroupConsumerProcess.start('b', spec)
    members.push(b)
    await eventually(
      'a and b splitting the partitions',
      () => {
        a.assertRunning()
        b.assertRunning()
        const owned = [...a.owned(), ...b.owned()]
        return (
          (b.owned().size > 0 && owned.length === PARTITIONS && new Set(owned).size === PARTITIONS) ||
          undefined
        )
      },
      20_000
    )
    // Let any further (wrong) rebalance show up before judging the callbacks.
    await new Promise((r) => setTimeout(r, 1500))

    const aAfter = a.events.slice(aEventsBefore)
    const revoked = partitionsOf(aAfter, 'revoke')
    const kept = ALL.filter((p) => !revoked.includes(p))
    assert.deepEqual(partitionsOf(aAfter, 'lost'), [], 'nothing lost')
    assert.deepEqual(partitionsOf(aAfter, 'assign'), [], 'a is given nothing new')
    assert.ok(kept.length > 0 && revoked.length > 0, `a kept ${kept} and gave up ${revoked}`)
    assert.equal(new Set(revoked).size, revoked.length, 'each partition revoked once')
    assert.deepEqual([...a.owned()].sort(), kept.sort())
    assert.deepEqual([...b.owned()].sort(), [...revoked].sort(), 'b owns exactly what a gave up')
    // The sticky assignor balances 6 partitions over 2 members.
    assert.equal(a.owned().size, PARTITIONS / 2)
    assert.deepEqual(partitionsOf(b.events, 'revoke'), [])
  })
})
