import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { InMemoryGroupStore } from '../../../src/coordinator/group/group-store.js'
import { ErrorCode } from '../../../src/protocol/error-codes.js'
import type { JoinGroupResponse } from '../../../src/protocol/messages/join-group.js'
import {
  ctx,
  isSettled,
  joinRequest,
  joinWithHandshake,
  type Kit,
  REBALANCE_MS,
  SESSION_MS,
  startedCoordinator
} from './group-test-kit.js'
import { ManualTime } from './manual-time.js'

interface Stable {
  members: string[]
  leader: string
  generation: number
}

/** Joins n dynamic members, completes the join phase and the leader's SyncGroup. */
async function stableGroup(kit: Kit, groupId: string, n: number): Promise<Stable> {
  const joins = []
  for (let i = 0; i < n; i++) joins.push(await joinWithHandshake(kit, groupId))
  kit.time.advance(0)
  const replies = await Promise.all(joins.map((j) => j.reply))
  return syncAll(kit, groupId, replies)
}

async function syncAll(kit: Kit, groupId: string, replies: JoinGroupResponse[]): Promise<Stable> {
  for (const r of replies) assert.equal(r.errorCode, ErrorCode.NONE)
  const leader = replies[0]?.leader ?? ''
  const leaderReply = replies.find((r) => r.memberId === leader)
  assert.ok(leaderReply, 'the leader is among the joined members')
  const syncs = replies.map((r) =>
    kit.coordinator.classic.syncGroup({
      groupId,
      generationId: r.generationId,
      memberId: r.memberId,
      assignments:
        r.memberId === leader
          ? leaderReply.members.map((m) => ({
              memberId: m.memberId,
              assignment: Buffer.from(`a:${m.memberId}`)
            }))
          : []
    })
  )
  const results = await Promise.all(syncs)
  results.forEach((s, i) => {
    assert.equal(s.errorCode, ErrorCode.NONE)
    assert.equal(s.assignment.toString(), `a:${replies[i]?.memberId}`)
  })
  return { members: replies.map((r) => r.memberId), leader, generation: replies[0]?.generationId ?? -1 }
}

function heartbeat(kit: Kit, groupId: string, memberId: string, generationId: number, instanceId?: string) {
  return kit.coordinator.classic.heartbeat({
    groupId,
    memberId,
    generationId,
    groupInstanceId: instanceId ?? null
  })
}

describe('GroupCoordinatorService membership', () => {
  it('hands out a member id with MEMBER_ID_REQUIRED at v4+, and lets older clients join directly', async () => {
    const kit = await startedCoordinator()
    const first = await kit.coordinator.classic.joinGroup(joinRequest('g'), ctx(4))
    assert.equal(first.errorCode, ErrorCode.MEMBER_ID_REQUIRED)
    assert.match(first.memberId, /^client-[0-9a-f-]{36}$/)
    assert.equal(kit.coordinator.manager.group('g')?.size, 0)

    const old = kit.coordinator.classic.joinGroup(joinRequest('g3'), ctx(3))
    kit.time.advance(0)
    const r = await old
    assert.equal(r.errorCode, ErrorCode.NONE)
    assert.equal(r.generationId, 1)
    assert.equal(r.leader, r.memberId)
  })

  it('rebalances three members: one generation, one leader that sees all, assignments delivered', async () => {
    const kit = await startedCoordinator()
    const s = await stableGroup(kit, 'g', 3)
    assert.equal(s.generation, 1)
    assert.equal(new Set(s.members).size, 3)
    assert.ok(s.members.includes(s.leader))
    const g = kit.coordinator.manager.group('g')
    assert.equal(g?.state, 'Stable')
    assert.equal(g?.protocolName, 'range')
    for (const m of s.members) assert.equal(heartbeat(kit, 'g', m, 1), ErrorCode.NONE)
  })

  it('delays the first rebalance of an empty group and extends it for each new arrival', async () => {
    const kit = await startedCoordinator({ initialRebalanceDelayMs: 3000 })
    const a = await joinWithHandshake(kit, 'g')
    kit.time.advance(2000)
    const b = await joinWithHandshake(kit, 'g')
    kit.time.advance(1000)
    assert.equal(await isSettled(a.reply), false, 'a new member extended the delay')
    kit.time.advance(2999)
    assert.equal(await isSettled(a.reply), false)
    kit.time.advance(1)
    const [ra, rb] = await Promise.all([a.reply, b.reply])
    assert.equal(ra.generationId, 1)
    assert.equal(rb.generationId, 1)
  })

  it("expires a silent member's session and rebalances the rest", async () => {
    const kit = await startedCoordinator()
    const s = await stableGroup(kit, 'g', 3)
    const [a, b, c] = s.members as [string, string, string]
    kit.time.advance(SESSION_MS - 1)
    assert.equal(heartbeat(kit, 'g', a, 1), ErrorCode.NONE)
    assert.equal(heartbeat(kit, 'g', b, 1), ErrorCode.NONE)
    kit.time.advance(1)
    const g = kit.coordinator.manager.group('g')
    assert.equal(g?.state, 'PreparingRebalance')
    assert.equal(g?.has(c), false)
    assert.equal(heartbeat(kit, 'g', c, 1), ErrorCode.UNKNOWN_MEMBER_ID)
    assert.equal(heartbeat(kit, 'g', a, 1), ErrorCode.REBALANCE_IN_PROGRESS)

    const ja = kit.coordinator.classic.joinGroup(joinRequest('g', a), ctx())
    const jb = kit.coordinator.classic.joinGroup(joinRequest('g', b), ctx())
    const next = await syncAll(kit, 'g', await Promise.all([ja, jb]))
    assert.equal(next.generation, 2)
    assert.equal(heartbeat(kit, 'g', a, 1), ErrorCode.ILLEGAL_GENERATION)
  })

  it('drops members that do not rejoin within the rebalance timeout', async () => {
    const kit = await startedCoordinator()
    const s = await stableGroup(kit, 'g', 2)
    const [a, b] = s.members as [string, string]
    // A follower with new metadata triggers the rebalance; the other member keeps heartbeating but never rejoins.
    const ja = kit.coordinator.classic.joinGroup(
      joinRequest('g', a, { protocols: [{ name: 'range', metadata: Buffer.from('new') }] }),
      ctx()
    )
    for (let t = 0; t < REBALANCE_MS; t += 5000) {
      kit.time.advance(5000)
      heartbeat(kit, 'g', b, 1)
    }
    const r = await ja
    assert.equal(r.errorCode, ErrorCode.NONE)
    assert.equal(r.generationId, 2)
    assert.deepEqual(
      r.members.map((m) => m.memberId),
      [a]
    )
    assert.equal(kit.coordinator.manager.group('g')?.has(b), false)
  })

  it('keeps the group Stable when a static member restarts with unchanged metadata (KIP-345)', async () => {
    const kit = await startedCoordinator()
    const ja = kit.coordinator.classic.joinGroup(joinRequest('g', '', { instanceId: 'i-a' }), ctx())
    const jb = kit.coordinator.classic.joinGroup(joinRequest('g', '', { instanceId: 'i-b' }), ctx())
    kit.time.advance(0)
    const s = await syncAll(kit, 'g', await Promise.all([ja, jb]))
    const follower = s.members.find((m) => m !== s.leader) as string
    const followerInstance = follower.startsWith('i-a') ? 'i-a' : 'i-b'

    const restarted = await kit.coordinator.classic.joinGroup(
      joinRequest('g', '', { instanceId: followerInstance }),
      ctx()
    )
    assert.equal(restarted.errorCode, ErrorCode.NONE)
    assert.notEqual(restarted.memberId, follower)
    assert.equal(restarted.generationId, s.generation, 'no new generation')
    assert.equal(kit.coordinator.manager.group('g')?.state, 'Stable')

    const sync = await kit.coordinator.classic.syncGroup({
      groupId: 'g',
      generationId: s.generation,
      memberId: restarted.memberId,
      groupInstanceId: followerInstance,
      assignments: []
    })
    assert.equal(sync.errorCode, ErrorCode.NONE)
    assert.equal(sync.assignment.toString(), `a:${follower}`, 'the old assignment is kept')
    assert.equal(heartbeat(kit, 'g', follower, s.generation, followerInstance), ErrorCode.FENCED_INSTANCE_ID)
    assert.equal(heartbeat(kit, 'g', restarted.memberId, s.generation, followerInstance), ErrorCode.NONE)
  })

  it('tells a restarted static leader at v9 to skip the assignment', async () => {
    const kit = await startedCoordinator()
    const ja = kit.coordinator.classic.joinGroup(joinRequest('g', '', { instanceId: 'i-a' }), ctx(9))
    kit.time.advance(0)
    const s = await syncAll(kit, 'g', [await ja])
    const r = await kit.coordinator.classic.joinGroup(joinRequest('g', '', { instanceId: 'i-a' }), ctx(9))
    assert.equal(r.errorCode, ErrorCode.NONE)
    assert.equal(r.skipAssignment, true)
    assert.equal(r.leader, r.memberId)
    assert.equal(r.generationId, s.generation)
  })

  it('rebalances when a static member restarts with a protocol that changes the selection', async () => {
    const kit = await startedCoordinator()
    const ja = kit.coordinator.classic.joinGroup(joinRequest('g', '', { instanceId: 'i-a' }), ctx())
    kit.time.advance(0)
    await syncAll(kit, 'g', [await ja])
    const r = kit.coordinator.classic.joinGroup(
      joinRequest('g', '', {
        instanceId: 'i-a',
        protocols: [
          { name: 'range', metadata: Buffer.from('x') },
          { name: 'rr', metadata: Buffer.from('y') }
        ]
      }),
      ctx()
    )
    // Same selected protocol ('range' is still the first choice) → no rebalance.
    assert.equal((await r).generationId, 1)
    const r2 = kit.coordinator.classic.joinGroup(
      joinRequest('g', '', { instanceId: 'i-a', protocols: [{ name: 'rr', metadata: Buffer.from('y') }] }),
      ctx()
    )
    const res = await r2
    assert.equal(res.generationId, 2)
    assert.equal(res.protocolName, 'rr')
  })

  it('LeaveGroup v3+ removes a batch and reports unknown members individually', async () => {
    const kit = await startedCoordinator()
    const s = await stableGroup(kit, 'g', 3)
    const [a, b, c] = s.members as [string, string, string]
    const res = kit.coordinator.classic.leaveGroup('g', [
      { memberId: a, groupInstanceId: null },
      { memberId: b, groupInstanceId: null },
      { memberId: 'nobody', groupInstanceId: null }
    ])
    assert.equal(res.errorCode, ErrorCode.NONE)
    assert.deepEqual(
      res.members?.map((m) => m.errorCode),
      [0, 0, ErrorCode.UNKNOWN_MEMBER_ID]
    )
    assert.equal(kit.coordinator.manager.group('g')?.state, 'PreparingRebalance')
    const r = await kit.coordinator.classic.joinGroup(joinRequest('g', c), ctx())
    assert.equal(r.generationId, 2)
    assert.equal(r.leader, c)
    assert.equal(
      kit.coordinator.classic.leaveGroup('g', [{ memberId: c, groupInstanceId: null }]).members?.[0]
        ?.errorCode,
      0
    )
    assert.equal(kit.coordinator.manager.group('g')?.state, 'Empty')
    assert.equal(kit.coordinator.manager.group('g')?.generationId, 3)
  })

  it('keeps timers bounded: one heartbeat per member, none left after everyone leaves', async () => {
    const kit = await startedCoordinator()
    const s = await stableGroup(kit, 'g', 3)
    // 3 heartbeats + the periodic offset cleanup.
    assert.equal(kit.coordinator.pendingTimers, 4)
    for (let i = 0; i < 10; i++) heartbeat(kit, 'g', s.members[0] as string, 1)
    assert.equal(kit.coordinator.pendingTimers, 4)
    kit.coordinator.classic.leaveGroup(
      'g',
      s.members.map((memberId) => ({ memberId, groupInstanceId: null }))
    )
    assert.equal(kit.coordinator.pendingTimers, 1)
  })
})

describe('GroupCoordinatorService error codes', () => {
  it('INVALID_SESSION_TIMEOUT outside group.min/max.session.timeout.ms', async () => {
    const kit = await startedCoordinator()
    const low = await kit.coordinator.classic.joinGroup(
      joinRequest('g', '', { sessionTimeoutMs: 5999 }),
      ctx()
    )
    const high = await kit.coordinator.classic.joinGroup(
      joinRequest('g', '', { sessionTimeoutMs: 1_800_001 }),
      ctx()
    )
    assert.equal(low.errorCode, ErrorCode.INVALID_SESSION_TIMEOUT)
    assert.equal(high.errorCode, ErrorCode.INVALID_SESSION_TIMEOUT)
  })

  it('INVALID_GROUP_ID for an empty group id in the membership APIs', async () => {
    const kit = await startedCoordinator()
    assert.equal(
      (await kit.coordinator.classic.joinGroup(joinRequest(''), ctx())).errorCode,
      ErrorCode.INVALID_GROUP_ID
    )
    assert.equal(heartbeat(kit, '', 'm', 1), ErrorCode.INVALID_GROUP_ID)
  })

  it('COORDINATOR_NOT_AVAILABLE before startup, NOT_COORDINATOR for partitions not led here', async () => {
    const { GroupCoordinatorService } = await import(
      '../../../src/coordinator/group/group-coordinator-service.js'
    )
    const c = new GroupCoordinatorService(new InMemoryGroupStore(), {
      time: new ManualTime(),
      config: { offsetsTopicPartitions: 2 }
    })
    assert.equal(
      (await c.classic.joinGroup(joinRequest('g'), ctx())).errorCode,
      ErrorCode.COORDINATOR_NOT_AVAILABLE
    )
    c.startup()
    // 'a' hashes to 97 → partition 1.
    await c.onElection(0)
    assert.equal((await c.classic.joinGroup(joinRequest('a'), ctx())).errorCode, ErrorCode.NOT_COORDINATOR)
    await c.onElection(1)
    assert.equal((await c.classic.joinGroup(joinRequest('a'), ctx())).errorCode, ErrorCode.MEMBER_ID_REQUIRED)
    c.onResignation(1)
    assert.equal(
      c.classic.heartbeat({ groupId: 'a', generationId: 0, memberId: 'x' }),
      ErrorCode.NOT_COORDINATOR
    )
  })

  it('COORDINATOR_LOAD_IN_PROGRESS while the partition is being loaded', async () => {
    let release: () => void = () => undefined
    const gate = new Promise<void>((r) => {
      release = r
    })
    const store = new InMemoryGroupStore()
    const slow = {
      append: store.append.bind(store),
      async *load(p: number) {
        await gate
        yield* store.load(p)
      }
    }
    const { GroupCoordinatorService } = await import(
      '../../../src/coordinator/group/group-coordinator-service.js'
    )
    const c = new GroupCoordinatorService(slow, {
      time: new ManualTime(),
      config: { offsetsTopicPartitions: 1 }
    })
    c.startup()
    const loading = c.onElection(0)
    assert.equal(
      c.classic.heartbeat({ groupId: 'g', generationId: 0, memberId: 'x' }),
      ErrorCode.COORDINATOR_LOAD_IN_PROGRESS
    )
    assert.equal(c.admin.listGroups().errorCode, ErrorCode.COORDINATOR_LOAD_IN_PROGRESS)
    release()
    await loading
    assert.equal(
      c.classic.heartbeat({ groupId: 'g', generationId: 0, memberId: 'x' }),
      ErrorCode.UNKNOWN_MEMBER_ID
    )
  })

  it('INCONSISTENT_GROUP_PROTOCOL for another protocol type or no common protocol', async () => {
    const kit = await startedCoordinator()
    await stableGroup(kit, 'g', 1)
    const otherType = await kit.coordinator.classic.joinGroup(
      joinRequest('g', '', { protocolType: 'connect' }),
      ctx()
    )
    assert.equal(otherType.errorCode, ErrorCode.INCONSISTENT_GROUP_PROTOCOL)
    const noCommon = await kit.coordinator.classic.joinGroup(
      joinRequest('g', '', { protocols: [{ name: 'sticky', metadata: Buffer.alloc(0) }] }),
      ctx()
    )
    assert.equal(noCommon.errorCode, ErrorCode.INCONSISTENT_GROUP_PROTOCOL)
    const emptyType = await kit.coordinator.classic.joinGroup(
      joinRequest('fresh', '', { protocolType: '' }),
      ctx()
    )
    assert.equal(emptyType.errorCode, ErrorCode.INCONSISTENT_GROUP_PROTOCOL)
  })

  it('UNKNOWN_MEMBER_ID, ILLEGAL_GENERATION and REBALANCE_IN_PROGRESS in SyncGroup and Heartbeat', async () => {
    const kit = await startedCoordinator()
    const s = await stableGroup(kit, 'g', 2)
    const [a, b] = s.members as [string, string]
    assert.equal(heartbeat(kit, 'missing-group', a, 1), ErrorCode.UNKNOWN_MEMBER_ID)
    assert.equal(heartbeat(kit, 'g', 'stranger', 1), ErrorCode.UNKNOWN_MEMBER_ID)
    assert.equal(heartbeat(kit, 'g', a, 7), ErrorCode.ILLEGAL_GENERATION)
    const sync = (memberId: string, generationId: number) =>
      kit.coordinator.classic.syncGroup({ groupId: 'g', memberId, generationId, assignments: [] })
    assert.equal((await sync('stranger', 1)).errorCode, ErrorCode.UNKNOWN_MEMBER_ID)
    assert.equal((await sync(a, 2)).errorCode, ErrorCode.ILLEGAL_GENERATION)
    const rejoin = kit.coordinator.classic.joinGroup(joinRequest('g', s.leader), ctx())
    const other = s.leader === a ? b : a
    assert.equal((await sync(other, 1)).errorCode, ErrorCode.REBALANCE_IN_PROGRESS)
    assert.equal(heartbeat(kit, 'g', other, 1), ErrorCode.REBALANCE_IN_PROGRESS)
    const protocolMismatch = await kit.coordinator.classic.syncGroup({
      groupId: 'g',
      memberId: other,
      generationId: 1,
      protocolType: 'connect',
      assignments: []
    })
    assert.equal(protocolMismatch.errorCode, ErrorCode.INCONSISTENT_GROUP_PROTOCOL)
    void rejoin
  })

  it('REBALANCE_IN_PROGRESS to members parked in SyncGroup when a new member arrives', async () => {
    const kit = await startedCoordinator()
    const a = await joinWithHandshake(kit, 'g')
    const b = await joinWithHandshake(kit, 'g')
    kit.time.advance(0)
    const [ra, rb] = await Promise.all([a.reply, b.reply])
    const follower = ra.leader === ra.memberId ? rb : ra
    const parked = kit.coordinator.classic.syncGroup({
      groupId: 'g',
      memberId: follower.memberId,
      generationId: 1,
      assignments: []
    })
    assert.equal(await isSettled(parked), false)
    await joinWithHandshake(kit, 'g')
    assert.equal((await parked).errorCode, ErrorCode.REBALANCE_IN_PROGRESS)
  })

  it('GROUP_MAX_SIZE_REACHED beyond group.max.size', async () => {
    const kit = await startedCoordinator({ maxGroupSize: 2 })
    await stableGroup(kit, 'g', 2)
    const first = await kit.coordinator.classic.joinGroup(joinRequest('g'), ctx())
    const third = await kit.coordinator.classic.joinGroup(joinRequest('g', first.memberId), ctx())
    assert.equal(third.errorCode, ErrorCode.GROUP_MAX_SIZE_REACHED)
    assert.equal(kit.coordinator.manager.group('g')?.size, 2)
  })

  it('FENCED_INSTANCE_ID for a static member using a stale member id', async () => {
    const kit = await startedCoordinator()
    const j = kit.coordinator.classic.joinGroup(joinRequest('g', '', { instanceId: 'i' }), ctx())
    kit.time.advance(0)
    const first = await j
    const again = await kit.coordinator.classic.joinGroup(joinRequest('g', '', { instanceId: 'i' }), ctx())
    const stale = await kit.coordinator.classic.joinGroup(
      joinRequest('g', first.memberId, { instanceId: 'i' }),
      ctx()
    )
    assert.equal(stale.errorCode, ErrorCode.FENCED_INSTANCE_ID)
    assert.notEqual(again.memberId, first.memberId)
    const left = kit.coordinator.classic.leaveGroup('g', [{ memberId: first.memberId, groupInstanceId: 'i' }])
    assert.equal(left.members?.[0]?.errorCode, ErrorCode.FENCED_INSTANCE_ID)
  })

  it('GROUP_ID_NOT_FOUND and NON_EMPTY_GROUP from DeleteGroups; Empty groups are deleted', async () => {
    const kit = await startedCoordinator()
    const s = await stableGroup(kit, 'active', 1)
    await kit.coordinator.offsets.commitOffsets(
      {
        groupId: 'idle',
        generationIdOrMemberEpoch: -1,
        memberId: '',
        topics: [
          { name: 't', partitions: [{ partitionIndex: 0, committedOffset: 5n, committedMetadata: null }] }
        ]
      },
      8
    )
    const res = await kit.coordinator.admin.deleteGroups(['nope', 'active', 'idle'])
    assert.deepEqual(
      res.map((r) => r.errorCode),
      [ErrorCode.GROUP_ID_NOT_FOUND, ErrorCode.NON_EMPTY_GROUP, ErrorCode.NONE]
    )
    assert.equal(kit.coordinator.manager.group('idle'), undefined)
    assert.equal(kit.coordinator.offsets.fetchOffsets('idle', null).topics.length, 0)
    void s
  })
})

describe('GroupCoordinatorService with the cooperative protocol', () => {
  it('keeps the old generation valid until the join phase completes, then bumps it once per rebalance', async () => {
    const kit = await startedCoordinator()
    const s = await stableGroup(kit, 'g', 2)
    const [a, b] = s.members as [string, string]
    const leader = s.leader
    const follower = leader === a ? b : a
    const commit = (memberId: string, generation: number, offset: bigint) =>
      kit.coordinator.offsets.commitOffsets(
        {
          groupId: 'g',
          generationIdOrMemberEpoch: generation,
          memberId,
          topics: [
            {
              name: 't',
              partitions: [{ partitionIndex: 0, committedOffset: offset, committedMetadata: null }]
            }
          ]
        },
        8
      )
    // A third member arrives: the group rebalances while members keep consuming what they own.
    const c = await joinWithHandshake(kit, 'g')
    assert.equal(kit.coordinator.manager.group('g')?.state, 'PreparingRebalance')
    assert.equal(heartbeat(kit, 'g', follower, 1), ErrorCode.REBALANCE_IN_PROGRESS)
    // Generation 1 is still current until the join phase completes, so its commits are accepted.
    assert.equal((await commit(follower, 1, 10n)).topics[0]?.partitions[0]?.errorCode, ErrorCode.NONE)

    const ra = kit.coordinator.classic.joinGroup(joinRequest('g', leader), ctx())
    const rb = kit.coordinator.classic.joinGroup(joinRequest('g', follower), ctx())
    const round = await Promise.all([ra, rb, c.reply])
    assert.deepEqual(new Set(round.map((r) => r.generationId)), new Set([2]))
    // Between the JoinGroup reply and the assignment, commits are refused with REBALANCE_IN_PROGRESS.
    assert.equal(
      (await commit(follower, 2, 11n)).topics[0]?.partitions[0]?.errorCode,
      ErrorCode.REBALANCE_IN_PROGRESS
    )
    await syncAll(kit, 'g', round)
    assert.equal(
      (await commit(follower, 1, 12n)).topics[0]?.partitions[0]?.errorCode,
      ErrorCode.ILLEGAL_GENERATION
    )
    assert.equal((await commit(follower, 2, 13n)).topics[0]?.partitions[0]?.errorCode, ErrorCode.NONE)
    const fetched = kit.coordinator.offsets.fetchOffsets('g', [{ name: 't', partitionIndexes: [0] }])
    assert.equal(fetched.topics[0]?.partitions[0]?.committedOffset, 13n)
  })

  it('runs the two cooperative rebalances as two generations and fences commits from the older one', async () => {
    const kit = await startedCoordinator()
    const coop = (owned: string) => ({
      protocols: [{ name: 'cooperative-sticky', metadata: Buffer.from(`owned:${owned}`) }]
    })
    const a = await joinWithHandshake(kit, 'g', coop(''))
    const b = await joinWithHandshake(kit, 'g', coop(''))
    kit.time.advance(0)
    const gen1 = await syncAll(kit, 'g', await Promise.all([a.reply, b.reply]))
    assert.equal(gen1.generation, 1)

    // First cooperative rebalance: a newcomer; existing members rejoin announcing their owned partitions.
    const c = await joinWithHandshake(kit, 'g', coop(''))
    const rejoin1 = gen1.members.map((m, i) =>
      kit.coordinator.classic.joinGroup(joinRequest('g', m, coop(`${i}`)), ctx())
    )
    const round1 = await Promise.all([...rejoin1, c.reply])
    assert.deepEqual(new Set(round1.map((r) => r.generationId)), new Set([2]))
    const leaderReply = round1.find((r) => r.memberId === r.leader)
    assert.ok(leaderReply)
    assert.deepEqual(
      leaderReply.members.map((m) => m.metadata.toString()).sort(),
      ['owned:', 'owned:0', 'owned:1'],
      'the leader sees the owned partitions each member reported'
    )
    await syncAll(kit, 'g', round1)

    // The leader revoked partitions, so (as the cooperative assignor does) the revoking member rejoins again.
    const revoker = round1[0]?.memberId as string
    const second = kit.coordinator.classic.joinGroup(joinRequest('g', revoker, coop('0-revoked')), ctx())
    assert.equal(kit.coordinator.manager.group('g')?.state, 'PreparingRebalance')
    const others = round1
      .filter((r) => r.memberId !== revoker)
      .map((r) => kit.coordinator.classic.joinGroup(joinRequest('g', r.memberId, coop('kept')), ctx()))
    const round2 = await Promise.all([second, ...others])
    assert.deepEqual(new Set(round2.map((r) => r.generationId)), new Set([3]))
    await syncAll(kit, 'g', round2)

    const stale = await kit.coordinator.offsets.commitOffsets(
      {
        groupId: 'g',
        generationIdOrMemberEpoch: 2,
        memberId: revoker,
        topics: [
          { name: 't', partitions: [{ partitionIndex: 0, committedOffset: 1n, committedMetadata: null }] }
        ]
      },
      8
    )
    assert.equal(stale.topics[0]?.partitions[0]?.errorCode, ErrorCode.ILLEGAL_GENERATION)
  })
})
