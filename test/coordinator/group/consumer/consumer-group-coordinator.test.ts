import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import type { TopicLookup } from '../../../../src/coordinator/group/consumer/topic-lookup.js'
import { GroupCoordinatorService } from '../../../../src/coordinator/group/group-coordinator-service.js'
import { InMemoryGroupStore } from '../../../../src/coordinator/group/group-store.js'
import { ErrorCode } from '../../../../src/protocol/error-codes.js'
import type {
  ConsumerGroupHeartbeatRequest,
  ConsumerGroupHeartbeatResponse
} from '../../../../src/protocol/messages/consumer-group-heartbeat.js'
import { ManualTime } from '../manual-time.js'

const TOPIC_ID = 'AAAAAAAAAAAAAAAAAAAAAQ'
const PARTITIONS = 4

function topics(partitions = 6): TopicLookup {
  return {
    byName: (name) => (name === 'orders' ? { topicId: TOPIC_ID, numPartitions: partitions } : undefined),
    nameOf: (id) => (id === TOPIC_ID ? 'orders' : undefined),
    names: () => ['orders']
  }
}

async function started(
  opts: { store?: InMemoryGroupStore; time?: ManualTime; maxSize?: number; partitions?: number } = {}
) {
  const store = opts.store ?? new InMemoryGroupStore()
  const time = opts.time ?? new ManualTime()
  const c = new GroupCoordinatorService(store, {
    time,
    config: { offsetsTopicPartitions: PARTITIONS },
    consumerGroupConfig: { maxSize: opts.maxSize ?? 100 },
    topics: topics(opts.partitions)
  })
  c.startup()
  for (let p = 0; p < PARTITIONS; p++) await c.onElection(p)
  return { c, store, time }
}

type Owned = number[] | null

function hb(
  memberId: string,
  memberEpoch: number,
  owned: Owned,
  extra: Partial<ConsumerGroupHeartbeatRequest> = {}
): ConsumerGroupHeartbeatRequest {
  const joining = memberEpoch === 0
  return {
    groupId: 'g',
    memberId,
    memberEpoch,
    instanceId: null,
    rackId: null,
    rebalanceTimeoutMs: joining ? 30_000 : -1,
    subscribedTopicNames: joining ? ['orders'] : null,
    subscribedTopicRegex: null,
    serverAssignor: null,
    topicPartitions:
      owned === null ? null : owned.length === 0 ? [] : [{ topicId: TOPIC_ID, partitions: owned }],
    ...extra
  }
}

const ctx = { apiVersion: 1, clientId: 'c', clientHost: '/127.0.0.1' }

function partitions(r: ConsumerGroupHeartbeatResponse): number[] | null {
  if (r.assignment === null) return null
  return r.assignment.topicPartitions.flatMap((tp) => tp.partitions).sort((a, b) => a - b)
}

function ok(r: ConsumerGroupHeartbeatResponse | Omit<ConsumerGroupHeartbeatResponse, 'throttleTimeMs'>) {
  assert.equal(r.errorCode, ErrorCode.NONE, r.errorMessage ?? '')
  return r as ConsumerGroupHeartbeatResponse
}

describe('ConsumerGroupCoordinator', () => {
  it('reconciles incrementally: partitions move only after their owner revoked them', async () => {
    const { c } = await started()
    const a1 = ok(await c.consumerGroups.heartbeat(hb('a', 0, []), ctx))
    assert.equal(a1.memberEpoch, 1)
    assert.deepEqual(partitions(a1), [0, 1, 2, 3, 4, 5])
    assert.equal(a1.heartbeatIntervalMs, 5000)

    // b joins: group epoch 2; everything b is targeted for is still owned by a.
    const b1 = ok(await c.consumerGroups.heartbeat(hb('b', 0, []), ctx))
    assert.equal(b1.memberEpoch, 2)
    assert.deepEqual(partitions(b1), [])
    const target = c.consumerGroups.describe(['g'], 0)[0]
    assert.equal(target?.groupState, 'Reconciling')
    assert.equal(target?.groupEpoch, 2)
    assert.equal(target?.assignmentEpoch, 2)

    // a must revoke first: its epoch stays 1 and it is told to keep only its target.
    const a2 = ok(await c.consumerGroups.heartbeat(hb('a', 1, [0, 1, 2, 3, 4, 5]), ctx))
    assert.equal(a2.memberEpoch, 1)
    const kept = partitions(a2) ?? []
    assert.equal(kept.length, 3)
    const bTarget = [0, 1, 2, 3, 4, 5].filter((p) => !kept.includes(p))

    // Until a confirms, b gets nothing.
    const b2 = ok(await c.consumerGroups.heartbeat(hb('b', 2, []), ctx))
    assert.equal(b2.memberEpoch, 2)
    assert.equal(partitions(b2), null)

    // A heartbeat that still reports the revoked partitions changes nothing.
    const a3 = ok(await c.consumerGroups.heartbeat(hb('a', 1, [0, 1, 2, 3, 4, 5]), ctx))
    assert.equal(a3.memberEpoch, 1)

    const a4 = ok(await c.consumerGroups.heartbeat(hb('a', 1, kept), ctx))
    assert.equal(a4.memberEpoch, 2)

    const b3 = ok(await c.consumerGroups.heartbeat(hb('b', 2, []), ctx))
    assert.deepEqual(partitions(b3), bTarget)
    const d = c.consumerGroups.describe(['g'], 0)[0]
    assert.equal(d?.groupState, 'Stable')
    assert.equal(d?.members.length, 2)
    for (const m of d?.members ?? []) {
      assert.deepEqual(m.assignment, m.targetAssignment)
      assert.equal(m.assignment.topicPartitions[0]?.topicName, 'orders')
    }
  })

  it('returns Kafka error codes for invalid heartbeats', async () => {
    const { c } = await started({ maxSize: 1 })
    const err = async (req: ConsumerGroupHeartbeatRequest, apiVersion = 1) =>
      (await c.consumerGroups.heartbeat(req, { ...ctx, apiVersion })).errorCode
    assert.equal(await err(hb('x', 3, null)), ErrorCode.GROUP_ID_NOT_FOUND)
    assert.equal(await err(hb('', 0, [])), ErrorCode.INVALID_REQUEST)
    assert.equal(await err(hb('a', 0, [1])), ErrorCode.INVALID_REQUEST)
    assert.equal(await err(hb('a', 0, [], { rebalanceTimeoutMs: -1 })), ErrorCode.INVALID_REQUEST)
    assert.equal(await err(hb('a', 0, [], { groupId: '' })), ErrorCode.INVALID_REQUEST)
    assert.equal(await err(hb('a', -3, null)), ErrorCode.INVALID_REQUEST)
    assert.equal(await err(hb('a', 0, [], { serverAssignor: 'sticky' })), ErrorCode.UNSUPPORTED_ASSIGNOR)
    assert.equal(
      await err(hb('a', 0, [], { subscribedTopicRegex: '(' })),
      ErrorCode.INVALID_REGULAR_EXPRESSION
    )
    ok(await c.consumerGroups.heartbeat(hb('a', 0, []), ctx))
    assert.equal(await err(hb('b', 0, [])), ErrorCode.GROUP_MAX_SIZE_REACHED)
    assert.equal(await err(hb('zz', 1, null)), ErrorCode.UNKNOWN_MEMBER_ID)
    assert.equal(await err(hb('a', 7, null)), ErrorCode.FENCED_MEMBER_EPOCH)
    // v0: the coordinator chooses the member id.
    const { c: c0 } = await started()
    const r = ok(await c0.consumerGroups.heartbeat(hb('', 0, []), { ...ctx, apiVersion: 0 }))
    assert.ok((r.memberId ?? '').length > 0)
  })

  it('accepts the previous epoch when only the response was lost, and fences older ones', async () => {
    const { c } = await started()
    ok(await c.consumerGroups.heartbeat(hb('a', 0, []), ctx))
    ok(await c.consumerGroups.heartbeat(hb('b', 0, []), ctx))
    const a = ok(await c.consumerGroups.heartbeat(hb('a', 1, [0, 1, 2, 3, 4, 5]), ctx))
    const kept = partitions(a) ?? []
    ok(await c.consumerGroups.heartbeat(hb('a', 1, kept), ctx)) // now at epoch 2
    ok(await c.consumerGroups.heartbeat(hb('a', 1, kept), ctx)) // lost response: epoch 1 still fine
    const fenced = await c.consumerGroups.heartbeat(hb('a', 1, [0, 1, 2, 3, 4, 5]), ctx)
    assert.equal(fenced.errorCode, ErrorCode.FENCED_MEMBER_EPOCH)
  })

  it('moves partitions of a member whose session expires, and of one that leaves', async () => {
    const { c, time } = await started()
    ok(await c.consumerGroups.heartbeat(hb('a', 0, []), ctx))
    ok(await c.consumerGroups.heartbeat(hb('b', 0, []), ctx))
    const a = ok(await c.consumerGroups.heartbeat(hb('a', 1, [0, 1, 2, 3, 4, 5]), ctx))
    const kept = partitions(a) ?? []
    ok(await c.consumerGroups.heartbeat(hb('a', 1, kept), ctx))
    // a keeps heartbeating, b goes silent: after 45 s b is fenced and a is targeted for everything.
    let epoch = 2
    let owned = kept
    for (let i = 0; i < 8; i++) {
      time.advance(5000)
      const r = ok(await c.consumerGroups.heartbeat(hb('a', epoch, owned), ctx))
      epoch = r.memberEpoch
      owned = partitions(r) ?? owned
      assert.equal(epoch, i < 8 ? 2 : 3, `after ${(i + 1) * 5} s`)
    }
    time.advance(5000)
    const all = ok(await c.consumerGroups.heartbeat(hb('a', epoch, owned), ctx))
    const d = c.consumerGroups.describe(['g'], 0)[0]
    assert.deepEqual(
      d?.members.map((m) => m.memberId),
      ['a']
    )
    assert.equal(all.memberEpoch, 3)
    assert.deepEqual(partitions(all), [0, 1, 2, 3, 4, 5])
    const left = ok(await c.consumerGroups.heartbeat(hb('a', -1, null), ctx))
    assert.equal(left.memberEpoch, -1)
    assert.equal(c.consumerGroups.describe(['g'], 0)[0]?.groupState, 'Empty')
  })

  it('fences a member that does not revoke within its rebalance timeout', async () => {
    const { c, time } = await started()
    ok(await c.consumerGroups.heartbeat(hb('a', 0, [], { rebalanceTimeoutMs: 10_000 }), ctx))
    ok(await c.consumerGroups.heartbeat(hb('b', 0, []), ctx))
    ok(await c.consumerGroups.heartbeat(hb('a', 1, [0, 1, 2, 3, 4, 5]), ctx)) // asked to revoke
    for (let i = 0; i < 2; i++) {
      time.advance(4000)
      const r = ok(await c.consumerGroups.heartbeat(hb('b', 2, []), ctx))
      assert.equal(r.memberEpoch, 2)
    }
    time.advance(4000)
    const b = ok(await c.consumerGroups.heartbeat(hb('b', 2, []), ctx))
    assert.equal(b.memberEpoch, 3)
    assert.deepEqual(partitions(b), [0, 1, 2, 3, 4, 5])
  })

  it('lets a static member come back under a new member id and keep its partitions', async () => {
    const { c } = await started()
    const s = { instanceId: 'i-1' }
    ok(await c.consumerGroups.heartbeat(hb('a', 0, [], s), ctx))
    const busy = await c.consumerGroups.heartbeat(hb('a2', 0, [], s), ctx)
    assert.equal(busy.errorCode, ErrorCode.UNRELEASED_INSTANCE_ID)
    const leave = ok(await c.consumerGroups.heartbeat(hb('a', -2, null, s), ctx))
    assert.equal(leave.memberEpoch, -2)
    const back = ok(await c.consumerGroups.heartbeat(hb('a2', 0, [], s), ctx))
    assert.equal(back.memberEpoch, 1)
    assert.deepEqual(partitions(back), [0, 1, 2, 3, 4, 5])
    const d = c.consumerGroups.describe(['g'], 0)[0]
    assert.equal(d?.groupEpoch, 1)
    assert.deepEqual(
      d?.members.map((m) => m.memberId),
      ['a2']
    )
  })

  it('uses the range assignor when members ask for it', async () => {
    const { c } = await started()
    const r = { serverAssignor: 'range' }
    ok(await c.consumerGroups.heartbeat(hb('a', 0, [], r), ctx))
    ok(await c.consumerGroups.heartbeat(hb('b', 0, [], r), ctx))
    const d = c.consumerGroups.describe(['g'], 0)[0]
    assert.equal(d?.assignorName, 'range')
    const target = (id: string) =>
      d?.members.find((m) => m.memberId === id)?.targetAssignment.topicPartitions[0]?.partitions
    assert.deepEqual(target('a'), [0, 1, 2])
    assert.deepEqual(target('b'), [3, 4, 5])
  })

  it('validates member epochs on offset commit and fetch', async () => {
    const { c } = await started()
    ok(await c.consumerGroups.heartbeat(hb('a', 0, []), ctx))
    const commit = (memberId: string, epoch: number) =>
      c.offsets.commitOffsets(
        {
          groupId: 'g',
          generationIdOrMemberEpoch: epoch,
          memberId,
          groupInstanceId: null,
          retentionTimeMs: -1n,
          topics: [
            {
              name: 'orders',
              partitions: [
                { partitionIndex: 0, committedOffset: 42n, committedLeaderEpoch: -1, committedMetadata: '' }
              ]
            }
          ]
        },
        9
      )
    const code = async (memberId: string, epoch: number) =>
      (await commit(memberId, epoch)).topics[0]?.partitions[0]?.errorCode
    assert.equal(await code('a', 0), ErrorCode.STALE_MEMBER_EPOCH)
    assert.equal(await code('zz', 1), ErrorCode.UNKNOWN_MEMBER_ID)
    assert.equal(await code('', -1), ErrorCode.UNKNOWN_MEMBER_ID)
    assert.equal(await code('a', 1), ErrorCode.NONE)
    const fetched = c.offsets.fetchOffsets('g', [{ name: 'orders', partitionIndexes: [0] }], false, {
      memberId: 'a',
      memberEpoch: 1
    })
    assert.equal(fetched.topics[0]?.partitions[0]?.committedOffset, 42n)
    const stale = c.offsets.fetchOffsets('g', null, false, { memberId: 'a', memberEpoch: 0 })
    assert.equal(stale.errorCode, ErrorCode.STALE_MEMBER_EPOCH)
    // The group is listed once, as a consumer group, not also as the classic holder of its offsets.
    const listed = c.admin.listGroups().groups
    assert.deepEqual(
      listed.map((g) => [g.groupId, g.groupType, g.groupState]),
      [['g', 'consumer', 'Stable']]
    )
  })

  it('reloads groups, members and assignments from the store', async () => {
    const store = new InMemoryGroupStore()
    const first = await started({ store })
    ok(await first.c.consumerGroups.heartbeat(hb('a', 0, []), ctx))
    ok(await first.c.consumerGroups.heartbeat(hb('b', 0, []), ctx))
    const a = ok(await first.c.consumerGroups.heartbeat(hb('a', 1, [0, 1, 2, 3, 4, 5]), ctx))
    const before = first.c.consumerGroups.describe(['g'], 0)
    first.c.shutdown()

    const second = await started({ store })
    assert.deepEqual(second.c.consumerGroups.describe(['g'], 0), before)
    // The reloaded member still owes its revocation, and then continues at the next epoch.
    const a2 = ok(await second.c.consumerGroups.heartbeat(hb('a', 1, partitions(a)), ctx))
    assert.equal(a2.memberEpoch, 2)
    // A member that left is gone after a reload too.
    ok(await second.c.consumerGroups.heartbeat(hb('b', -1, null), ctx))
    ok(await second.c.consumerGroups.heartbeat(hb('a', -1, null), ctx))
    second.c.shutdown()
    const third = await started({ store })
    assert.equal(third.c.consumerGroups.describe(['g'], 0)[0]?.groupState, 'Empty')
    assert.deepEqual((await third.c.admin.deleteGroups(['g']))[0]?.errorCode, ErrorCode.NONE)
    third.c.shutdown()
    const fourth = await started({ store })
    assert.equal(fourth.c.consumerGroups.describe(['g'], 0)[0]?.errorCode, ErrorCode.GROUP_ID_NOT_FOUND)
  })
})
