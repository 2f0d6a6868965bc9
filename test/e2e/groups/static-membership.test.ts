/**
 * KIP-345 static membership with librdkafka: a static member closes (static members send no LeaveGroup)
 * and a new process rejoins with the same group.instance.id within the session timeout. The coordinator
 * swaps the member id in place: no rebalance, so the other member's callbacks never fire again, the group
 * stays Stable throughout, and the generation is unchanged.
 */

import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { BrokerProcess } from '../../helpers/broker-process.js'
import { GroupConsumerProcess } from '../../helpers/group-consumer-process.js'
import { createTopic, eventually, GROUP_BROKER_OVERRIDES, withAdmin } from '../../helpers/group-test-kit.js'
import { probeGeneration } from '../../helpers/raw-group-member.js'

const TOPIC = 'static'
const PARTITIONS = 4
const GROUP = 'static-group'

const member = (bootstrap: string, name: string) => ({
  bootstrap,
  groupId: GROUP,
  topics: [TOPIC],
  config: {
    'group.instance.id': `instance-${name}`,
    'client.id': `member-${name}`,
    'session.timeout.ms': 10_000,
    'heartbeat.interval.ms': 500
  }
})

describe('static membership (librdkafka group.instance.id)', () => {
  let broker: BrokerProcess
  const members: GroupConsumerProcess[] = []
  before(async () => {
    broker = await BrokerProcess.start({ overrides: GROUP_BROKER_OVERRIDES })
  })
  after(async () => {
    await Promise.all(members.map((m) => m.kill()))
    await broker?.stop()
  })

  it('lets a static member restart without a rebalance', async () => {
    await createTopic(broker.bootstrap, TOPIC, PARTITIONS)
    const a = GroupConsumerProcess.start('a', member(broker.bootstrap, 'a'))
    const b = GroupConsumerProcess.start('b', member(broker.bootstrap, 'b'))
    members.push(a, b)
    await eventually(
      'a and b sharing the partitions',
      () => {
        a.assertRunning()
        b.assertRunning()
        return (a.owned().size === PARTITIONS / 2 && b.owned().size === PARTITIONS / 2) || undefined
      },
      30_000
    )
    const describe = () =>
      withAdmin(broker.bootstrap, async (admin) => (await admin.describeGroups([GROUP])).groups[0])
    const before = await describe()
    assert.equal(before?.state, 'Stable')
    assert.equal(before?.members.length, 2)
    const bMemberId = before?.members.find((m) => m.clientId === 'member-b')?.memberId
    assert.ok(bMemberId, 'b is described')
    const generation = await probeGeneration(broker.port, GROUP, bMemberId, 'instance-b')
    const bCallbacks = b.events.filter(
      (e) => e.ev === 'assign' || e.ev === 'revoke' || e.ev === 'lost'
    ).length
    const aOwned = [...a.owned()].sort()

    // Watch the group state while a restarts.
    const states: string[] = []
    let watching = true
    const watcher = withAdmin(broker.bootstrap, async (admin) => {
      while (watching) {
        states.push((await admin.describeGroups([GROUP])).groups[0]?.state ?? 'missing')
        await new Promise((r) => setTimeout(r, 100))
      }
    })
    try {
      await a.close()
      const a2 = GroupConsumerProcess.start('a2', member(broker.bootstrap, 'a'))
      members.push(a2)
      await eventually(
        'the restarted a getting its old partitions',
        () => a2.assertRunning().owned().size > 0 || undefined,
        20_000
      )
      assert.deepEqual([...a2.owned()].sort(), aOwned)
      // Give a wrongly triggered rebalance time to show up in b's callbacks.
      await new Promise((r) => setTimeout(r, 2500))
    } finally {
      watching = false
      await watcher
    }

    assert.equal(
      b.events.filter((e) => e.ev === 'assign' || e.ev === 'revoke' || e.ev === 'lost').length,
      bCallbacks,
      "b's rebalance callbacks are not invoked again"
    )
    assert.ok(states.length > 0)
    assert.deepEqual([...new Set(states)], ['Stable'], 'the group never leaves Stable')
    const afterRestart = await describe()
    assert.equal(afterRestart?.members.length, 2)
    assert.ok(afterRestart?.members.some((m) => m.memberId === bMemberId))
    assert.equal(await probeGeneration(broker.port, GROUP, bMemberId, 'instance-b'), generation)
  })
})
