/**
 * kafkajs 2.2.4 transactions against a real broker process: commit / abort / commit with markers on the
 * partition, sendOffsets visible to the group only after commit, zombie fencing by a new instance, and the
 * exact error codes of EndTxn in a wrong state and of an invalid transaction timeout.
 */

import assert from 'node:assert/strict'
import { createRequire } from 'node:module'
import { after, before, describe, it } from 'node:test'
import type { Admin, Kafka as KafkaClient, Producer } from 'kafkajs'
import type { OffsetFetchResponse } from '../../../src/protocol/messages/offset-fetch.js'
import { BrokerProcess } from '../../helpers/broker-process.js'
import { kcatConsume } from '../support/kcat.js'
import { rawRequest } from '../support/raw-requests.js'
import {
  describeTransaction,
  endTxn,
  eventually,
  initProducerId,
  listTransactions,
  TXN_BROKER_OVERRIDES,
  waitForTxnCoordinator
} from './txn-kit.js'

const require = createRequire(import.meta.url)
const { Kafka, logLevel } = require('kafkajs') as typeof import('kafkajs')

/** librdkafka reads read_committed by default; these reads want every record, aborted ones included. */
const READ_UNCOMMITTED = { config: ['isolation.level=read_uncommitted'] }

describe('kafkajs transactions', () => {
  let broker: BrokerProcess
  let kafka: KafkaClient
  let admin: Admin
  const producers: Producer[] = []

  const transactionalProducer = async (transactionalId: string): Promise<Producer> => {
    const p = kafka.producer({ transactionalId, idempotent: true, maxInFlightRequests: 1 })
    producers.push(p)
    await p.connect()
    return p
  }

  before(async () => {
    broker = await BrokerProcess.start({ overrides: TXN_BROKER_OVERRIDES })
    kafka = new Kafka({
      clientId: 'e2e-kafkajs-txn',
      brokers: [broker.bootstrap],
      logLevel: logLevel.NOTHING,
      retry: { retries: 8, initialRetryTime: 100, maxRetryTime: 1000 }
    })
    admin = kafka.admin()
    await admin.connect()
    await admin.createTopics({
      topics: [
        { topic: 'txn-data', numPartitions: 1 },
        { topic: 'txn-offsets-src', numPartitions: 1 },
        { topic: 'txn-zombie', numPartitions: 1 }
      ],
      waitForLeaders: true
    })
    await waitForTxnCoordinator(broker.port, 'warm-up')
  })

  after(async () => {
    for (const p of producers) await p.disconnect().catch(() => undefined)
    await admin?.disconnect()
    await broker?.stop()
  })

  it('commit, abort, commit: markers follow each transaction and the coordinator reports CompleteCommit', async () => {
    const producer = await transactionalProducer('kjs-cac')
    for (const [value, commit] of [
      ['a', true],
      ['b', false],
      ['c', true]
    ] as const) {
      const txn = await producer.transaction()
      await txn.send({ topic: 'txn-data', messages: [{ value }] })
      if (commit) await txn.commit()
      else await txn.abort()
    }
    // Each transaction is one record and one marker: the data records sit at offsets 0, 2 and 4.
    const all = await kcatConsume(broker.bootstrap, 'txn-data', READ_UNCOMMITTED)
    assert.deepEqual(
      all.map((r) => [r.offset, r.value?.toString()]),
      [
        [0n, 'a'],
        [2n, 'b'],
        [4n, 'c']
      ]
    )
    const described = await eventually(async () => {
      const d = await describeTransaction(broker.port, 'kjs-cac')
      return d.transactionState === 'CompleteCommit' ? d : undefined
    }, 'CompleteCommit')
    assert.equal(described.errorCode, 0)
    assert.deepEqual(described.topics, [])
    const listed = await listTransactions(broker.port, ['CompleteCommit'])
    assert.ok(listed.transactionStates.some((t) => t.transactionalId === 'kjs-cac'))
    const unknownFilter = await listTransactions(broker.port, ['NoSuchState'])
    assert.deepEqual(unknownFilter.unknownStateFilters, ['NoSuchState'])
    assert.deepEqual(unknownFilter.transactionStates, [])
  })

  it('a read_committed consumer sees only committed records', async () => {
    const committed = await kcatConsume(broker.bootstrap, 'txn-data', {
      config: ['isolation.level=read_committed']
    })
    assert.deepEqual(
      committed.map((r) => r.value?.toString()),
      ['a', 'c']
    )
  })

  it('sendOffsets: offsets become visible to the group only after commit, and never after abort', async () => {
    const producer = await transactionalProducer('kjs-offsets')
    const group = 'kjs-txn-group'
    const fetch = async () => {
      const r = await admin.fetchOffsets({ groupId: group, topics: ['txn-offsets-src'] })
      return r[0]?.partitions[0]?.offset
    }
    let txn = await producer.transaction()
    await txn.send({ topic: 'txn-data', messages: [{ value: 'with-offsets' }] })
    await txn.sendOffsets({
      consumerGroupId: group,
      topics: [{ topic: 'txn-offsets-src', partitions: [{ partition: 0, offset: '5' }] }]
    })
    assert.equal(await fetch(), '-1', 'pending offsets must not be visible')
    // KIP-447: a consumer asking for stable offsets is told to retry while they are pending.
    const stable = await rawRequest<OffsetFetchResponse>(broker.port, 9, 7, {
      groupId: group,
      topics: [{ name: 'txn-offsets-src', partitionIndexes: [0] }],
      requireStable: true
    })
    assert.equal(stable.topics?.[0]?.partitions[0]?.errorCode, 88, 'UNSTABLE_OFFSET_COMMIT')
    await txn.commit()
    assert.equal(
      await eventually(async () => ((await fetch()) === '5' ? '5' : undefined), 'committed offset'),
      '5'
    )

    txn = await producer.transaction()
    await txn.sendOffsets({
      consumerGroupId: group,
      topics: [{ topic: 'txn-offsets-src', partitions: [{ partition: 0, offset: '9' }] }]
    })
    await txn.abort()
    await eventually(async () => {
      const d = await describeTransaction(broker.port, 'kjs-offsets')
      return d.transactionState === 'CompleteAbort' ? true : undefined
    }, 'CompleteAbort')
    assert.equal(await fetch(), '5', 'aborted offsets are dropped')
  })

  it('a new instance fences the zombie: its ongoing transaction is aborted and its epoch is stale', async () => {
    const zombie = await transactionalProducer('kjs-zombie')
    const zombieTxn = await zombie.transaction()
    await zombieTxn.send({ topic: 'txn-zombie', messages: [{ value: 'zombie' }] })
    const before = await describeTransaction(broker.port, 'kjs-zombie')
    assert.equal(before.transactionState, 'Ongoing')

    const successor = await transactionalProducer('kjs-zombie')
    // kafkajs initialises the transactional producer id on its first transaction.
    const txn = await successor.transaction()
    const after = await describeTransaction(broker.port, 'kjs-zombie')
    assert.equal(after.producerId, before.producerId)
    assert.ok(after.producerEpoch > before.producerEpoch, 'the new instance has a higher epoch')

    // kafkajs sends EndTxn v1, which reports fencing as INVALID_PRODUCER_EPOCH (47).
    await assert.rejects(zombieTxn.commit(), (err: Error & { type?: string }) => {
      assert.equal(err.type, 'INVALID_PRODUCER_EPOCH')
      return true
    })
    await txn.send({ topic: 'txn-zombie', messages: [{ value: 'successor' }] })
    await txn.commit()
    const records = await kcatConsume(broker.bootstrap, 'txn-zombie', READ_UNCOMMITTED)
    assert.deepEqual(
      records.map((r) => r.value?.toString()),
      ['zombie', 'successor'],
      'the zombie record stays in the log (aborted), the successor record is committed'
    )
  })

  it('EndTxn in state Empty is INVALID_TXN_STATE; fenced epochs are PRODUCER_FENCED from v2', async () => {
    await waitForTxnCoordinator(broker.port, 'raw-end')
    const init = await initProducerId(broker.port, 'raw-end', 10_000)
    assert.equal(init.errorCode, 0)
    const wrongState = await endTxn(broker.port, 'raw-end', init.producerId, init.producerEpoch, true)
    assert.equal(wrongState.errorCode, 48, 'INVALID_TXN_STATE')
    const stale = await endTxn(broker.port, 'raw-end', init.producerId, init.producerEpoch - 1, true)
    assert.equal(stale.errorCode, 90, 'PRODUCER_FENCED')
    const staleV1 = await endTxn(broker.port, 'raw-end', init.producerId, init.producerEpoch - 1, true, 1)
    assert.equal(staleV1.errorCode, 47, 'INVALID_PRODUCER_EPOCH')
    const wrongId = await endTxn(broker.port, 'raw-end', init.producerId + 1000n, init.producerEpoch, true)
    assert.equal(wrongId.errorCode, 49, 'INVALID_PRODUCER_ID_MAPPING')
  })

  it('a transaction timeout above transaction.max.timeout.ms is INVALID_TRANSACTION_TIMEOUT', async () => {
    await waitForTxnCoordinator(broker.port, 'raw-timeout')
    const r = await initProducerId(broker.port, 'raw-timeout', 60_001)
    assert.equal(r.errorCode, 50, 'INVALID_TRANSACTION_TIMEOUT')
    assert.equal(r.producerId, -1n)
    const missing = await describeTransaction(broker.port, 'raw-timeout')
    assert.equal(missing.errorCode, 105, 'TRANSACTIONAL_ID_NOT_FOUND')
  })
})
