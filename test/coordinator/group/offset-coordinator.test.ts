import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { decodeCoordinatorKey } from '../../../src/coordinator/group/coordinator-records.js'
import { InMemoryGroupStore } from '../../../src/coordinator/group/group-store.js'
import { ErrorCode, KafkaError } from '../../../src/protocol/error-codes.js'
import type { OffsetCommitRequest } from '../../../src/protocol/messages/offset-commit.js'
import { ctx, joinRequest, PARTITIONS, startedCoordinator } from './group-test-kit.js'
import { ManualTime } from './manual-time.js'

function commitRequest(
  groupId: string,
  offsets: Record<string, bigint>,
  extra: Partial<OffsetCommitRequest> = {}
): OffsetCommitRequest {
  const topics = new Map<
    string,
    { partitionIndex: number; committedOffset: bigint; committedMetadata: string | null }[]
  >()
  for (const [tp, offset] of Object.entries(offsets)) {
    const [topic, p] = tp.split(':') as [string, string]
    const list = topics.get(topic) ?? []
    list.push({ partitionIndex: Number(p), committedOffset: offset, committedMetadata: `md-${offset}` })
    topics.set(topic, list)
  }
  return {
    groupId,
    generationIdOrMemberEpoch: -1,
    memberId: '',
    groupInstanceId: null,
    topics: [...topics].map(([name, partitions]) => ({ name, partitions })),
    ...extra
  }
}

function codes(res: { topics: { partitions: { errorCode: number }[] }[] }): number[] {
  return res.topics.flatMap((t) => t.partitions.map((p) => p.errorCode))
}

describe('OffsetCoordinator', () => {
  it('commits and fetches offsets of a simple group, including "all topics" (null)', async () => {
    const kit = await startedCoordinator()
    const res = await kit.coordinator.offsets.commitOffsets(
      commitRequest('simple', { 't:0': 5n, 't:1': 7n, 'u:0': 1n }),
      8
    )
    assert.deepEqual(codes(res), [0, 0, 0])
    const fetched = kit.coordinator.offsets.fetchOffsets('simple', [
      { name: 't', partitionIndexes: [0, 1, 2] }
    ])
    assert.deepEqual(
      fetched.topics[0]?.partitions.map((p) => [p.partitionIndex, p.committedOffset, p.metadata]),
      [
        [0, 5n, 'md-5'],
        [1, 7n, 'md-7'],
        [2, -1n, '']
      ]
    )
    const all = kit.coordinator.offsets.fetchOffsets('simple', null)
    assert.deepEqual(all.topics.map((t) => t.name).sort(), ['t', 'u'])
    assert.equal(kit.coordinator.manager.group('simple')?.state, 'Empty')
  })

  it('rejects non-member and stale commits as Kafka does', async () => {
    const kit = await startedCoordinator()
    assert.deepEqual(
      codes(
        await kit.coordinator.offsets.commitOffsets(
          commitRequest('nogroup', { 't:0': 1n }, { generationIdOrMemberEpoch: 3, memberId: 'm' }),
          8
        )
      ),
      [ErrorCode.ILLEGAL_GENERATION]
    )
    const j = kit.coordinator.classic.joinGroup(joinRequest('g', ''), ctx(3))
    kit.time.advance(0)
    const member = await j
    assert.deepEqual(
      codes(await kit.coordinator.offsets.commitOffsets(commitRequest('g', { 't:0': 1n }), 8)),
      [ErrorCode.UNKNOWN_MEMBER_ID],
      'a simple commit into an actively managed group'
    )
    assert.deepEqual(
      codes(
        await kit.coordinator.offsets.commitOffsets(
          commitRequest('g', { 't:0': 1n }, { generationIdOrMemberEpoch: 1, memberId: 'other' }),
          8
        )
      ),
      [ErrorCode.UNKNOWN_MEMBER_ID]
    )
    assert.deepEqual(
      codes(
        await kit.coordinator.offsets.commitOffsets(
          commitRequest('g', { 't:0': 1n }, { generationIdOrMemberEpoch: 1, memberId: member.memberId }),
          8
        )
      ),
      [ErrorCode.REBALANCE_IN_PROGRESS],
      'CompletingRebalance: joined but not yet assigned'
    )
    assert.deepEqual(
      codes(await kit.coordinator.offsets.commitOffsets(commitRequest('', { 't:0': 1n }), 2)),
      [ErrorCode.NONE],
      'the empty group id is accepted by the offset APIs'
    )
  })

  it('reports OFFSET_METADATA_TOO_LARGE and UNKNOWN_TOPIC_OR_PARTITION per partition', async () => {
    const store = new InMemoryGroupStore()
    const { GroupCoordinatorService } = await import(
      '../../../src/coordinator/group/group-coordinator-service.js'
    )
    const c = new GroupCoordinatorService(store, {
      time: new ManualTime(),
      config: { offsetsTopicPartitions: 1, maxMetadataSize: 4 },
      isValidTopicPartition: (t) => t !== 'missing'
    })
    c.startup()
    await c.onElection(0)
    const req = commitRequest('g', { 't:0': 1n, 'missing:0': 2n })
    const first = req.topics[0]?.partitions[0]
    if (first) first.committedMetadata = 'abcde'
    const res = await c.offsets.commitOffsets(req, 8)
    assert.deepEqual(codes(res), [ErrorCode.OFFSET_METADATA_TOO_LARGE, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION])
    assert.equal(store.records(0).length, 0)
  })

  it('maps store failures to coordinator errors and keeps failed offsets invisible', async () => {
    const store = new InMemoryGroupStore()
    const failing = {
      append: async () => {
        throw new KafkaError(ErrorCode.NOT_LEADER_OR_FOLLOWER)
      },
      load: store.load.bind(store)
    }
    const { GroupCoordinatorService } = await import(
      '../../../src/coordinator/group/group-coordinator-service.js'
    )
    const c = new GroupCoordinatorService(failing, {
      time: new ManualTime(),
      config: { offsetsTopicPartitions: 1 }
    })
    c.startup()
    await c.onElection(0)
    assert.deepEqual(codes(await c.offsets.commitOffsets(commitRequest('g', { 't:0': 1n }), 8)), [
      ErrorCode.NOT_COORDINATOR
    ])
    assert.equal(
      c.offsets.fetchOffsets('g', [{ name: 't', partitionIndexes: [0] }]).topics[0]?.partitions[0]
        ?.committedOffset,
      -1n
    )
  })

  it('rebuilds groups and offsets from the GroupStore, tombstones included', async () => {
    const store = new InMemoryGroupStore()
    const kit = await startedCoordinator({}, store)
    await kit.coordinator.offsets.commitOffsets(commitRequest('keep', { 't:0': 10n, 't:1': 11n }), 8)
    await kit.coordinator.offsets.commitOffsets(commitRequest('keep', { 't:0': 12n }), 8)
    await kit.coordinator.offsets.commitOffsets(commitRequest('gone', { 't:0': 1n }), 8)
    const del = await kit.coordinator.offsets.deleteOffsets('keep', [
      { name: 't', partitions: [{ partitionIndex: 1 }] }
    ])
    assert.equal(del.errorCode, ErrorCode.NONE)
    assert.deepEqual(
      (await kit.coordinator.admin.deleteGroups(['gone'])).map((r) => r.errorCode),
      [ErrorCode.NONE]
    )
    // A consumer group with a member: its metadata record must survive the reload as a Stable group.
    const j = kit.coordinator.classic.joinGroup(joinRequest('live', ''), ctx(3))
    kit.time.advance(0)
    const m = await j
    await kit.coordinator.classic.syncGroup({
      groupId: 'live',
      generationId: 1,
      memberId: m.memberId,
      assignments: [{ memberId: m.memberId, assignment: Buffer.from('A') }]
    })
    kit.coordinator.shutdown()

    const reloaded = await startedCoordinator({}, store)
    const c = reloaded.coordinator
    const keep = c.offsets.fetchOffsets('keep', null)
    assert.deepEqual(
      keep.topics.flatMap((t) => t.partitions.map((p) => [t.name, p.partitionIndex, p.committedOffset])),
      [['t', 0, 12n]]
    )
    assert.equal(c.manager.group('gone'), undefined)
    const live = c.manager.group('live')
    assert.equal(live?.state, 'Stable')
    assert.equal(live?.generationId, 1)
    assert.equal(live?.leaderId, m.memberId)
    const sync = await c.classic.syncGroup({
      groupId: 'live',
      generationId: 1,
      memberId: m.memberId,
      assignments: []
    })
    assert.equal(sync.assignment.toString(), 'A')
    // The reloaded member has a fresh session: silence for the session timeout removes it.
    reloaded.time.advance(10_000)
    assert.equal(c.manager.group('live')?.state, 'Empty')
  })

  it('expires offsets of an Empty group after offsets.retention.minutes, then the group itself', async () => {
    const kit = await startedCoordinator({
      offsetsRetentionMs: 60_000,
      offsetsRetentionCheckIntervalMs: 10_000
    })
    await kit.coordinator.offsets.commitOffsets(commitRequest('g', { 't:0': 1n }), 8)
    kit.time.advance(30_000)
    await kit.coordinator.offsets.commitOffsets(commitRequest('g', { 't:1': 2n }), 8)
    kit.time.advance(30_000)
    assert.equal(await kit.coordinator.cleanupExpiredOffsets(), 1)
    assert.deepEqual(
      kit.coordinator.offsets
        .fetchOffsets('g', null)
        .topics.flatMap((t) => t.partitions.map((p) => p.partitionIndex)),
      [1]
    )
    kit.time.advance(30_000)
    assert.equal(await kit.coordinator.cleanupExpiredOffsets(), 1)
    assert.equal(kit.coordinator.manager.group('g'), undefined, 'an Empty group without offsets dies')
  })

  it('honours the explicit retention of OffsetCommit v2-v4', async () => {
    const kit = await startedCoordinator()
    await kit.coordinator.offsets.commitOffsets(
      commitRequest('g', { 't:0': 1n }, { retentionTimeMs: 5000n }),
      2
    )
    kit.time.advance(5000)
    assert.equal(await kit.coordinator.cleanupExpiredOffsets(), 1)
  })

  it('OffsetDelete: GROUP_ID_NOT_FOUND, NON_EMPTY_GROUP and GROUP_SUBSCRIBED_TO_TOPIC', async () => {
    const kit = await startedCoordinator()
    assert.equal(
      (await kit.coordinator.offsets.deleteOffsets('none', [])).errorCode,
      ErrorCode.GROUP_ID_NOT_FOUND
    )
    // ConsumerProtocolSubscription v0 for topic "t": version, [topics], null user data.
    const sub = Buffer.from([0, 0, 0, 0, 0, 1, 0, 1, 0x74, 0xff, 0xff, 0xff, 0xff])
    const j = kit.coordinator.classic.joinGroup(
      joinRequest('c', '', { protocols: [{ name: 'range', metadata: sub }] }),
      ctx(3)
    )
    kit.time.advance(0)
    const m = await j
    await kit.coordinator.offsets.commitOffsets(
      commitRequest('c', { 't:0': 1n, 'old:0': 1n }, { generationIdOrMemberEpoch: -1 }),
      8
    )
    await kit.coordinator.classic.syncGroup({
      groupId: 'c',
      generationId: 1,
      memberId: m.memberId,
      assignments: []
    })
    const res = await kit.coordinator.offsets.deleteOffsets('c', [
      { name: 't', partitions: [{ partitionIndex: 0 }] },
      { name: 'old', partitions: [{ partitionIndex: 0 }] }
    ])
    assert.equal(res.errorCode, ErrorCode.NONE)
    assert.deepEqual(codes(res), [ErrorCode.GROUP_SUBSCRIBED_TO_TOPIC, ErrorCode.NONE])

    const other = kit.coordinator.classic.joinGroup(joinRequest('x', '', { protocolType: 'connect' }), ctx(3))
    kit.time.advance(0)
    await other
    assert.equal((await kit.coordinator.offsets.deleteOffsets('x', [])).errorCode, ErrorCode.NON_EMPTY_GROUP)
  })

  it('writes Kafka-format keys to the partition that owns the group', async () => {
    const store = new InMemoryGroupStore()
    const kit = await startedCoordinator({}, store)
    await kit.coordinator.offsets.commitOffsets(commitRequest('a', { 't:3': 1n }), 8)
    const p = kit.coordinator.manager.partitionFor('a')
    assert.equal(p, 97 % PARTITIONS)
    const key = decodeCoordinatorKey(store.records(p)[0]?.key ?? Buffer.alloc(0))
    assert.deepEqual(key, { type: 'offset', group: 'a', topic: 't', partition: 3 })
  })
})

describe('GroupAdmin', () => {
  it('lists groups with state and type filters and describes them', async () => {
    const kit = await startedCoordinator()
    await kit.coordinator.offsets.commitOffsets(commitRequest('simple', { 't:0': 1n }), 8)
    const j = kit.coordinator.classic.joinGroup(joinRequest('live', ''), ctx(3))
    kit.time.advance(0)
    const m = await j
    const all = kit.coordinator.admin.listGroups()
    assert.deepEqual(all.groups.map((g) => [g.groupId, g.groupState, g.protocolType]).sort(), [
      ['live', 'CompletingRebalance', 'consumer'],
      ['simple', 'Empty', '']
    ])
    assert.deepEqual(
      kit.coordinator.admin.listGroups(['empty']).groups.map((g) => g.groupId),
      ['simple']
    )
    assert.deepEqual(kit.coordinator.admin.listGroups([], ['consumer']).groups, [])
    assert.equal(kit.coordinator.admin.listGroups([], ['Classic']).groups.length, 2)

    await kit.coordinator.classic.syncGroup({
      groupId: 'live',
      generationId: 1,
      memberId: m.memberId,
      assignments: [{ memberId: m.memberId, assignment: Buffer.from('A') }]
    })
    const [live, unknown] = kit.coordinator.admin.describeGroups(['live', 'unknown'])
    assert.equal(live?.groupState, 'Stable')
    assert.equal(live?.protocolData, 'range')
    assert.equal(live?.members[0]?.memberAssignment.toString(), 'A')
    assert.equal(live?.members[0]?.clientHost, '/127.0.0.1')
    assert.equal(unknown?.groupState, 'Dead')
    assert.equal(unknown?.errorCode, ErrorCode.NONE)
  })
})
