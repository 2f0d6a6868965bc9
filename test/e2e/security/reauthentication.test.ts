/**
 * SASL re-authentication (KIP-368) end to end: a SASL_PLAINTEXT listener with connections.max.reauth.ms of 2 s,
 * a kafkajs idempotent producer sending numbered records for ~8 s and a consumer reading them at the same time.
 * kafkajs re-authenticates each connection before the session lifetime the broker returned runs out, so every
 * connection re-authenticates several times: every acknowledged record must be read exactly once and in order,
 * the broker must have seen re-authentications on connections it had already authenticated, and it must not
 * have closed any connection for an expired session.
 */

import assert from 'node:assert/strict'
import { createRequire } from 'node:module'
import { after, before, describe, it } from 'node:test'
import type { Kafka as KafkaClient } from 'kafkajs'
import { parsePrometheusText, sampleValue } from '../../admin/prometheus-text.js'
import { BrokerProcess } from '../../helpers/broker-process.js'

const require = createRequire(import.meta.url)
const { Kafka, logLevel } = require('kafkajs') as typeof import('kafkajs')

const JAAS =
  'org.apache.kafka.common.security.plain.PlainLoginModule required user_alice="alice-secret" user_admin="admin-secret";'
const REAUTH_MS = 2_000
const RUN_MS = 8_000
const TOPIC = 'reauth-topic'

describe('SASL re-authentication (KIP-368) end to end', { timeout: 90_000 }, () => {
  let broker: BrokerProcess
  const kafkajs = (clientId: string): KafkaClient =>
    new Kafka({
      clientId,
      brokers: [`127.0.0.1:${broker.portOf('SASL_PLAINTEXT')}`],
      logLevel: logLevel.NOTHING,
      // Re-authenticate once half the 2 s session has gone (kafkajs' default, 10 s, would do it on every request).
      reauthenticationThreshold: REAUTH_MS / 2,
      retry: { retries: 5, initialRetryTime: 100 },
      sasl: { mechanism: 'plain', username: 'alice', password: 'alice-secret' }
    })

  before(async () => {
    broker = await BrokerProcess.start({
      // Debug, for the broker's 'authenticated' lines that say whether it was a re-authentication.
      args: ['--log-level', 'debug'],
      overrides: [
        'listeners=PLAINTEXT://127.0.0.1:0,SASL_PLAINTEXT://127.0.0.1:0',
        'inter.broker.listener.name=PLAINTEXT',
        'sasl.enabled.mechanisms=PLAIN',
        `listener.name.sasl_plaintext.plain.sasl.jaas.config=${JAAS}`,
        `listener.name.sasl_plaintext.connections.max.reauth.ms=${REAUTH_MS}`,
        'group.initial.rebalance.delay.ms=0',
        'offsets.topic.replication.factor=1'
      ]
    })
  })
  after(async () => {
    await broker?.stop()
  })

  it('re-authenticates producer and consumer connections across the session lifetime with nothing lost', async () => {
    const client = kafkajs('reauth')
    const admin = client.admin()
    await admin.connect()
    await admin.createTopics({ topics: [{ topic: TOPIC, numPartitions: 1 }], waitForLeaders: true })
    await admin.disconnect()

    const received: number[] = []
    const consumer = client.consumer({ groupId: 'reauth-group', maxWaitTimeInMs: 200 })
    await consumer.connect()
    await consumer.subscribe({ topic: TOPIC, fromBeginning: true })
    await consumer.run({
      eachMessage: async ({ message }) => {
        received.push(Number(message.value?.toString()))
      }
    })

    const producer = client.producer({ idempotent: true, maxInFlightRequests: 1 })
    await producer.connect()
    const acknowledged: number[] = []
    const failures: unknown[] = []
    const started = Date.now()
    let next = 0
    while (Date.now() - started < RUN_MS) {
      const batch = Array.from({ length: 10 }, () => next++)
      try {
        await producer.send({ topic: TOPIC, acks: -1, messages: batch.map((n) => ({ value: String(n) })) })
        acknowledged.push(...batch)
      } catch (err) {
        failures.push(err)
      }
      await new Promise((resolve) => setTimeout(resolve, 20))
    }
    await producer.disconnect()

    const deadline = Date.now() + 20_000
    while (received.length < acknowledged.length && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 100))
    }
    await consumer.disconnect()

    assert.deepEqual(failures, [], 'no send failed across re-authentications')
    assert.ok(acknowledged.length > 100, `only ${acknowledged.length} records acknowledged`)
    // Exactly once and in order: the consumer read the acknowledged sequence, nothing more, nothing less.
    assert.deepEqual(received, acknowledged)

    const authenticated = broker.logs.filter((l) => l.msg === 'authenticated')
    const reauthenticated = authenticated.filter((l) => l.reauthentication === true)
    const connections = new Set(reauthenticated.map((l) => l.connectionId))
    // Each re-authentication is on a connection the broker had authenticated first.
    for (const line of reauthenticated) {
      assert.ok(
        authenticated.some((l) => l.connectionId === line.connectionId && l.reauthentication === false),
        `re-authentication on connection ${String(line.connectionId)} without a first authentication`
      )
    }
    // 8 s of 2 s sessions: the producer's and the consumer's connections each re-authenticated several times.
    assert.ok(connections.size >= 2, `re-authenticated connections: ${connections.size}`)
    const perConnection = [...connections].map(
      (id) => reauthenticated.filter((l) => l.connectionId === id).length
    )
    assert.ok(
      Math.max(...perConnection) >= 3,
      `re-authentications per connection: ${perConnection.join(', ')}`
    )
    // The admin listener counts re-authentications with authentications: at least every logged one, by mechanism.
    const response = await fetch(`http://127.0.0.1:${broker.adminPort}/metrics`, {
      headers: { authorization: `Basic ${Buffer.from('admin:admin-secret').toString('base64')}` }
    })
    assert.equal(response.status, 200)
    const successes = sampleValue(
      parsePrometheusText(await response.text()),
      'samsa_authentication_successes_total',
      {
        mechanism: 'PLAIN'
      }
    )
    assert.ok(
      (successes ?? 0) >= authenticated.length && authenticated.length > reauthenticated.length,
      `PLAIN successes ${successes}, authenticated lines ${authenticated.length}`
    )
    assert.equal(
      broker.logs.filter((l) => l.msg === 'closing connection whose SASL session expired').length,
      0,
      'no connection was closed for an expired session'
    )
  })
})
