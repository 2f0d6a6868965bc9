/**
 * The admin listener of a real broker process: /metrics counters move by exactly what kafkajs and kcat
 * (librdkafka) sent and consumed, a stopped group's lag is the high watermark minus its committed offset,
 * the output passes `promtool check metrics`, and the JSON API reports the same offsets.
 */

import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { after, before, describe, it } from 'node:test'
import kafkajs from 'kafkajs'
import { kcatConsume, kcatProduce } from '../e2e/support/kcat.js'
import { runProcess } from '../e2e/support/run-process.js'
import { BrokerProcess } from '../helpers/broker-process.js'
import { INSTALL, requirePeer } from '../helpers/test-peers.js'
import { sampleValue, scrape } from './prometheus-text.js'

const TOPIC = 'metered'
const GROUP = 'stopped-group'
const promtool = spawnSync('promtool', ['--version']).status === 0

describe('admin listener /metrics on a real broker', () => {
  let broker: BrokerProcess
  let kafka: kafkajs.Kafka

  before(async () => {
    broker = await BrokerProcess.start({ overrides: ['auto.create.topics.enable=false'] })
    kafka = new kafkajs.Kafka({ brokers: [broker.bootstrap], logLevel: kafkajs.logLevel.NOTHING })
    const admin = kafka.admin()
    await admin.connect()
    await admin.createTopics({ topics: [{ topic: TOPIC, numPartitions: 1 }], waitForLeaders: true })
    await admin.disconnect()
  })

  after(async () => {
    await broker?.stop()
  })

  const topicValue = async (name: string) =>
    sampleValue(await scrape(broker.adminPort), name, { topic: TOPIC }) ?? 0
  const logSize = async () =>
    sampleValue(await scrape(broker.adminPort), 'samsa_log_size_bytes', { topic: TOPIC, partition: '0' }) ?? 0

  it('counts the records and bytes kafkajs and kcat produce and consume', async () => {
    const before = await scrape(broker.adminPort)
    const producesBefore = sampleValue(before, 'samsa_requests_total', { api: 'Produce', error: 'NONE' }) ?? 0
    const producer = kafka.producer()
    await producer.connect()
    // Three sends of 7 records: three Produce requests, 21 records.
    for (let i = 0; i < 3; i++) {
      await producer.send({
        topic: TOPIC,
        messages: Array.from({ length: 7 }, (_, j) => ({ value: `kafkajs-${i}-${j}` }))
      })
    }
    await producer.disconnect()
    await kcatProduce(
      broker.bootstrap,
      TOPIC,
      Array.from({ length: 5 }, (_, j) => ({ key: null, value: Buffer.from(`kcat-${j}`) }))
    )
    const after = await scrape(broker.adminPort)
    assert.equal(sampleValue(after, 'samsa_topic_messages_in_total', { topic: TOPIC }), 26)
    // Batches are appended as sent: the bytes in are exactly the bytes the log now holds.
    const size = sampleValue(after, 'samsa_log_size_bytes', { topic: TOPIC, partition: '0' })
    assert.ok(size !== undefined && size > 0)
    assert.equal(sampleValue(after, 'samsa_topic_bytes_in_total', { topic: TOPIC }), size)
    // kafkajs sent three Produce requests; kcat at least one more.
    const produces = sampleValue(after, 'samsa_requests_total', { api: 'Produce', error: 'NONE' }) ?? 0
    assert.ok(produces - producesBefore >= 4, `${produces - producesBefore} Produce requests`)
    assert.equal(sampleValue(after, 'samsa_topic_failed_produce_requests_total', { topic: TOPIC }), 0)

    // One kcat read of the whole partition returns every batch once: bytes out equal the log's size.
    assert.equal(await topicValue('samsa_topic_bytes_out_total'), 0)
    const consumed = await kcatConsume(broker.bootstrap, TOPIC, { partition: 0 })
    assert.equal(consumed.length, 26)
    assert.equal(await topicValue('samsa_topic_bytes_out_total'), await logSize())

    // A consumer at the log end parks its fetch in the purgatory until fetch.wait.max.ms: remote time.
    const remoteBefore =
      sampleValue(await scrape(broker.adminPort), 'samsa_request_phase_seconds_sum', {
        api: 'Fetch',
        phase: 'remote'
      }) ?? 0
    await kcatConsume(broker.bootstrap, TOPIC, {
      partition: 0,
      offset: 'end',
      config: ['fetch.wait.max.ms=300']
    })
    const latency = await scrape(broker.adminPort)
    const remote =
      sampleValue(latency, 'samsa_request_phase_seconds_sum', { api: 'Fetch', phase: 'remote' }) ?? 0
    assert.ok(remote - remoteBefore >= 0.2, `Fetch remote time grew by ${remote - remoteBefore} s`)
    assert.equal(await topicValue('samsa_topic_bytes_out_total'), await logSize())
    const count = sampleValue(latency, 'samsa_request_latency_seconds_count', { api: 'Produce' }) ?? 0
    assert.ok(count >= 4)
    assert.ok((sampleValue(latency, 'samsa_connection_creations_total', { listener: 'PLAINTEXT' }) ?? 0) >= 3)
    assert.equal(sampleValue(latency, 'samsa_partitions'), sampleValue(latency, 'samsa_leader_partitions'))
    assert.equal(sampleValue(latency, 'samsa_partitions_under_replicated'), 0)
    assert.equal(sampleValue(latency, 'samsa_controller_active'), 1)
    assert.ok((sampleValue(latency, 'samsa_log_dir_free_bytes') ?? 0) > 0)
  })

  it("reports a stopped group's lag as the high watermark minus its committed offset", async () => {
    const consumer = kafka.consumer({ groupId: GROUP })
    await consumer.connect()
    await consumer.subscribe({ topic: TOPIC, fromBeginning: true })
    let seen = 0
    await new Promise<void>((resolve, reject) => {
      consumer
        .run({
          autoCommit: false,
          eachMessage: async ({ message }) => {
            seen++
            // Commit after the tenth record: offset 10 is the next to consume.
            if (seen === 10) {
              await consumer.commitOffsets([
                { topic: TOPIC, partition: 0, offset: String(Number(message.offset) + 1) }
              ])
              resolve()
            }
          }
        })
        .catch(reject)
    })
    await consumer.disconnect()
    const samples = await scrape(broker.adminPort)
    const labels = { group: GROUP, topic: TOPIC, partition: '0' }
    // 26 records in the log, committed offset 10.
    assert.equal(sampleValue(samples, 'samsa_consumer_group_lag', labels), 16)
    const lagSeconds = sampleValue(samples, 'samsa_consumer_group_lag_seconds', labels)
    assert.ok(lagSeconds !== undefined && lagSeconds > 0 && lagSeconds < 600, `time lag ${lagSeconds}`)
    assert.equal(sampleValue(samples, 'samsa_consumer_group_members', { group: GROUP }), 0)

    const group = (await (await fetch(`http://127.0.0.1:${broker.adminPort}/v1/groups/${GROUP}`)).json()) as {
      offsets: {
        topic: string
        partition: number
        committedOffset: number
        highWatermark: number
        lag: number
      }[]
    }
    assert.deepEqual(group.offsets, [
      { topic: TOPIC, partition: 0, committedOffset: 10, highWatermark: 26, lag: 16 }
    ])
    const topic = (await (await fetch(`http://127.0.0.1:${broker.adminPort}/v1/topics/${TOPIC}`)).json()) as {
      partitions: { offsets: { start: number; end: number; highWatermark: number } }[]
    }
    const offsets = topic.partitions[0]!.offsets
    assert.deepEqual([offsets.start, offsets.end, offsets.highWatermark], [0, 26, 26])
  })

  it('answers /healthz, /readyz and /v1/cluster/health once started', async () => {
    const base = `http://127.0.0.1:${broker.adminPort}`
    assert.equal((await fetch(`${base}/healthz`)).status, 200)
    const ready = await fetch(`${base}/readyz`)
    assert.equal(ready.status, 200)
    const health = (await (await fetch(`${base}/v1/cluster/health`)).json()) as { isHealthy: boolean }
    assert.equal(health.isHealthy, true)
  })

  it('passes promtool check metrics', {
    skip: requirePeer('promtool', promtool, INSTALL.promtool)
  }, async () => {
    const text = await (await fetch(`http://127.0.0.1:${broker.adminPort}/metrics`)).text()
    const result = await runProcess('promtool', ['check', 'metrics'], {
      input: Buffer.from(text),
      timeoutMs: 20_000
    })
    assert.equal(result.code, 0, `promtool: ${result.stdout.toString()}${result.stderr.toString()}`)
  })
})
