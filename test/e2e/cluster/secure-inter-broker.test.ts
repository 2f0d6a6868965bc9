/**
 * A cluster with no plaintext port anywhere: 3 brokers on etcd reached over TLS with client certificates
 * (etcd.ssl.*), whose only listener is SASL_SSL, for clients (kafkajs and kcat, SASL/PLAIN) and between
 * brokers (SASL/SCRAM-SHA-512, the broker user formatted into etcd with `samsa storage format`). An RF=3 topic
 * is replicated, produced with acks=all, its leader SIGKILLed and everything read from the new leader. A
 * fourth broker with the wrong inter-broker password registers but never replicates: its fetches are refused,
 * it drops out of the ISR and logs why, without the password.
 */

import assert from 'node:assert/strict'
import { existsSync } from 'node:fs'
import { createRequire } from 'node:module'
import { after, before, describe, it } from 'node:test'
import type { KafkaConfig as KafkajsConfig } from 'kafkajs'
import { BrokerProcess, runCli } from '../../helpers/broker-process.js'
import { EtcdProcess, ensureEtcd } from '../../helpers/etcd-process.js'
import { createTestCertificates, type TestCertificates } from '../../helpers/test-certificates.js'
import { requirePeer } from '../../helpers/test-peers.js'
import { KCAT } from '../support/kcat.js'
import { runOk } from '../support/run-process.js'
import { freePortRange, pollFor } from './cluster-kit.js'

const require = createRequire(import.meta.url)
const { Kafka, logLevel } = require('kafkajs') as typeof import('kafkajs')

const PLAIN = 'org.apache.kafka.common.security.plain.PlainLoginModule'
const SCRAM = 'org.apache.kafka.common.security.scram.ScramLoginModule'
const BROKER_PASSWORD = 'inter-broker-Secret-1'
const WRONG_PASSWORD = 'not-the-broker-Secret-2'
const TOPIC = 'secured'
const COUNT = 200

describe('a cluster with only SASL_SSL listeners and etcd over TLS', { timeout: 240_000 }, async () => {
  const skip =
    (await ensureEtcd()) ||
    requirePeer('openssl', existsSync('/usr/bin/openssl'), 'apt-get install openssl') ||
    requirePeer('kcat', existsSync(KCAT), 'apt-get install kcat')
  let certs: TestCertificates
  let etcd: EtcdProcess | undefined
  let basePort = 0
  const brokers = new Map<number, BrokerProcess>()
  let ca = ''

  const etcdSettings = () => [
    'metadata.store=etcd',
    `etcd.endpoints=${etcd!.endpoint}`,
    `etcd.ssl.truststore.location=${certs.path('ca.pem')}`,
    `etcd.ssl.keystore.location=${certs.path('server.pem')}`
  ]
  const brokerOverrides = (nodeId: number, password: string) => [
    `node.id=${nodeId}`,
    `listeners=SECURE://127.0.0.1:${basePort + nodeId - 1}`,
    'listener.security.protocol.map=SECURE:SASL_SSL',
    'inter.broker.listener.name=SECURE',
    'ssl.keystore.type=PEM',
    `ssl.keystore.location=${certs.path('server.pem')}`,
    'ssl.truststore.type=PEM',
    `ssl.truststore.location=${certs.path('ca.pem')}`,
    'listener.name.secure.sasl.enabled.mechanisms=PLAIN,SCRAM-SHA-512',
    'sasl.mechanism.inter.broker.protocol=SCRAM-SHA-512',
    `listener.name.secure.plain.sasl.jaas.config=${PLAIN} required user_alice="alice-secret";`,
    `listener.name.secure.scram-sha-512.sasl.jaas.config=${SCRAM} required username="broker" password="${password}";`,
    ...etcdSettings(),
    'broker.session.timeout.ms=3000',
    'replica.lag.time.max.ms=4000',
    'offsets.topic.replication.factor=3'
  ]
  const bootstrap = (ids: readonly number[]) => ids.map((id) => `127.0.0.1:${basePort + id - 1}`)
  const kafka = (ids: readonly number[]) =>
    new Kafka({
      clientId: 'secure-inter-broker',
      brokers: bootstrap(ids),
      logLevel: logLevel.NOTHING,
      retry: { retries: 8 },
      ssl: { ca: [ca] },
      sasl: { mechanism: 'plain', username: 'alice', password: 'alice-secret' }
    } satisfies KafkajsConfig)
  const partitionState = async (ids: readonly number[], topic: string) => {
    const admin = kafka(ids).admin()
    await admin.connect()
    try {
      const md = await admin.fetchTopicMetadata({ topics: [topic] })
      const p = md.topics[0]!.partitions[0]!
      return { leader: p.leader, isr: [...p.isr].sort(), replicas: p.replicas }
    } finally {
      await admin.disconnect()
    }
  }

  before(async () => {
    if (skip) return
    certs = await createTestCertificates()
    ca = await certs.text('ca.pem')
    etcd = await EtcdProcess.start(15_000, {
      certFile: certs.path('server-cert.pem'),
      keyFile: certs.path('server-key.pem'),
      caFile: certs.path('ca.pem')
    })
    basePort = await freePortRange(4)
    // The brokers' SCRAM user, written to etcd (over TLS) before any broker starts.
    const formatted = await runCli(
      [
        'storage',
        'format',
        ...[
          ...etcdSettings(),
          'node.id=1',
          `listeners=PLAINTEXT://127.0.0.1:${basePort}`,
          `log.dirs=${certs.path('formatted')}`
        ].flatMap((o) => ['--override', o]),
        '--add-scram',
        `SCRAM-SHA-512=[name=broker,password=${BROKER_PASSWORD}]`
      ],
      30_000
    )
    assert.equal(formatted.code, 0, formatted.stderr)
    const started = await Promise.all(
      [1, 2, 3].map((id) =>
        BrokerProcess.start({ overrides: brokerOverrides(id, BROKER_PASSWORD), startTimeoutMs: 30_000 })
      )
    )
    for (const [i, b] of started.entries()) brokers.set(i + 1, b)
  })
  after(async () => {
    await Promise.all([...brokers.values()].map((b) => b.kill()))
    await etcd?.stop()
    await certs?.cleanup()
  })

  it('replicates over SASL_SSL and survives the leader’s SIGKILL with every acks=all record', {
    skip
  }, async () => {
    const admin = kafka([1, 2, 3]).admin()
    await admin.connect()
    try {
      await admin.createTopics({
        topics: [
          {
            topic: TOPIC,
            numPartitions: 1,
            replicationFactor: 3,
            configEntries: [{ name: 'min.insync.replicas', value: '2' }]
          }
        ],
        waitForLeaders: true
      })
    } finally {
      await admin.disconnect()
    }
    const producer = kafka([1, 2, 3]).producer()
    await producer.connect()
    try {
      for (let i = 0; i < COUNT; i += 50) {
        await producer.send({
          topic: TOPIC,
          acks: -1,
          messages: Array.from({ length: 50 }, (_, j) => ({ value: `record-${i + j}` }))
        })
      }
    } finally {
      await producer.disconnect()
    }
    // Followers caught up through their SCRAM-authenticated TLS fetches: all three in sync.
    const before = await pollFor('all replicas in sync', 30_000, async () => {
      const s = await partitionState([1, 2, 3], TOPIC)
      if (s.isr.length !== 3) throw new Error(`isr ${s.isr}`)
      return s
    })
    const oldLeader = before.leader
    await brokers.get(oldLeader)!.kill()
    brokers.delete(oldLeader)
    const survivors = [1, 2, 3].filter((id) => id !== oldLeader)
    const after = await pollFor('a new leader', 30_000, async () => {
      const s = await partitionState(survivors, TOPIC)
      return survivors.includes(s.leader) ? s : undefined
    })
    assert.notEqual(after.leader, oldLeader)
    const { stdout } = await runOk(
      KCAT,
      [
        '-C',
        '-b',
        `127.0.0.1:${basePort + after.leader - 1}`,
        '-t',
        TOPIC,
        '-p',
        '0',
        '-o',
        'beginning',
        '-e',
        '-f',
        '%s\\n',
        '-X',
        'security.protocol=SASL_SSL',
        '-X',
        `ssl.ca.location=${certs.path('ca.pem')}`,
        '-X',
        'sasl.mechanisms=PLAIN',
        '-X',
        'sasl.username=alice',
        '-X',
        'sasl.password=alice-secret'
      ],
      { timeoutMs: 30_000 }
    )
    const values = stdout.toString('utf8').split('\n').filter(Boolean)
    assert.deepEqual(
      values,
      Array.from({ length: COUNT }, (_, i) => `record-${i}`)
    )
  })

  it('keeps a broker with the wrong inter-broker password out of replication, saying why', {
    skip
  }, async () => {
    const live = [...brokers.keys()]
    const intruder = await BrokerProcess.start({
      overrides: brokerOverrides(4, WRONG_PASSWORD),
      startTimeoutMs: 30_000
    })
    brokers.set(4, intruder)
    const admin = kafka(live).admin()
    await admin.connect()
    try {
      await admin.createTopics({
        topics: [{ topic: 'intruded', replicaAssignment: [{ partition: 0, replicas: [...live, 4] }] }],
        waitForLeaders: true
      })
    } finally {
      await admin.disconnect()
    }
    const producer = kafka(live).producer()
    await producer.connect()
    await producer.send({ topic: 'intruded', acks: 1, messages: [{ value: 'x' }] })
    await producer.disconnect()
    // It registered (it reaches etcd with the right certificate) but is not a replica in sync.
    const state = await pollFor('broker 4 out of the ISR', 30_000, async () => {
      const s = await partitionState(live, 'intruded')
      if (s.isr.includes(4)) throw new Error(`isr ${s.isr}`)
      return s
    })
    assert.deepEqual(state.replicas, [...live, 4])
    const refused = await intruder.waitForLog((l) =>
      /SASL_SSL authentication to 127\.0\.0\.1:\d+ failed: SASL\/SCRAM-SHA-512 authentication failed/.test(
        JSON.stringify(l)
      )
    )
    assert.ok(refused)
    const everything = JSON.stringify(intruder.logs) + intruder.stderr
    assert.ok(!everything.includes(WRONG_PASSWORD), 'the password never appears in its log')
  })
})
