/**
 * Client quotas against a real broker process (KIP-13, KIP-219, KIP-546): quotas set and read back through
 * @platformatic/kafka's admin client, a producer held to its producer_byte_rate while another client id runs
 * unthrottled, a consumer held to its consumer_byte_rate, librdkafka seeing the throttle, and Kafka's
 * validation of AlterClientQuotas. The broker measures over 2 windows of 1 s (quota.window.num=2) so an 8 s
 * measurement is not dominated by the burst Kafka's default 11 windows allow a fresh client.
 */

import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { Admin, Consumer, Producer } from '@platformatic/kafka'
import { ErrorCode } from '../../src/protocol/error-codes.js'
import {
  AlterClientQuotasApi,
  type AlterClientQuotasResponse
} from '../../src/protocol/messages/alter-client-quotas.js'
import { CreateTopicsApi, type CreateTopicsResponse } from '../../src/protocol/messages/create-topics.js'
import {
  DescribeClientQuotasApi,
  type DescribeClientQuotasResponse
} from '../../src/protocol/messages/describe-client-quotas.js'
import { BrokerProcess } from '../helpers/broker-process.js'
import { RawKafkaClient } from '../helpers/raw-kafka-client.js'
import { KCAT } from './support/kcat.js'
import { runProcess } from './support/run-process.js'

const PRODUCE_QUOTA = 100_000
const FETCH_QUOTA = 200_000
const VALUE = Buffer.alloc(1000, 0x61)

/** 2 s of warm-up, then 8 s of measurement. */
function measurement(): { from: number; to: number } {
  const from = Date.now() + 2000
  return { from, to: from + 8000 }
}

/** Sends `messages` again and again until the end of the measurement; the value bytes acknowledged in it, per second. */
async function produceFor(
  window: { from: number; to: number },
  producer: Producer,
  messages: { topic: string; partition: number; value: Buffer }[],
  pauseMs: number
): Promise<number> {
  let bytes = 0
  while (Date.now() < window.to) {
    await producer.send({ acks: 1, messages })
    const now = Date.now()
    if (now > window.from && now <= window.to) bytes += messages.length * VALUE.length
    if (pauseMs > 0) await new Promise((r) => setTimeout(r, pauseMs))
  }
  return bytes / ((window.to - window.from) / 1000)
}

describe('client quotas end to end', () => {
  let broker: BrokerProcess
  let admin: Admin
  before(async () => {
    broker = await BrokerProcess.start({
      overrides: ['num.partitions=1', 'quota.window.num=2', 'quota.window.size.seconds=1']
    })
    admin = new Admin({ clientId: 'quota-admin', bootstrapBrokers: [broker.bootstrap] })
  })
  after(async () => {
    await admin?.close()
    await broker?.stop()
  })

  async function setQuota(
    clientId: string | null,
    key: 'producer_byte_rate' | 'consumer_byte_rate',
    value: number
  ) {
    const results = await admin.alterClientQuotas({
      entries: [
        {
          entities: [{ entityType: 'client-id', entityName: clientId }],
          ops: [{ key, value, remove: false }]
        }
      ]
    })
    assert.deepEqual(
      results.map((r) => r.errorCode),
      [0]
    )
  }

  it('AlterClientQuotas then DescribeClientQuotas through @platformatic/kafka, validate_only writes nothing', async () => {
    await setQuota('described', 'producer_byte_rate', 4096)
    await admin.alterClientQuotas({
      entries: [
        {
          entities: [{ entityType: 'client-id', entityName: 'validated' }],
          ops: [{ key: 'producer_byte_rate', value: 1, remove: false }]
        }
      ],
      validateOnly: true
    })
    const described = await admin.describeClientQuotas({
      components: [{ entityType: 'client-id', matchType: 0, match: 'described' }]
    })
    assert.deepEqual(
      described.map((e) => [e.entity, e.values]),
      [[[{ entityType: 'client-id', entityName: 'described' }], [{ key: 'producer_byte_rate', value: 4096 }]]]
    )
    const validated = await admin.describeClientQuotas({
      components: [{ entityType: 'client-id', matchType: 0, match: 'validated' }]
    })
    assert.deepEqual(validated, [])
    await admin.alterClientQuotas({
      entries: [
        {
          entities: [{ entityType: 'client-id', entityName: 'described' }],
          ops: [{ key: 'producer_byte_rate', remove: true }]
        }
      ]
    })
    const removed = await admin.describeClientQuotas({
      components: [{ entityType: 'client-id', matchType: 0, match: 'described' }]
    })
    assert.deepEqual(removed, [])
  })

  it('refuses what Kafka refuses, entry by entry, and filters by default and specified entities', async () => {
    const client = await RawKafkaClient.connect(broker.port)
    try {
      const header = (correlationId: number, apiKey: number) => ({
        requestApiKey: apiKey,
        requestApiVersion: 1,
        correlationId,
        clientId: 'raw'
      })
      const entry = (entity: [string, string | null][], key: string, value: number) => ({
        entity: entity.map(([entityType, entityName]) => ({ entityType, entityName })),
        ops: [{ key, value, remove: false }]
      })
      client.send(header(1, AlterClientQuotasApi.apiKey), {
        entries: [
          entry([['user', 'alice']], 'producer_byte_rate', 1.5),
          entry([['user', 'alice']], 'no_such_quota', 1),
          entry(
            [
              ['ip', '10.0.0.1'],
              ['user', 'alice']
            ],
            'connection_creation_rate',
            1
          ),
          entry([['ip', 'not-an-ip']], 'connection_creation_rate', 1),
          entry([['ip', '10.0.0.1']], 'producer_byte_rate', 1),
          entry([['group', 'g']], 'producer_byte_rate', 1),
          entry(
            [
              ['user', null],
              ['client-id', null]
            ],
            'request_percentage',
            12.5
          ),
          entry([['ip', null]], 'connection_creation_rate', 30)
        ],
        validateOnly: false
      })
      const altered = await client.nextResponse<AlterClientQuotasResponse>(AlterClientQuotasApi.apiKey, 1)
      assert.deepEqual(
        altered.body.entries.map((e) => e.errorCode),
        [...Array(6).fill(ErrorCode.INVALID_REQUEST), ErrorCode.NONE, ErrorCode.NONE]
      )
      client.send(header(2, DescribeClientQuotasApi.apiKey), {
        components: [{ entityType: 'user', matchType: 1, match: null }],
        strict: false
      })
      const described = await client.nextResponse<DescribeClientQuotasResponse>(
        DescribeClientQuotasApi.apiKey,
        1
      )
      assert.equal(described.body.errorCode, ErrorCode.NONE)
      assert.deepEqual(described.body.entries, [
        {
          entity: [
            { entityType: 'user', entityName: null },
            { entityType: 'client-id', entityName: null }
          ],
          values: [{ key: 'request_percentage', value: 12.5 }]
        }
      ])
      client.send(header(3, DescribeClientQuotasApi.apiKey), {
        components: [{ entityType: 'user', matchType: 1, match: null }],
        strict: true
      })
      const strict = await client.nextResponse<DescribeClientQuotasResponse>(
        DescribeClientQuotasApi.apiKey,
        1
      )
      assert.deepEqual(strict.body.entries, [])
      client.send(header(4, DescribeClientQuotasApi.apiKey), {
        components: [
          { entityType: 'ip', matchType: 2, match: null },
          { entityType: 'user', matchType: 2, match: null }
        ],
        strict: false
      })
      const mixed = await client.nextResponse<DescribeClientQuotasResponse>(DescribeClientQuotasApi.apiKey, 1)
      assert.equal(mixed.body.errorCode, ErrorCode.INVALID_REQUEST)
      // Leave no request quota behind for the rate tests.
      client.send(header(5, AlterClientQuotasApi.apiKey), {
        entries: [
          {
            entity: [
              { entityType: 'user', entityName: null },
              { entityType: 'client-id', entityName: null }
            ],
            ops: [{ key: 'request_percentage', value: 0, remove: true }]
          }
        ],
        validateOnly: false
      })
      const cleared = await client.nextResponse<AlterClientQuotasResponse>(AlterClientQuotasApi.apiKey, 1)
      assert.equal(cleared.body.entries[0]?.errorCode, ErrorCode.NONE)
    } finally {
      client.close()
    }
  })

  it('holds a client id to its producer_byte_rate (±20% over 8 s) while another runs unthrottled', async () => {
    await setQuota('throttled-producer', 'producer_byte_rate', PRODUCE_QUOTA)
    const topic = 'quota-produce'
    const common = { bootstrapBrokers: [broker.bootstrap], autocreateTopics: true, retries: 3 }
    const throttled = new Producer({ ...common, clientId: 'throttled-producer' })
    const free = new Producer({ ...common, clientId: 'free-producer' })
    const messages = Array.from({ length: 20 }, () => ({ topic, partition: 0, value: VALUE }))
    try {
      const window = measurement()
      const [throttledRate, freeRate] = await Promise.all([
        produceFor(window, throttled, messages, 0),
        produceFor(window, free, messages, 5)
      ])
      assert.ok(
        throttledRate >= PRODUCE_QUOTA * 0.8 && throttledRate <= PRODUCE_QUOTA * 1.2,
        `throttled producer ran at ${Math.round(throttledRate)} B/s for a quota of ${PRODUCE_QUOTA}`
      )
      assert.ok(freeRate > PRODUCE_QUOTA * 3, `unthrottled producer ran at only ${Math.round(freeRate)} B/s`)
    } finally {
      await throttled.close()
      await free.close()
    }
  })

  it('throttles a consumer to its consumer_byte_rate on the size of its fetch responses', async () => {
    const topic = 'quota-fetch'
    const producer = new Producer({
      clientId: 'filler',
      bootstrapBrokers: [broker.bootstrap],
      autocreateTopics: true
    })
    const messages = Array.from({ length: 100 }, () => ({ topic, partition: 0, value: VALUE }))
    for (let i = 0; i < 30; i++) await producer.send({ acks: 1, messages })
    await producer.close()
    await setQuota('throttled-consumer', 'consumer_byte_rate', FETCH_QUOTA)
    const consumer = new Consumer({
      clientId: 'throttled-consumer',
      groupId: 'unused',
      bootstrapBrokers: [broker.bootstrap]
    })
    try {
      const md = await consumer.metadata({ topics: [topic], forceUpdate: true })
      const topicId = md.topics.get(topic)?.id
      assert.ok(topicId)
      let offset = 0n
      let bytes = 0
      let throttledResponses = 0
      const start = Date.now()
      while (Date.now() - start < 6000) {
        const response = await consumer.fetch({
          node: 1,
          maxWaitTime: 10,
          topics: [
            {
              topicId,
              partitions: [
                {
                  partition: 0,
                  fetchOffset: offset,
                  currentLeaderEpoch: -1,
                  lastFetchedEpoch: -1,
                  partitionMaxBytes: 64 * 1024
                }
              ]
            }
          ]
        })
        if (response.throttleTimeMs > 0) throttledResponses++
        for (const batch of response.responses[0]?.partitions[0]?.records ?? []) {
          for (const r of batch.records) {
            bytes += r.value?.length ?? 0
            offset = batch.firstOffset + BigInt(r.offsetDelta) + 1n
          }
        }
      }
      const rate = bytes / ((Date.now() - start) / 1000)
      assert.ok(throttledResponses > 0, 'some fetch response carries a throttle time')
      assert.ok(
        rate <= FETCH_QUOTA * 1.3 && rate >= FETCH_QUOTA * 0.5,
        `throttled consumer read ${Math.round(rate)} B/s for a quota of ${FETCH_QUOTA}`
      )
    } finally {
      await consumer.close(true)
    }
  })

  it('librdkafka (kcat) reports the throttle the broker asks for', async () => {
    await setQuota('kcat-throttled', 'producer_byte_rate', 20_000)
    const input = Buffer.from(`${'x'.repeat(999)}\n`.repeat(300))
    const result = await runProcess(
      KCAT,
      [
        '-P',
        '-b',
        broker.bootstrap,
        '-t',
        'quota-kcat',
        '-X',
        'client.id=kcat-throttled',
        '-X',
        'batch.size=20000',
        '-d',
        'broker,protocol'
      ],
      { input, timeoutMs: 60_000 }
    )
    assert.equal(result.code, 0, result.stderr.slice(-2000))
    assert.match(result.stderr, /throttled request for [1-9]\d*ms/, 'librdkafka logs the broker throttle')
  })

  it('controller_mutation_rate: THROTTLING_QUOTA_EXCEEDED for new clients once over the quota, a throttle for old ones', async () => {
    await admin.alterClientQuotas({
      entries: [
        {
          entities: [{ entityType: 'client-id', entityName: 'mutator' }],
          ops: [{ key: 'controller_mutation_rate' as 'request_percentage', value: 1, remove: false }]
        }
      ]
    })
    const topic = (name: string, numPartitions: number) => ({
      name,
      numPartitions,
      replicationFactor: 1,
      assignments: [],
      configs: []
    })
    const create = async (version: number, names: [string, number][]) => {
      const client = await RawKafkaClient.connect(broker.port)
      try {
        client.send(
          {
            requestApiKey: CreateTopicsApi.apiKey,
            requestApiVersion: version,
            correlationId: 1,
            clientId: 'mutator'
          },
          { topics: names.map(([n, p]) => topic(n, p)), timeoutMs: 10_000, validateOnly: false }
        )
        return (await client.nextResponse<CreateTopicsResponse>(CreateTopicsApi.apiKey, version)).body
      } finally {
        client.close()
      }
    }
    // The first topic is within the quota and takes 20 partitions; the rate is then over 1 per second.
    const strict = await create(7, [
      ['mutation-a', 20],
      ['mutation-b', 1]
    ])
    assert.deepEqual(
      strict.topics.map((t) => [t.name, t.errorCode]),
      [
        ['mutation-a', ErrorCode.NONE],
        ['mutation-b', ErrorCode.THROTTLING_QUOTA_EXCEEDED]
      ]
    )
    assert.ok((strict.throttleTimeMs ?? 0) > 0, 'the response carries the throttle time')
    // CreateTopics v5 predates KIP-599: the topic is created and the client is only throttled.
    const permissive = await create(5, [['mutation-c', 1]])
    assert.deepEqual(
      permissive.topics.map((t) => [t.name, t.errorCode]),
      [['mutation-c', ErrorCode.NONE]]
    )
    assert.ok((permissive.throttleTimeMs ?? 0) > 0)
    // Another client id is not limited.
    const client = await RawKafkaClient.connect(broker.port)
    try {
      client.send(
        { requestApiKey: CreateTopicsApi.apiKey, requestApiVersion: 7, correlationId: 1, clientId: 'other' },
        { topics: [topic('mutation-d', 5)], timeoutMs: 10_000, validateOnly: false }
      )
      const other = (await client.nextResponse<CreateTopicsResponse>(CreateTopicsApi.apiKey, 7)).body
      assert.deepEqual(
        other.topics.map((t) => t.errorCode),
        [ErrorCode.NONE]
      )
      assert.equal(other.throttleTimeMs, 0)
    } finally {
      client.close()
    }
  })
})

describe('user quotas over SASL_PLAINTEXT', () => {
  let broker: BrokerProcess
  before(async () => {
    broker = await BrokerProcess.start({
      overrides: [
        'listeners=PLAINTEXT://127.0.0.1:0,SASL_PLAINTEXT://127.0.0.1:0',
        'sasl.enabled.mechanisms=PLAIN',
        'sasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule required user_alice="alice-secret" user_bob="bob-secret";',
        'num.partitions=1',
        'quota.window.num=2'
      ]
    })
  })
  after(async () => {
    await broker?.stop()
  })

  it('holds user alice to her producer_byte_rate (±20% over 8 s) while bob, with the same client id, runs free', async () => {
    const admin = new Admin({ clientId: 'quota-admin', bootstrapBrokers: [broker.bootstrap] })
    try {
      const results = await admin.alterClientQuotas({
        entries: [
          {
            entities: [{ entityType: 'user', entityName: 'alice' }],
            ops: [{ key: 'producer_byte_rate', value: PRODUCE_QUOTA, remove: false }]
          }
        ]
      })
      assert.deepEqual(
        results.map((r) => r.errorCode),
        [0]
      )
    } finally {
      await admin.close()
    }
    const producer = (username: string) =>
      new Producer({
        clientId: 'shared',
        bootstrapBrokers: [`127.0.0.1:${broker.portOf('SASL_PLAINTEXT')}`],
        sasl: { mechanism: 'PLAIN', username, password: `${username}-secret` },
        autocreateTopics: true,
        retries: 3
      })
    const alice = producer('alice')
    const bob = producer('bob')
    const messages = Array.from({ length: 20 }, () => ({ topic: 'quota-users', partition: 0, value: VALUE }))
    try {
      const window = measurement()
      const [aliceRate, bobRate] = await Promise.all([
        produceFor(window, alice, messages, 0),
        produceFor(window, bob, messages, 5)
      ])
      assert.ok(
        aliceRate >= PRODUCE_QUOTA * 0.8 && aliceRate <= PRODUCE_QUOTA * 1.2,
        `alice produced ${Math.round(aliceRate)} B/s for a quota of ${PRODUCE_QUOTA}`
      )
      assert.ok(bobRate > PRODUCE_QUOTA * 3, `bob produced only ${Math.round(bobRate)} B/s`)
    } finally {
      await alice.close()
      await bob.close()
    }
  })
})
