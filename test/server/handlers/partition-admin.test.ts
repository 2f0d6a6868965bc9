import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import type { Admin, Kafka } from 'kafkajs'
import type { DeleteRecordsResponse } from '../../../src/protocol/messages/delete-records.js'
import type { DescribeClusterResponse } from '../../../src/protocol/messages/describe-cluster.js'
import type { DescribeLogDirsResponse } from '../../../src/protocol/messages/describe-log-dirs.js'
import type { OffsetForLeaderEpochResponse } from '../../../src/protocol/messages/offset-for-leader-epoch.js'
import { BrokerProcess } from '../../helpers/broker-process.js'
import { kafkajs, rawRequest } from './admin-request.js'

describe('DeleteRecords, DescribeLogDirs, OffsetForLeaderEpoch and DescribeCluster against a real broker', () => {
  let broker: BrokerProcess
  let kafka: Kafka
  let admin: Admin

  before(async () => {
    broker = await BrokerProcess.start()
    kafka = kafkajs(broker.bootstrap)
    admin = kafka.admin()
    await admin.connect()
    await admin.createTopics({ topics: [{ topic: 'events', numPartitions: 2 }] })
    const producer = kafka.producer()
    await producer.connect()
    try {
      const messages = Array.from({ length: 10 }, (_, i) => ({ value: `m${i}`, partition: 0 }))
      await producer.send({ topic: 'events', messages })
    } finally {
      await producer.disconnect()
    }
  })

  after(async () => {
    await admin?.disconnect()
    await broker?.stop()
  })

  it('deletes records up to an offset (kafkajs) and to the high watermark (-1)', async () => {
    // kafkajs looks leaders up in its cached metadata, which only holds topics it has fetched.
    await admin.fetchTopicMetadata({ topics: ['events'] })
    await admin.deleteTopicRecords({ topic: 'events', partitions: [{ partition: 0, offset: '4' }] })
    let offsets = await admin.fetchTopicOffsets('events')
    assert.deepEqual(
      offsets.find((o) => o.partition === 0),
      { partition: 0, offset: '10', high: '10', low: '4' }
    )
    const res = await rawRequest<DeleteRecordsResponse>(broker.port, 21, 2, {
      topics: [
        {
          name: 'events',
          partitions: [
            { partitionIndex: 0, offset: -1n },
            { partitionIndex: 1, offset: 5n },
            { partitionIndex: 7, offset: 0n }
          ]
        },
        { name: 'missing', partitions: [{ partitionIndex: 0, offset: 0n }] }
      ],
      timeoutMs: 5000
    })
    assert.deepEqual(
      res.topics.map((t) => t.partitions.map((p) => [p.partitionIndex, p.errorCode, p.lowWatermark])),
      [
        [
          [0, 0, 10n],
          [1, 1, -1n],
          [7, 3, -1n]
        ],
        [[0, 3, -1n]]
      ]
    )
    offsets = await admin.fetchTopicOffsets('events')
    assert.equal(offsets.find((o) => o.partition === 0)?.low, '10')
  })

  it('describes the log dir with each local partition and its size, and the disk space at v4', async () => {
    const res = await rawRequest<DescribeLogDirsResponse>(broker.port, 35, 4, { topics: null })
    assert.equal(res.results.length, 1)
    const dir = res.results[0]!
    assert.equal(dir.errorCode, 0)
    assert.equal(dir.logDir, broker.logDir)
    const events = dir.topics.find((t) => t.name === 'events')
    assert.deepEqual(events?.partitions.map((p) => p.partitionIndex).sort(), [0, 1])
    const p1 = events?.partitions.find((p) => p.partitionIndex === 1)
    assert.equal(p1?.partitionSize, 0n)
    assert.equal(p1?.offsetLag, 0n)
    assert.equal(p1?.isFutureKey, false)
    assert.ok((dir.totalBytes ?? 0n) > 0n && (dir.usableBytes ?? -1n) >= 0n)

    const some = await rawRequest<DescribeLogDirsResponse>(broker.port, 35, 1, {
      topics: [{ topic: 'events', partitions: [0] }]
    })
    const only = some.results[0]?.topics
    assert.equal(only?.length, 1)
    assert.deepEqual(
      only?.[0]?.partitions.map((p) => p.partitionIndex),
      [0]
    )
    // Partition 0 had 10 records appended; record deletion only moved its start offset in the active segment.
    assert.ok((only?.[0]?.partitions[0]?.partitionSize ?? 0n) > 0n)
  })

  it('answers OffsetForLeaderEpoch with the end offset of the epoch and fences stale epochs', async () => {
    const ask = (leaderEpoch: number, currentLeaderEpoch: number, partition = 0) =>
      rawRequest<OffsetForLeaderEpochResponse>(broker.port, 23, 4, {
        replicaId: -1,
        topics: [{ topic: 'events', partitions: [{ partition, currentLeaderEpoch, leaderEpoch }] }]
      })
    const current = await ask(0, 0)
    assert.deepEqual(current.topics[0]?.partitions[0], {
      errorCode: 0,
      partition: 0,
      leaderEpoch: 0,
      endOffset: 10n
    })
    // librdkafka asks at v2, without the current leader epoch check.
    const v2 = await rawRequest<OffsetForLeaderEpochResponse>(broker.port, 23, 2, {
      topics: [{ topic: 'events', partitions: [{ partition: 0, currentLeaderEpoch: -1, leaderEpoch: 0 }] }]
    })
    assert.equal(v2.topics[0]?.partitions[0]?.endOffset, 10n)
    // A newer current epoch than the broker knows: UNKNOWN_LEADER_EPOCH (75).
    assert.equal((await ask(0, 5)).topics[0]?.partitions[0]?.errorCode, 75)
    const unknown = await ask(0, 0, 9)
    assert.equal(unknown.topics[0]?.partitions[0]?.errorCode, 3)
    // An empty partition 1: its leader recorded epoch 0 at offset 0 on becoming leader (as Kafka's
    // makeLeader does), so epoch 0 ends at the log end, 0, rather than being unknown.
    const empty = await ask(0, 0, 1)
    assert.deepEqual(
      [empty.topics[0]?.partitions[0]?.leaderEpoch, empty.topics[0]?.partitions[0]?.endOffset],
      [0, 0n]
    )
  })

  it('describes the cluster (kafkajs and v1)', async () => {
    const cluster = await admin.describeCluster()
    assert.equal(cluster.controller, 1)
    assert.deepEqual(
      cluster.brokers.map((b) => [b.nodeId, b.port]),
      [[1, broker.port]]
    )
    const res = await rawRequest<DescribeClusterResponse>(broker.port, 60, 1, {
      includeClusterAuthorizedOperations: true,
      endpointType: 1
    })
    assert.equal(res.errorCode, 0)
    assert.equal(res.clusterId, cluster.clusterId)
    assert.deepEqual(
      res.brokers.map((b) => [b.brokerId, b.host, b.port]),
      [[1, '127.0.0.1', broker.port]]
    )
    assert.notEqual(res.clusterAuthorizedOperations & (1 << 10), 0)
    const controllers = await rawRequest<DescribeClusterResponse>(broker.port, 60, 1, {
      includeClusterAuthorizedOperations: false,
      endpointType: 2
    })
    assert.equal(controllers.errorCode, 115)
  })
})
