/**
 * Rebalance timings of the classic group protocol against a real broker, with librdkafka members
 * (python3-confluent-kafka) in their own processes:
 *   join:     from a new member's subscribe() until every member has its new assignment;
 *   failover: from SIGKILL of a member until the survivors own its partitions, minus the session timeout.
 * Measured, not asserted. Run: npx tsc -p tsconfig.json && node dist/bench/rebalance-times.js [rounds]
 * Environment: HEARTBEAT_MS (default 500), SESSION_MS (default 6000), STRATEGY (default range).
 */

import { BrokerProcess } from '../test/helpers/broker-process.js'
import { GroupConsumerProcess } from '../test/helpers/group-consumer-process.js'
import { createTopic, eventually, GROUP_BROKER_OVERRIDES } from '../test/helpers/group-test-kit.js'

const PARTITIONS = 6
const rounds = Number(process.argv[2] ?? 3)
const heartbeatMs = Number(process.env.HEARTBEAT_MS ?? 500)
const sessionMs = Number(process.env.SESSION_MS ?? 6000)
const strategy = process.env.STRATEGY ?? 'range'

function settled(members: readonly GroupConsumerProcess[]): boolean {
  for (const m of members) m.assertRunning()
  const owned = members.flatMap((m) => [...m.owned()])
  return (
    members.every((m) => m.owned().size > 0) &&
    owned.length === PARTITIONS &&
    new Set(owned).size === PARTITIONS
  )
}

/** The latest assignment callback among the members, at or after `since`. */
const lastAssign = (members: readonly GroupConsumerProcess[], since: number) =>
  Math.max(
    ...members.flatMap((m) => m.events.filter((e) => e.ev === 'assign' && e.t >= since).map((e) => e.t))
  )

async function join(members: GroupConsumerProcess[], spec: Parameters<typeof GroupConsumerProcess.start>[1]) {
  const m = GroupConsumerProcess.start(`m${members.length + 1}`, spec)
  members.push(m)
  const started = (await m.waitFor((e) => e.ev === 'started', 10_000)).t
  await eventually(`${members.length} members settled`, () => settled(members) || undefined, 30_000, 20)
  // Let a trailing callback (cooperative second round) land before reading the times.
  await new Promise((r) => setTimeout(r, 300))
  return lastAssign(members, started) - started
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN

async function main(): Promise<void> {
  const broker = await BrokerProcess.start({ overrides: GROUP_BROKER_OVERRIDES })
  const joins: number[][] = [[], [], []]
  const failovers: number[] = []
  try {
    await createTopic(broker.bootstrap, 'bench', PARTITIONS)
    for (let round = 0; round < rounds; round++) {
      const spec = {
        bootstrap: broker.bootstrap,
        groupId: `bench-${round}`,
        topics: ['bench'],
        config: {
          'session.timeout.ms': sessionMs,
          'heartbeat.interval.ms': heartbeatMs,
          'partition.assignment.strategy': strategy
        }
      }
      const members: GroupConsumerProcess[] = []
      try {
        for (let n = 0; n < 3; n++) joins[n]?.push(await join(members, spec))
        const victim = members.pop() as GroupConsumerProcess
        const killedAt = Date.now()
        await victim.kill()
        await eventually('survivors settled', () => settled(members) || undefined, sessionMs + 30_000, 20)
        await new Promise((r) => setTimeout(r, 300))
        failovers.push(lastAssign(members, killedAt) - killedAt - sessionMs)
      } finally {
        await Promise.all(members.map((m) => m.close()))
      }
    }
  } finally {
    await broker.stop()
  }
  const fmt = (xs: number[]) =>
    `median ${median(xs).toFixed(0)} ms  [${xs.map((x) => x.toFixed(0)).join(', ')}]`
  console.log(
    `librdkafka 2.0.2 members, ${PARTITIONS} partitions, strategy=${strategy}, heartbeat.interval.ms=${heartbeatMs}, session.timeout.ms=${sessionMs}, group.initial.rebalance.delay.ms=0, ${rounds} rounds`
  )
  console.log(`join, 1st member (empty group)      : ${fmt(joins[0] ?? [])}`)
  console.log(`join, 2nd member (1 -> 2 members)   : ${fmt(joins[1] ?? [])}`)
  console.log(`join, 3rd member (2 -> 3 members)   : ${fmt(joins[2] ?? [])}`)
  console.log(`SIGKILL takeover minus session      : ${fmt(failovers)}`)
}

await main()
