import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { ErrorCode } from '../../../src/protocol/error-codes.js'
import { DescribeGroupsApi } from '../../../src/protocol/messages/describe-groups.js'
import { FindCoordinatorApi } from '../../../src/protocol/messages/find-coordinator.js'
import { JoinGroupApi } from '../../../src/protocol/messages/join-group.js'
import { LeaveGroupApi } from '../../../src/protocol/messages/leave-group.js'
import { ListGroupsApi } from '../../../src/protocol/messages/list-groups.js'
import { OffsetCommitApi } from '../../../src/protocol/messages/offset-commit.js'
import { OffsetFetchApi } from '../../../src/protocol/messages/offset-fetch.js'
import { createDescribeGroupsHandler } from '../../../src/server/handlers/describe-groups.js'
import { createFindCoordinatorHandler } from '../../../src/server/handlers/find-coordinator.js'
import { createJoinGroupHandler } from '../../../src/server/handlers/join-group.js'
import { createLeaveGroupHandler } from '../../../src/server/handlers/leave-group.js'
import { createListGroupsHandler } from '../../../src/server/handlers/list-groups.js'
import { createOffsetCommitHandler } from '../../../src/server/handlers/offset-commit.js'
import { createOffsetFetchHandler } from '../../../src/server/handlers/offset-fetch.js'
import { joinRequest, startedCoordinator } from '../../coordinator/group/group-test-kit.js'
import { onTheWire, requestContext } from './group-handler-kit.js'

describe('group handlers', () => {
  it('JoinGroup: every version from 0 to 9 encodes, MEMBER_ID_REQUIRED with a null protocol below v7', async () => {
    const { coordinator } = await startedCoordinator()
    const h = createJoinGroupHandler(coordinator.classic)
    for (const v of [4, 5, 6, 7, 9]) {
      const res = await h.handle(joinRequest('g'), requestContext(11, v))
      const wire = onTheWire(JoinGroupApi, res, v)
      assert.equal(wire.errorCode, ErrorCode.MEMBER_ID_REQUIRED)
      assert.match(wire.memberId, /^cli-/)
      assert.equal(wire.protocolName, v >= 7 ? null : '')
    }
    const v0 = await h.handle({ ...joinRequest('g'), sessionTimeoutMs: 1 }, requestContext(11, 0))
    assert.equal(onTheWire(JoinGroupApi, v0, 0).errorCode, ErrorCode.INVALID_SESSION_TIMEOUT)
  })

  it('LeaveGroup: the single member error is the response error below v3', async () => {
    const { coordinator } = await startedCoordinator()
    const h = createLeaveGroupHandler(coordinator.classic)
    const v1 = await h.handle({ groupId: 'g', memberId: 'x' }, requestContext(13, 1))
    assert.equal(onTheWire(LeaveGroupApi, v1, 1).errorCode, ErrorCode.UNKNOWN_MEMBER_ID)
    const v5 = await h.handle({ groupId: '', members: [] }, requestContext(13, 5))
    assert.equal(onTheWire(LeaveGroupApi, v5, 5).errorCode, ErrorCode.INVALID_GROUP_ID)
  })

  it('OffsetCommit then OffsetFetch in the single-group (v1, v7) and multi-group (v8) forms', async () => {
    const { coordinator } = await startedCoordinator()
    const commit = createOffsetCommitHandler(coordinator.offsets)
    const fetch = createOffsetFetchHandler(coordinator.offsets)
    const c = await commit.handle(
      {
        groupId: 'g',
        generationIdOrMemberEpoch: -1,
        memberId: '',
        topics: [
          { name: 't', partitions: [{ partitionIndex: 0, committedOffset: 9n, committedMetadata: 'x' }] }
        ]
      },
      requestContext(8, 2)
    )
    assert.equal(onTheWire(OffsetCommitApi, c, 2).topics[0]?.partitions[0]?.errorCode, ErrorCode.NONE)

    const v1 = onTheWire(
      OffsetFetchApi,
      await fetch.handle(
        { groupId: 'g', topics: [{ name: 't', partitionIndexes: [0] }] },
        requestContext(9, 1)
      ),
      1
    )
    assert.equal(v1.topics?.[0]?.partitions[0]?.committedOffset, 9n)
    const v7 = onTheWire(
      OffsetFetchApi,
      await fetch.handle({ groupId: 'g', topics: null, requireStable: true }, requestContext(9, 7)),
      7
    )
    assert.equal(v7.errorCode, ErrorCode.NONE)
    assert.equal(v7.topics?.[0]?.partitions[0]?.metadata, 'x')
    const v8 = onTheWire(
      OffsetFetchApi,
      await fetch.handle(
        {
          groups: [
            { groupId: 'g', topics: null },
            { groupId: 'other', topics: [{ name: 't', partitionIndexes: [0] }] }
          ]
        },
        requestContext(9, 8)
      ),
      8
    )
    assert.equal(v8.groups?.[0]?.topics[0]?.partitions[0]?.committedOffset, 9n)
    assert.equal(v8.groups?.[1]?.topics[0]?.partitions[0]?.committedOffset, -1n)
  })

  it('OffsetFetch v1 repeats a group error in every partition', async () => {
    const { coordinator } = await startedCoordinator()
    coordinator.shutdown()
    const res = await createOffsetFetchHandler(coordinator.offsets).handle(
      { groupId: 'g', topics: [{ name: 't', partitionIndexes: [0, 1] }] },
      requestContext(9, 1)
    )
    const wire = onTheWire(OffsetFetchApi, res, 1)
    assert.deepEqual(
      wire.topics?.[0]?.partitions.map((p) => p.errorCode),
      [ErrorCode.COORDINATOR_NOT_AVAILABLE, ErrorCode.COORDINATOR_NOT_AVAILABLE]
    )
  })

  it('FindCoordinator answers the single (v0-v3) and batched (v4+) forms from the lookup', async () => {
    const h = createFindCoordinatorHandler((keyType, key) =>
      key === 'down'
        ? ErrorCode.COORDINATOR_NOT_AVAILABLE
        : { nodeId: keyType + 1, host: 'localhost', port: 9092 }
    )
    const v0 = onTheWire(FindCoordinatorApi, await h.handle({ key: 'g' }, requestContext(10, 0)), 0)
    assert.deepEqual([v0.errorCode, v0.nodeId, v0.host, v0.port], [0, 1, 'localhost', 9092])
    const v4 = onTheWire(
      FindCoordinatorApi,
      await h.handle({ keyType: 1, coordinatorKeys: ['tx', 'down', ''] }, requestContext(10, 4)),
      4
    )
    assert.deepEqual(
      v4.coordinators?.map((c) => [c.key, c.errorCode, c.nodeId]),
      [
        ['tx', 0, 2],
        ['down', ErrorCode.COORDINATOR_NOT_AVAILABLE, -1],
        ['', ErrorCode.INVALID_REQUEST, -1]
      ]
    )
    const badType = onTheWire(
      FindCoordinatorApi,
      await h.handle({ key: 'g', keyType: 9 }, requestContext(10, 2)),
      2
    )
    assert.equal(badType.errorCode, ErrorCode.INVALID_REQUEST)
  })

  it('ListGroups and DescribeGroups encode at their oldest and newest versions', async () => {
    const { coordinator } = await startedCoordinator()
    const list = createListGroupsHandler(coordinator.admin)
    const describe = createDescribeGroupsHandler(coordinator.admin)
    for (const v of [0, 5])
      assert.equal(onTheWire(ListGroupsApi, await list.handle({}, requestContext(16, v)), v).errorCode, 0)
    const d = onTheWire(
      DescribeGroupsApi,
      await describe.handle({ groups: ['nope'], includeAuthorizedOperations: true }, requestContext(15, 5)),
      5
    )
    assert.equal(d.groups[0]?.groupState, 'Dead')
    assert.equal(d.groups[0]?.authorizedOperations, 328)
  })
})
