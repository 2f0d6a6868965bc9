import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { after, before, describe, it } from 'node:test'
import { promisify } from 'node:util'
import type { Admin } from 'kafkajs'
import type { CreateTopicsResponse } from '../../../src/protocol/messages/create-topics.js'
import type { DeleteTopicsResponse } from '../../../src/protocol/messages/delete-topics.js'
import { BrokerProcess } from '../../helpers/broker-process.js'
import { kafkajs, kafkajsErrorCode, rawRequest } from './admin-request.js'

const run = promisify(execFile)
const ZERO_UUID = 'AAAAAAAAAAAAAAAAAAAAAA'

describe('CreateTopics, CreatePartitions and DeleteTopics against a real broker', () => {
  let broker: BrokerProcess
  let admin: Admin

  before(async () => {
    broker = await BrokerProcess.start({ overrides: ['num.partitions=2'] })
    admin = kafkajs(broker.bootstrap).admin()
    await admin.connect()
  })

  after(async () => {
    await admin?.disconnect()
    await broker?.stop()
  })

  it('creates topics with kafkajs, uses num.partitions for -1, and reports them in metadata', async () => {
    assert.equal(
      await admin.createTopics({
        topics: [
          { topic: 'orders', numPartitions: 3, configEntries: [{ name: 'retention.ms', value: '60000' }] },
          { topic: 'defaults' }
        ],
        waitForLeaders: true
      }),
      true
    )
    const { topics } = await admin.fetchTopicMetadata({ topics: ['orders', 'defaults'] })
    const partitions = Object.fromEntries(topics.map((t) => [t.name, t.partitions.length]))
    assert.deepEqual(partitions, { orders: 3, defaults: 2 })
    assert.ok((await admin.listTopics()).includes('orders'))
  })

  it('validateOnly checks without creating', async () => {
    await admin.createTopics({
      topics: [{ topic: 'dry-run', numPartitions: 1 }],
      validateOnly: true,
      // kafkajs would otherwise wait for the (never created) topic's leaders.
      waitForLeaders: false
    })
    assert.ok(!(await admin.listTopics()).includes('dry-run'))
  })

  it('answers an existing topic with TOPIC_ALREADY_EXISTS (36), which kafkajs reports as false', async () => {
    assert.equal(await admin.createTopics({ topics: [{ topic: 'orders' }] }), false)
    const res = await rawRequest<CreateTopicsResponse>(broker.port, 19, 3, {
      topics: [{ name: 'orders', numPartitions: 1, replicationFactor: 1, assignments: [], configs: [] }],
      timeoutMs: 5000,
      validateOnly: false
    })
    assert.equal(res.topics[0]?.errorCode, 36)
    assert.match(res.topics[0]?.errorMessage ?? '', /already exists/)
  })

  it('rejects bad topics with exact error codes', async () => {
    const topic = (
      name: string,
      numPartitions = 1,
      replicationFactor = 1,
      configs: { name: string; value: string }[] = []
    ) => ({
      name,
      numPartitions,
      replicationFactor,
      assignments: [],
      configs
    })
    const res = await rawRequest<CreateTopicsResponse>(broker.port, 19, 4, {
      topics: [
        topic('zero-partitions', 0),
        topic('rf-too-high', 1, 3),
        topic('bad name!'),
        topic('bad-config', 1, 1, [{ name: 'cleanup.policy', value: 'shred' }]),
        topic('unknown-config', 1, 1, [{ name: 'no.such.key', value: '1' }])
      ],
      timeoutMs: 5000,
      validateOnly: false
    })
    const codes = Object.fromEntries(res.topics.map((t) => [t.name, t.errorCode]))
    assert.deepEqual(codes, {
      'zero-partitions': 37,
      'rf-too-high': 38,
      'bad name!': 17,
      'bad-config': 40,
      'unknown-config': 40
    })
    const badConfig = res.topics.find((t) => t.name === 'bad-config')
    assert.match(
      badConfig?.errorMessage ?? '',
      /cleanup\.policy.*delete.*compact|cleanup\.policy.*compact.*delete/
    )
    assert.equal(
      await kafkajsErrorCode(admin.createTopics({ topics: [{ topic: 'x', numPartitions: 0 }] })),
      37
    )
    assert.equal(
      await kafkajsErrorCode(admin.createTopics({ topics: [{ topic: 'y', replicationFactor: 2 }] })),
      38
    )
    assert.equal(await kafkajsErrorCode(admin.createTopics({ topics: [{ topic: 'a/b' }] })), 17)
  })

  it('v7 returns the topic id, partition count, replication factor and every config with its source', async () => {
    const res = await rawRequest<CreateTopicsResponse>(broker.port, 19, 7, {
      topics: [
        {
          name: 'v7-topic',
          numPartitions: -1,
          replicationFactor: -1,
          assignments: [],
          configs: [{ name: 'cleanup.policy', value: 'compact' }]
        }
      ],
      timeoutMs: 5000,
      validateOnly: false
    })
    const t = res.topics[0]!
    assert.equal(t.errorCode, 0)
    assert.notEqual(t.topicId, ZERO_UUID)
    assert.equal(t.numPartitions, 2)
    assert.equal(t.replicationFactor, 1)
    const configs = new Map((t.configs ?? []).map((c) => [c.name, c]))
    assert.deepEqual(
      { value: configs.get('cleanup.policy')?.value, source: configs.get('cleanup.policy')?.configSource },
      { value: 'compact', source: 1 }
    )
    assert.equal(configs.get('segment.bytes')?.configSource, 5)
    assert.equal(configs.get('segment.bytes')?.value, '1073741824')
    const { topics } = await admin.fetchTopicMetadata({ topics: ['v7-topic'] })
    assert.equal(topics[0]?.partitions.length, 2)
  })

  it('creates partitions, and rejects a count that is not an increase with INVALID_PARTITIONS (37)', async () => {
    await admin.createTopics({ topics: [{ topic: 'growing', numPartitions: 1 }] })
    await admin.createPartitions({ topicPartitions: [{ topic: 'growing', count: 3 }], validateOnly: true })
    let meta = await admin.fetchTopicMetadata({ topics: ['growing'] })
    assert.equal(meta.topics[0]?.partitions.length, 1)
    await admin.createPartitions({ topicPartitions: [{ topic: 'growing', count: 3 }] })
    meta = await admin.fetchTopicMetadata({ topics: ['growing'] })
    assert.equal(meta.topics[0]?.partitions.length, 3)
    assert.equal(
      await kafkajsErrorCode(admin.createPartitions({ topicPartitions: [{ topic: 'growing', count: 2 }] })),
      37
    )
    assert.equal(
      await kafkajsErrorCode(admin.createPartitions({ topicPartitions: [{ topic: 'missing', count: 2 }] })),
      3
    )
  })

  it('deletes topics by name and by id, with UNKNOWN_TOPIC_OR_PARTITION (3) and UNKNOWN_TOPIC_ID (100)', async () => {
    await admin.createTopics({ topics: [{ topic: 'doomed' }, { topic: 'doomed-by-id' }] })
    await admin.deleteTopics({ topics: ['doomed'] })
    assert.ok(!(await admin.listTopics()).includes('doomed'))
    assert.equal(await kafkajsErrorCode(admin.deleteTopics({ topics: ['never-existed'] })), 3)

    const { topics } = await admin.fetchTopicMetadata({ topics: ['doomed-by-id'] })
    const created = await rawRequest<CreateTopicsResponse>(broker.port, 19, 7, {
      topics: [
        { name: 'doomed-by-id', numPartitions: 1, replicationFactor: 1, assignments: [], configs: [] }
      ],
      timeoutMs: 1000,
      validateOnly: true
    })
    assert.equal(created.topics[0]?.errorCode, 36)
    assert.equal(topics.length, 1)
    const meta = await rawRequest<{ topics: { name: string; topicId: string }[] }>(broker.port, 3, 12, {
      topics: [{ topicId: ZERO_UUID, name: 'doomed-by-id' }],
      allowAutoTopicCreation: false,
      includeTopicAuthorizedOperations: false
    })
    const topicId = meta.topics[0]!.topicId
    const res = await rawRequest<DeleteTopicsResponse>(broker.port, 20, 6, {
      topics: [
        { name: null, topicId },
        { name: null, topicId: 'AAAAAAAAAAAAAAAAAAAAAQ' },
        { name: 'dup', topicId: ZERO_UUID },
        { name: 'dup', topicId: ZERO_UUID }
      ],
      timeoutMs: 5000
    })
    const byKey = res.responses.map((r) => [r.name, r.topicId, r.errorCode])
    assert.deepEqual(byKey, [
      ['doomed-by-id', topicId, 0],
      [null, 'AAAAAAAAAAAAAAAAAAAAAQ', 100],
      ['dup', ZERO_UUID, 42]
    ])
    assert.ok(!(await admin.listTopics()).includes('doomed-by-id'))
  })

  it('kcat -L lists the created topics and their partitions', async () => {
    const { stdout } = await run('kcat', ['-b', broker.bootstrap, '-L', '-t', 'orders', '-m', '5'], {
      timeout: 15_000
    })
    assert.match(stdout, /topic "orders" with 3 partitions/)
  })
})
