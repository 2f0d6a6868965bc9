/**
 * `samsa cluster start --secure` end to end: 2 brokers on etcd with SASL_SSL client listeners, certificates
 * in DIR/certs and the client settings in DIR/client.properties. kafkajs connects with the CA and the PLAIN
 * user written there and replicates a topic across both brokers; kcat reads the same file with -F; a wrong
 * password and a client without TLS are refused; a restart keeps the CA and the password.
 */

import assert from 'node:assert/strict'
import { existsSync } from 'node:fs'
import { readFile, stat } from 'node:fs/promises'
import { createRequire } from 'node:module'
import { after, before, describe, it } from 'node:test'
import type { KafkaConfig as KafkajsConfig } from 'kafkajs'
import { type ClusterState, isAlive } from '../../../src/cli/cluster-command.js'
import { parseProperties } from '../../../src/config/properties-parser.js'
import { runCli } from '../../helpers/broker-process.js'
import { ensureEtcd } from '../../helpers/etcd-process.js'
import { requirePeer } from '../../helpers/test-peers.js'
import { KCAT } from '../support/kcat.js'
import { runOk } from '../support/run-process.js'
import { launchClusterAfresh, stopCluster } from './cluster-kit.js'

const require = createRequire(import.meta.url)
const { Kafka, logLevel } = require('kafkajs') as typeof import('kafkajs')

describe('samsa cluster start --secure', async () => {
  const skip =
    (await ensureEtcd()) || requirePeer('openssl', existsSync('/usr/bin/openssl'), 'apt-get install openssl')
  let dir = ''
  let state: ClusterState | undefined
  let client: Map<string, string>
  let ca: string

  const kafkajs = (extra: Partial<KafkajsConfig>) =>
    new Kafka({
      clientId: 'secure-cluster',
      brokers: client.get('bootstrap.servers')!.split(','),
      logLevel: logLevel.NOTHING,
      retry: { retries: 2 },
      ...extra
    })
  const asAdmin = (password = client.get('sasl.password')!): Partial<KafkajsConfig> => ({
    ssl: { ca: [ca] },
    sasl: { mechanism: 'plain', username: client.get('sasl.username')!, password }
  })

  before(async () => {
    if (skip) return
    ;({ dir, state } = await launchClusterAfresh('samsa-secure-cluster-', {
      brokers: 2,
      secure: true,
      overrides: ['broker.session.timeout.ms=3000']
    }))
    assert.ok(state.secure, 'the state file records the secure settings')
    client = parseProperties(await readFile(state.secure.clientProperties, 'utf8'))
    ca = await readFile(client.get('ssl.ca.location')!, 'utf8')
  })
  after(() => stopCluster(dir, state))

  it('writes client.properties (0600) for the SASL_SSL listeners and each broker’s settings (0600)', {
    skip
  }, async () => {
    assert.equal(client.get('bootstrap.servers'), state!.bootstrap)
    assert.equal(client.get('security.protocol'), 'SASL_SSL')
    assert.equal(client.get('sasl.mechanism'), 'PLAIN')
    assert.equal(client.get('sasl.username'), 'admin')
    assert.ok((client.get('sasl.password') ?? '').length >= 20)
    assert.equal(client.get('ssl.ca.location'), `${state!.secure!.certsDir}/ca.pem`)
    assert.equal((await stat(state!.secure!.clientProperties)).mode & 0o777, 0o600)
    for (const b of state!.brokers) {
      assert.equal((await stat(`${dir}/broker-${b.nodeId}.properties`)).mode & 0o777, 0o600)
      assert.equal(typeof b.brokerPort, 'number')
    }
  })

  it('serves kafkajs over SASL_SSL: a topic replicated on both brokers, produced and consumed', {
    skip
  }, async () => {
    const kafka = kafkajs(asAdmin())
    const admin = kafka.admin()
    await admin.connect()
    try {
      await admin.createTopics({
        topics: [{ topic: 'secure', numPartitions: 2, replicationFactor: 2 }],
        waitForLeaders: true
      })
      const md = await admin.fetchTopicMetadata({ topics: ['secure'] })
      assert.deepEqual(
        md.topics[0]!.partitions.map((p) => p.replicas.length),
        [2, 2]
      )
    } finally {
      await admin.disconnect()
    }
    const producer = kafka.producer()
    await producer.connect()
    await producer.send({
      topic: 'secure',
      acks: -1,
      messages: [
        { key: 'a', value: 'one', partition: 0 },
        { key: 'b', value: 'two', partition: 1 }
      ]
    })
    await producer.disconnect()
    const consumer = kafka.consumer({ groupId: 'secure-group' })
    await consumer.connect()
    await consumer.subscribe({ topic: 'secure', fromBeginning: true })
    const seen: string[] = []
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`consumed only ${seen.join(',')}`)), 30_000)
      void consumer.run({
        eachMessage: async ({ message }) => {
          seen.push(message.value!.toString())
          if (seen.length === 2) {
            clearTimeout(timer)
            resolve()
          }
        }
      })
    })
    await consumer.disconnect()
    assert.deepEqual(seen.sort(), ['one', 'two'])
  })

  it('serves kcat -F client.properties', {
    skip: skip || requirePeer('kcat', existsSync(KCAT), 'apt-get install kcat')
  }, async () => {
    const { stdout } = await runOk(
      KCAT,
      [
        '-F',
        state!.secure!.clientProperties,
        '-C',
        '-t',
        'secure',
        '-e',
        '-o',
        'beginning',
        '-f',
        '%s\n',
        '-q'
      ],
      { timeoutMs: 30_000 }
    )
    assert.deepEqual(stdout.toString('utf8').trim().split('\n').sort(), ['one', 'two'])
  })

  it('refuses a wrong password and a client without TLS', { skip }, async () => {
    const wrong = kafkajs({ ...asAdmin('not-the-password'), retry: { retries: 0 } }).admin()
    await assert.rejects(wrong.connect(), /SASL PLAIN authentication failed|Invalid username or password/)
    const plaintext = kafkajs({
      retry: { retries: 0 },
      connectionTimeout: 2000,
      requestTimeout: 2000
    }).admin()
    await assert.rejects(plaintext.connect())
    await plaintext.disconnect().catch(() => undefined)
  })

  it('serves each broker’s admin listener over https with Basic authentication against the SASL users', {
    skip
  }, async () => {
    const { request } = await import('node:https')
    const get = (url: string, auth?: string) =>
      new Promise<number>((resolve, reject) => {
        const headers = auth ? { authorization: `Basic ${Buffer.from(auth).toString('base64')}` } : undefined
        request(url, { ca, headers }, (res) => {
          res.resume()
          resolve(res.statusCode ?? 0)
        })
          .on('error', reject)
          .end()
      })
    for (const b of state!.brokers) {
      assert.match(b.adminUrl ?? '', /^https:\/\/127\.0\.0\.1:\d+$/)
      const user = client.get('sasl.username')!
      assert.equal(await get(`${b.adminUrl}/metrics`), 401)
      assert.equal(await get(`${b.adminUrl}/metrics`, `${user}:wrong`), 401)
      assert.equal(await get(`${b.adminUrl}/metrics`, `${user}:${client.get('sasl.password')}`), 200)
      assert.equal(await get(`${b.adminUrl}/readyz`), 200)
    }
  })

  it('keeps the CA and the password across stop and start, and stop leaves no process', {
    skip
  }, async () => {
    const caBefore = ca
    const stopped = await runCli(['cluster', 'stop', '--dir', dir], 60_000)
    assert.equal(stopped.code, 0, stopped.stderr)
    for (const pid of [state!.etcd.pid, ...state!.brokers.map((b) => b.pid)])
      assert.equal(isAlive(pid), false)
    const basePort = state!.brokers[0]!.port
    const again = await runCli(
      ['cluster', 'start', '--brokers', '2', '--dir', dir, '--base-port', String(basePort), '--secure'],
      60_000
    )
    assert.equal(again.code, 0, again.stderr)
    assert.match(again.stdout, /client settings in .*client\.properties/)
    state = JSON.parse(await readFile(`${dir}/cluster.json`, 'utf8')) as ClusterState
    const after = parseProperties(await readFile(state.secure!.clientProperties, 'utf8'))
    assert.equal(after.get('sasl.password'), client.get('sasl.password'))
    assert.equal(await readFile(after.get('ssl.ca.location')!, 'utf8'), caBefore)
    const admin = kafkajs(asAdmin()).admin()
    await admin.connect()
    assert.ok((await admin.listTopics()).includes('secure'))
    await admin.disconnect()
  })
})
