/**
 * Dynamic broker configs (KIP-226) against a real broker: kafkajs alterConfigs and describeConfigs on BROKER
 * resources (this node and the cluster-wide default) with Kafka's sources and synonyms, IncrementalAlterConfigs
 * (raw: kafkajs has none), static keys refused with Kafka's message, a dynamic log.retention.ms default that
 * deletes the old segments of a topic without an override, a request mixing TOPIC and BROKER resources,
 * GROUP and CLIENT_METRICS resources, and the dynamic configs surviving a restart.
 */

import assert from 'node:assert/strict'
import { mkdtemp, rm } from 'node:fs/promises'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import type { Admin } from 'kafkajs'
import type { AlterConfigsResponse } from '../../src/protocol/messages/alter-configs.js'
import type { DescribeConfigsResponse } from '../../src/protocol/messages/describe-configs.js'
import type { IncrementalAlterConfigsResponse } from '../../src/protocol/messages/incremental-alter-configs.js'
import { BrokerProcess } from '../helpers/broker-process.js'
import { rawRequest } from './support/raw-requests.js'

const require = createRequire(import.meta.url)
const { Kafka, logLevel, ConfigResourceTypes } = require('kafkajs') as typeof import('kafkajs')

const BROKER = 4
const TOPIC = 2
const GROUP = 32
const CLIENT_METRICS = 16
const SET = 0
const DELETE = 1
const APPEND = 2
const INVALID_REQUEST = 42
const INVALID_CONFIG = 40
const Source = { DYNAMIC_BROKER: 2, DYNAMIC_DEFAULT_BROKER: 3, STATIC_BROKER: 4, DEFAULT: 5, GROUP: 8 }

describe('dynamic broker configs (KIP-226)', () => {
  let dataDir: string
  let broker: BrokerProcess
  let admin: Admin

  const start = async () => {
    broker = await BrokerProcess.start({
      overrides: [
        `log.dirs=${dataDir}`,
        'log.retention.check.interval.ms=300',
        'log.retention.hours=100',
        'num.partitions=1'
      ]
    })
    admin = new Kafka({ brokers: [broker.bootstrap], logLevel: logLevel.NOTHING }).admin()
    await admin.connect()
  }
  const stop = async () => {
    await admin?.disconnect()
    await broker?.stop()
  }

  const describeRaw = async (resourceType: number, resourceName: string, keys: string[] | null) => {
    const res = await rawRequest<DescribeConfigsResponse>(broker.port, 32, 4, {
      resources: [{ resourceType, resourceName, configurationKeys: keys }],
      includeSynonyms: true,
      includeDocumentation: false
    })
    return res.results[0]!
  }
  const incremental = (resources: object[], validateOnly = false) =>
    rawRequest<IncrementalAlterConfigsResponse>(broker.port, 44, 1, { resources, validateOnly })

  before(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'samsa-dynamic-'))
    await start()
  })
  after(async () => {
    await stop()
    await rm(dataDir, { recursive: true, force: true })
  })

  it('kafkajs alterConfigs sets per-broker and default values that describeConfigs reports with their sources', async () => {
    await admin.alterConfigs({
      validateOnly: false,
      resources: [
        {
          type: ConfigResourceTypes.BROKER,
          name: '1',
          configEntries: [{ name: 'background.threads', value: '7' }]
        }
      ]
    })
    // kafkajs refuses the empty name of the cluster-wide default; AlterConfigs v1 sent raw.
    const legacy = await rawRequest<AlterConfigsResponse>(broker.port, 33, 1, {
      validateOnly: false,
      resources: [
        {
          resourceType: BROKER,
          resourceName: '',
          configs: [
            { name: 'background.threads', value: '5' },
            { name: 'log.cleaner.threads', value: '2' }
          ]
        }
      ]
    })
    assert.equal(legacy.responses[0]!.errorCode, 0, legacy.responses[0]!.errorMessage ?? '')
    const described = await admin.describeConfigs({
      includeSynonyms: true,
      resources: [
        {
          type: ConfigResourceTypes.BROKER,
          name: '1',
          configNames: ['background.threads', 'log.cleaner.threads', 'log.retention.hours', 'log.dirs']
        }
      ]
    })
    const entries = described.resources[0]!.configEntries
    const entry = (name: string) => entries.find((e) => e.configName === name)!
    assert.equal(entry('background.threads').configValue, '7')
    assert.equal(entry('background.threads').configSource, Source.DYNAMIC_BROKER)
    assert.equal(entry('background.threads').readOnly, false)
    assert.deepEqual(
      entry('background.threads').configSynonyms.map((s) => [s.configValue, s.configSource]),
      [
        ['7', Source.DYNAMIC_BROKER],
        ['5', Source.DYNAMIC_DEFAULT_BROKER],
        ['10', Source.DEFAULT]
      ]
    )
    assert.equal(entry('log.cleaner.threads').configValue, '2')
    assert.equal(entry('log.cleaner.threads').configSource, Source.DYNAMIC_DEFAULT_BROKER)
    assert.equal(entry('log.retention.hours').configSource, Source.STATIC_BROKER)
    assert.equal(entry('log.dirs').readOnly, true)

    const defaults = await describeRaw(BROKER, '', null)
    assert.deepEqual(defaults.configs.map((e) => [e.name, e.value, e.configSource]).sort(), [
      ['background.threads', '5', Source.DYNAMIC_DEFAULT_BROKER],
      ['log.cleaner.threads', '2', Source.DYNAMIC_DEFAULT_BROKER]
    ])
  })

  it('refuses static keys and bad values with INVALID_REQUEST and Kafka messages, changing nothing', async () => {
    const one = async (resource: object) => (await incremental([resource])).responses[0]!
    const res = {
      responses: await Promise.all(
        [
          {
            resourceType: BROKER,
            resourceName: '1',
            configs: [
              { name: 'log.dirs', configOperation: SET, value: '/elsewhere' },
              { name: 'background.threads', configOperation: SET, value: '3' }
            ]
          },
          {
            resourceType: BROKER,
            resourceName: '',
            configs: [{ name: 'background.threads', configOperation: SET, value: 'many' }]
          },
          {
            resourceType: BROKER,
            resourceName: '',
            configs: [
              { name: 'listener.name.ssl.ssl.keystore.location', configOperation: SET, value: '/k.pem' }
            ]
          },
          {
            resourceType: BROKER,
            resourceName: '7',
            configs: [{ name: 'background.threads', configOperation: SET, value: '3' }]
          }
        ].map(one)
      )
    }
    assert.deepEqual(
      res.responses.map((r) => r.errorCode),
      [INVALID_REQUEST, INVALID_REQUEST, INVALID_REQUEST, INVALID_REQUEST]
    )
    assert.equal(res.responses[0]!.errorMessage, 'Cannot update these configs dynamically: Set(log.dirs)')
    assert.match(
      res.responses[1]!.errorMessage ?? '',
      /Invalid value many for configuration background\.threads/
    )
    assert.equal(
      res.responses[2]!.errorMessage,
      'Cannot update these configs at default cluster level, broker id must be specified: Set(listener.name.ssl.ssl.keystore.location)'
    )
    assert.match(res.responses[3]!.errorMessage ?? '', /Unexpected broker id, expected 1/)
    const threads = await describeRaw(BROKER, '1', ['background.threads'])
    assert.equal(threads.configs[0]!.value, '7', 'the refused change left the value as it was')
  })

  it('IncrementalAlterConfigs SET, APPEND and DELETE on the default; validateOnly changes nothing', async () => {
    const validated = await incremental(
      [
        {
          resourceType: BROKER,
          resourceName: '',
          configs: [{ name: 'message.max.bytes', configOperation: SET, value: '2000000' }]
        }
      ],
      true
    )
    assert.equal(validated.responses[0]!.errorCode, 0)
    assert.equal((await describeRaw(BROKER, '', ['message.max.bytes'])).configs.length, 0)

    const res = await incremental([
      {
        resourceType: BROKER,
        resourceName: '',
        configs: [
          { name: 'log.cleanup.policy', configOperation: APPEND, value: 'compact' },
          { name: 'log.cleaner.threads', configOperation: DELETE, value: null }
        ]
      }
    ])
    assert.equal(res.responses[0]!.errorCode, 0, res.responses[0]!.errorMessage ?? '')
    const defaults = await describeRaw(BROKER, '', null)
    assert.deepEqual(defaults.configs.map((c) => [c.name, c.value]).sort(), [
      ['background.threads', '5'],
      ['log.cleanup.policy', 'delete,compact']
    ])
    // Back to delete only, so the retention test below deletes segments.
    const reset = await incremental([
      {
        resourceType: BROKER,
        resourceName: '',
        configs: [{ name: 'log.cleanup.policy', configOperation: DELETE, value: null }]
      }
    ])
    assert.equal(reset.responses[0]!.errorCode, 0)
  })

  it('a dynamic log.retention.ms default applies to a topic without an override', async () => {
    await admin.createTopics({
      topics: [
        { topic: 'retained', numPartitions: 1, configEntries: [{ name: 'segment.bytes', value: '1024' }] }
      ]
    })
    const producer = new Kafka({ brokers: [broker.bootstrap], logLevel: logLevel.NOTHING }).producer()
    await producer.connect()
    for (let i = 0; i < 20; i++) {
      await producer.send({ topic: 'retained', messages: [{ value: 'x'.repeat(200) }] })
    }
    await producer.disconnect()
    const earliest = async () => (await admin.fetchTopicOffsetsByTimestamp('retained', 0))[0]!.offset
    assert.equal(await earliest(), '0')

    // A mixed request: the topic resource goes to the controller, the broker resource is this broker's.
    const mixed = await incremental([
      {
        resourceType: TOPIC,
        resourceName: 'retained',
        configs: [{ name: 'segment.ms', configOperation: SET, value: '600000' }]
      },
      {
        resourceType: BROKER,
        resourceName: '',
        configs: [{ name: 'log.retention.ms', configOperation: SET, value: '1000' }]
      }
    ])
    assert.deepEqual(
      mixed.responses.map((r) => [r.resourceType, r.errorCode]),
      [
        [TOPIC, 0],
        [BROKER, 0]
      ]
    )
    const described = await describeRaw(TOPIC, 'retained', ['retention.ms', 'segment.ms'])
    const retention = described.configs.find((c) => c.name === 'retention.ms')!
    assert.equal(retention.value, '1000')
    assert.equal(retention.configSource, Source.DYNAMIC_DEFAULT_BROKER)
    assert.deepEqual(
      (retention.synonyms ?? []).map((s) => [s.name, s.source]),
      [
        ['log.retention.ms', Source.DYNAMIC_DEFAULT_BROKER],
        ['log.retention.hours', Source.STATIC_BROKER],
        ['log.retention.hours', Source.DEFAULT]
      ]
    )
    const deadline = Date.now() + 15_000
    while (Number(await earliest()) === 0 && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 200))
    }
    assert.ok(Number(await earliest()) > 0, 'old segments were deleted under the dynamic retention')
  })

  it('GROUP and CLIENT_METRICS resources: Kafka keys stored and described, unknown keys refused', async () => {
    const res = await incremental([
      {
        resourceType: GROUP,
        resourceName: 'g1',
        configs: [{ name: 'consumer.session.timeout.ms', configOperation: SET, value: '50000' }]
      },
      {
        resourceType: GROUP,
        resourceName: 'g2',
        configs: [{ name: 'no.such.key', configOperation: SET, value: '1' }]
      },
      {
        resourceType: CLIENT_METRICS,
        resourceName: 'sub',
        configs: [
          { name: 'metrics', configOperation: SET, value: 'org.apache.kafka.producer.' },
          { name: 'interval.ms', configOperation: SET, value: '1000' },
          { name: 'match', configOperation: SET, value: 'client_id=app-1' }
        ]
      },
      {
        resourceType: CLIENT_METRICS,
        resourceName: 'bad',
        configs: [{ name: 'interval', configOperation: SET, value: '1' }]
      }
    ])
    assert.deepEqual(
      res.responses.map((r) => r.errorCode),
      [0, INVALID_CONFIG, 0, INVALID_CONFIG]
    )
    const group = await describeRaw(GROUP, 'g1', null)
    const session = group.configs.find((c) => c.name === 'consumer.session.timeout.ms')!
    assert.deepEqual([session.value, session.configSource], ['50000', Source.GROUP])
    const heartbeat = group.configs.find((c) => c.name === 'consumer.heartbeat.interval.ms')!
    assert.deepEqual([heartbeat.value, heartbeat.configSource], ['5000', Source.DEFAULT])
    const metrics = await describeRaw(CLIENT_METRICS, 'sub', ['interval.ms', 'match'])
    assert.deepEqual(
      metrics.configs.map((c) => [c.name, c.value]),
      [
        ['interval.ms', '1000'],
        ['match', 'client_id=app-1']
      ]
    )
  })

  it('dynamic configs survive a restart', async () => {
    await stop()
    await start()
    const threads = await describeRaw(BROKER, '1', ['background.threads', 'log.retention.ms'])
    assert.deepEqual(threads.configs.map((c) => [c.name, c.value, c.configSource]).sort(), [
      ['background.threads', '7', Source.DYNAMIC_BROKER],
      ['log.retention.ms', '1000', Source.DYNAMIC_DEFAULT_BROKER]
    ])
    const group = await describeRaw(GROUP, 'g1', ['consumer.session.timeout.ms'])
    assert.equal(group.configs[0]!.value, '50000')
  })
})
