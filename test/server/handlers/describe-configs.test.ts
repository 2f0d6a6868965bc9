import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import type { Admin, ConfigResourceTypes, Kafka } from 'kafkajs'
import type { DescribeConfigsResponse } from '../../../src/protocol/messages/describe-configs.js'
import type { IncrementalAlterConfigsResponse } from '../../../src/protocol/messages/incremental-alter-configs.js'
import { BrokerProcess } from '../../helpers/broker-process.js'
import { kafkajs, kafkajsErrorCode, rawRequest } from './admin-request.js'

// kafkajs is CommonJS and its ConfigResourceTypes enum is not a named ESM export.
const TOPIC = 2 as ConfigResourceTypes
const BROKER = 4 as ConfigResourceTypes
const DYNAMIC_TOPIC_CONFIG = 1
const STATIC_BROKER_CONFIG = 4
const DEFAULT_CONFIG = 5

describe('DescribeConfigs, AlterConfigs and IncrementalAlterConfigs against a real broker', () => {
  let broker: BrokerProcess
  let kafka: Kafka
  let admin: Admin

  const topicConfigs = async (topic: string) => {
    const { resources } = await admin.describeConfigs({
      resources: [{ type: TOPIC, name: topic }],
      includeSynonyms: true
    })
    return new Map(resources[0]!.configEntries.map((e) => [e.configName, e]))
  }

  before(async () => {
    broker = await BrokerProcess.start({
      overrides: ['log.segment.bytes=2097152', 'ssl.keystore.password=s3cret-pw']
    })
    kafka = kafkajs(broker.bootstrap)
    admin = kafka.admin()
    await admin.connect()
    await admin.createTopics({
      topics: [
        { topic: 'configured', configEntries: [{ name: 'cleanup.policy', value: 'compact' }] },
        { topic: 'plain' }
      ]
    })
  })

  after(async () => {
    await admin?.disconnect()
    await broker?.stop()
  })

  it('describes every topic config with its effective value and source', async () => {
    const configs = await topicConfigs('configured')
    const policy = configs.get('cleanup.policy')
    assert.equal(policy?.configValue, 'compact')
    assert.equal(policy?.configSource, DYNAMIC_TOPIC_CONFIG)
    assert.equal(policy?.isDefault, false)
    assert.equal(policy?.configSynonyms[0]?.configName, 'cleanup.policy')
    assert.deepEqual(
      policy?.configSynonyms.map((s) => [s.configName, s.configValue, s.configSource]),
      [
        ['cleanup.policy', 'compact', DYNAMIC_TOPIC_CONFIG],
        ['log.cleanup.policy', 'delete', DEFAULT_CONFIG]
      ]
    )
    // Inherited from the broker's --override: STATIC_BROKER_CONFIG.
    const segment = configs.get('segment.bytes')
    assert.equal(segment?.configValue, '2097152')
    assert.equal(segment?.configSource, STATIC_BROKER_CONFIG)
    const retention = configs.get('retention.ms')
    assert.equal(retention?.configValue, '604800000')
    assert.equal(retention?.configSource, DEFAULT_CONFIG)
    assert.equal(retention?.isDefault, true)
    assert.equal(retention?.readOnly, false)
    for (const key of [
      'max.message.bytes',
      'min.insync.replicas',
      'message.timestamp.type',
      'compression.type'
    ]) {
      assert.ok(configs.has(key), key)
    }
  })

  it('answers v4 with config types, null documentation, and only the keys asked for', async () => {
    const res = await rawRequest<DescribeConfigsResponse>(broker.port, 32, 4, {
      resources: [
        { resourceType: 2, resourceName: 'plain', configurationKeys: ['retention.ms', 'cleanup.policy'] }
      ],
      includeSynonyms: false,
      includeDocumentation: false
    })
    const result = res.results[0]!
    assert.equal(result.errorCode, 0)
    assert.deepEqual(
      result.configs.map((c) => [c.name, c.value, c.configType, c.documentation, c.synonyms]),
      [
        ['cleanup.policy', 'delete', 7, null, []],
        ['retention.ms', '604800000', 5, null, []]
      ]
    )
  })

  it('fails a missing topic with UNKNOWN_TOPIC_OR_PARTITION (3) and a bad broker name with INVALID_REQUEST (42)', async () => {
    assert.equal(
      await kafkajsErrorCode(
        admin.describeConfigs({
          resources: [{ type: TOPIC, name: 'missing' }],
          includeSynonyms: false
        })
      ),
      3
    )
    const res = await rawRequest<DescribeConfigsResponse>(broker.port, 32, 4, {
      resources: [
        { resourceType: 4, resourceName: 'not-a-number', configurationKeys: null },
        { resourceType: 4, resourceName: '99', configurationKeys: null },
        { resourceType: 2, resourceName: 'missing', configurationKeys: null }
      ],
      includeSynonyms: false,
      includeDocumentation: false
    })
    assert.deepEqual(
      res.results.map((r) => r.errorCode),
      [42, 42, 3]
    )
  })

  it('describes the broker resource (named by node id)', async () => {
    const { resources } = await admin.describeConfigs({
      resources: [{ type: BROKER, name: '1' }],
      includeSynonyms: false
    })
    const configs = new Map(resources[0]!.configEntries.map((e) => [e.configName, e]))
    assert.equal(configs.get('log.segment.bytes')?.configValue, '2097152')
    assert.equal(configs.get('log.segment.bytes')?.configSource, STATIC_BROKER_CONFIG)
    assert.equal(configs.get('num.partitions')?.configValue, '1')
    assert.equal(configs.get('num.partitions')?.configSource, DEFAULT_CONFIG)
    assert.equal(configs.get('num.partitions')?.readOnly, true)
    // Passwords are described as set but never shown, and never logged.
    assert.equal(configs.get('ssl.keystore.password')?.configValue, null)
    assert.equal(configs.get('ssl.keystore.password')?.isSensitive, true)
    assert.equal(configs.get('ssl.keystore.password')?.configSource, STATIC_BROKER_CONFIG)
    assert.ok(!JSON.stringify(broker.logs).includes('s3cret-pw'))
  })

  it('AlterConfigs replaces the override set and takes effect; invalid values fail with INVALID_CONFIG (40)', async () => {
    await admin.alterConfigs({
      validateOnly: false,
      resources: [
        {
          type: TOPIC,
          name: 'configured',
          configEntries: [{ name: 'retention.ms', value: '3600000' }]
        }
      ]
    })
    const configs = await topicConfigs('configured')
    assert.equal(configs.get('retention.ms')?.configValue, '3600000')
    assert.equal(configs.get('retention.ms')?.configSource, DYNAMIC_TOPIC_CONFIG)
    // cleanup.policy was not named, so the whole-set replacement removed its override.
    assert.equal(configs.get('cleanup.policy')?.configValue, 'delete')
    assert.equal(configs.get('cleanup.policy')?.configSource, DEFAULT_CONFIG)

    await admin.alterConfigs({
      validateOnly: true,
      resources: [
        {
          type: TOPIC,
          name: 'configured',
          configEntries: [{ name: 'retention.ms', value: '1' }]
        }
      ]
    })
    assert.equal((await topicConfigs('configured')).get('retention.ms')?.configValue, '3600000')

    const invalid = admin.alterConfigs({
      validateOnly: false,
      resources: [
        {
          type: TOPIC,
          name: 'configured',
          configEntries: [{ name: 'cleanup.policy', value: 'shred' }]
        }
      ]
    })
    assert.equal(await kafkajsErrorCode(invalid), 40)
    const missing = admin.alterConfigs({
      validateOnly: false,
      resources: [
        {
          type: TOPIC,
          name: 'missing',
          configEntries: [{ name: 'retention.ms', value: '1' }]
        }
      ]
    })
    assert.equal(await kafkajsErrorCode(missing), 3)
    const brokerChange = admin.alterConfigs({
      validateOnly: false,
      resources: [
        {
          type: BROKER,
          name: '1',
          configEntries: [{ name: 'num.partitions', value: '3' }]
        }
      ]
    })
    assert.equal(await kafkajsErrorCode(brokerChange), 42)
  })

  it('IncrementalAlterConfigs applies SET, DELETE, APPEND and SUBTRACT per key', async () => {
    const alter = (
      configs: { name: string; configOperation: number; value: string | null }[],
      validateOnly = false
    ) =>
      rawRequest<IncrementalAlterConfigsResponse>(broker.port, 44, 1, {
        resources: [{ resourceType: 2, resourceName: 'plain', configs }],
        validateOnly
      })
    let res = await alter([
      { name: 'retention.ms', configOperation: 0, value: '120000' },
      { name: 'cleanup.policy', configOperation: 2, value: 'compact' }
    ])
    assert.equal(res.responses[0]?.errorCode, 0)
    let configs = await topicConfigs('plain')
    assert.equal(configs.get('retention.ms')?.configValue, '120000')
    assert.equal(configs.get('cleanup.policy')?.configValue, 'delete,compact')

    res = await alter([
      { name: 'retention.ms', configOperation: 1, value: null },
      { name: 'cleanup.policy', configOperation: 3, value: 'delete' }
    ])
    assert.equal(res.responses[0]?.errorCode, 0)
    configs = await topicConfigs('plain')
    assert.equal(configs.get('retention.ms')?.configSource, DEFAULT_CONFIG)
    assert.equal(configs.get('cleanup.policy')?.configValue, 'compact')

    res = await alter([{ name: 'retention.ms', configOperation: 2, value: '1' }])
    assert.equal(res.responses[0]?.errorCode, 40)
    assert.match(res.responses[0]?.errorMessage ?? '', /retention\.ms/)
    res = await alter([{ name: 'message.timestamp.type', configOperation: 0, value: 'WallClock' }])
    assert.equal(res.responses[0]?.errorCode, 40)
    assert.match(res.responses[0]?.errorMessage ?? '', /message\.timestamp\.type.*CreateTime, LogAppendTime/)
    res = await alter([
      { name: 'retention.ms', configOperation: 0, value: '1' },
      { name: 'retention.ms', configOperation: 1, value: null }
    ])
    assert.equal(res.responses[0]?.errorCode, 42)
  })
})
