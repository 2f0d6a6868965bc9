/**
 * AWS_MSK_IAM end to end: a real broker with a SASL_PLAINTEXT listener offering AWS_MSK_IAM, access keys
 * created and deleted with `samsa iam` while it runs, and kafkajs configured exactly as for Amazon MSK with
 * @jm18457/kafkajs-msk-iam-authentication-mechanism and static credentials.
 */

import assert from 'node:assert/strict'
import { createRequire } from 'node:module'
import { after, before, describe, it } from 'node:test'
import { createMechanism } from '@jm18457/kafkajs-msk-iam-authentication-mechanism'
import type { Kafka as KafkaClient } from 'kafkajs'
import { BrokerProcess, runCli } from '../../helpers/broker-process.js'

const require = createRequire(import.meta.url)
const { Kafka, logLevel } = require('kafkajs') as typeof import('kafkajs')

interface CreatedKey {
  readonly accessKeyId: string
  readonly secretAccessKey: string
  readonly user: string
}

describe('AWS_MSK_IAM end to end', () => {
  let broker: BrokerProcess
  const iam = async (...args: string[]) => {
    const r = await runCli(['iam', ...args, '--override', `log.dirs=${broker.logDir}`])
    assert.equal(r.code, 0, r.stderr)
    return JSON.parse(r.stdout) as unknown
  }
  const kafkajs = (accessKeyId: string, secretAccessKey: string): KafkaClient =>
    new Kafka({
      clientId: 'e2e-msk-iam',
      brokers: [`127.0.0.1:${broker.portOf('SASL_PLAINTEXT')}`],
      logLevel: logLevel.NOTHING,
      retry: { retries: 1 },
      // What an MSK user configures, unchanged: the mechanism signs for the host it connects to.
      sasl: createMechanism({ region: 'eu-west-1', credentials: { accessKeyId, secretAccessKey } }) as never
    })

  before(async () => {
    broker = await BrokerProcess.start({
      overrides: [
        'listeners=PLAINTEXT://127.0.0.1:0,SASL_PLAINTEXT://127.0.0.1:0',
        'listener.name.sasl_plaintext.sasl.enabled.mechanisms=AWS_MSK_IAM',
        'listener.name.sasl_plaintext.aws_msk_iam.sasl.jaas.config=software.amazon.msk.auth.iam.IAMLoginModule required;',
        'connection.failed.authentication.delay.ms=100',
        'group.initial.rebalance.delay.ms=0',
        'offsets.topic.replication.factor=1'
      ]
    })
  })
  after(async () => {
    await broker?.stop()
  })

  it('authenticates kafkajs with a key made by samsa iam while the broker runs: produce and consume', async () => {
    const key = (await iam('create-access-key', '--user', 'alice')) as CreatedKey
    assert.equal(key.user, 'alice')
    assert.match(key.accessKeyId, /^AKIA[A-Z2-7]{16}$/)
    const listed = (await iam('list-access-keys')) as Record<string, unknown>[]
    assert.deepEqual(
      listed.map((k) => [k.accessKeyId, k.user, 'secretAccessKey' in k]),
      [[key.accessKeyId, 'alice', false]]
    )
    // The broker follows the keys within a second.
    await new Promise((r) => setTimeout(r, 1200))

    const kafka = kafkajs(key.accessKeyId, key.secretAccessKey)
    const producer = kafka.producer({ allowAutoTopicCreation: true })
    await producer.connect()
    await producer.send({ topic: 'iam-topic', acks: -1, messages: [{ key: 'k', value: 'signed in' }] })
    await producer.disconnect()

    const consumer = kafka.consumer({ groupId: 'iam-group' })
    await consumer.connect()
    try {
      await consumer.subscribe({ topic: 'iam-topic', fromBeginning: true })
      const value = await new Promise<string>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error('no record within 20 s')), 20_000)
        void consumer.run({
          eachMessage: async ({ message }) => {
            clearTimeout(timer)
            resolve(String(message.value))
          }
        })
      })
      assert.equal(value, 'signed in')
    } finally {
      await consumer.disconnect()
    }
  })

  it('refuses a wrong secret, an unknown key, and a key deleted with samsa iam', async () => {
    const key = (await iam('create-access-key', '--user', 'bob')) as CreatedKey
    await new Promise((r) => setTimeout(r, 1200))
    const refused = async (kafka: KafkaClient) => {
      const admin = kafka.admin()
      await assert.rejects(admin.connect(), (err: Error) => {
        assert.match(err.message, /Authentication failed: invalid access key id or signature/)
        return true
      })
    }
    await refused(kafkajs(key.accessKeyId, 'not-bobs-secret-at-all-0000000000000000'))
    await refused(kafkajs('AKIAAAAAAAAAAAAAAAAA', key.secretAccessKey))

    const admin = kafkajs(key.accessKeyId, key.secretAccessKey).admin()
    await admin.connect()
    await admin.listTopics()
    await admin.disconnect()

    assert.deepEqual(await iam('delete-access-key', key.accessKeyId), {
      accessKeyId: key.accessKeyId,
      deleted: true
    })
    await new Promise((r) => setTimeout(r, 1200))
    await refused(kafkajs(key.accessKeyId, key.secretAccessKey))
  })
})
