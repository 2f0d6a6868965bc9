/**
 * python3-confluent-kafka (librdkafka 2.0.2) transactional producer against a real broker process: commit,
 * abort, commit with send_offsets_to_transaction, then a second instance with the same transactional.id
 * fences the first (librdkafka reports it as a fatal fencing error).
 */

import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { BrokerProcess } from '../../helpers/broker-process.js'
import { PYTHON } from '../support/confluent.js'
import { kcatConsume } from '../support/kcat.js'
import { rawRequest } from '../support/raw-requests.js'
import { runOk } from '../support/run-process.js'
import { describeTransaction, eventually, TXN_BROKER_OVERRIDES } from './txn-kit.js'

const PROGRAM = `
import json, sys
from confluent_kafka import Consumer, KafkaException, Producer, TopicPartition

cmd = json.load(sys.stdin)
base = {'bootstrap.servers': cmd['bootstrap']}
out = {}

def producer():
    return Producer(dict(base, **{'transactional.id': cmd['txnId'], 'transaction.timeout.ms': 30000}))

p = producer()
p.init_transactions(15)
for value, commit in (('a', True), ('b', False), ('c', True)):
    p.begin_transaction()
    p.produce(cmd['topic'], value=value.encode())
    if value == 'c':
        c = Consumer(dict(base, **{'group.id': cmd['group'], 'enable.auto.commit': False}))
        p.send_offsets_to_transaction([TopicPartition(cmd['topic'], 0, 3)], c.consumer_group_metadata(), 15)
        c.close()
    # Flushed so that the aborted record really reaches the log (abort would otherwise purge it unsent).
    p.flush(15)
    if commit:
        p.commit_transaction(15)
    else:
        p.abort_transaction(15)

p2 = producer()
p2.init_transactions(15)
try:
    p.begin_transaction()
    p.produce(cmd['topic'], value=b'zombie')
    p.commit_transaction(15)
    out['zombie'] = 'committed'
except KafkaException as ex:
    err = ex.args[0]
    out['zombie'] = {'name': err.name(), 'fatal': err.fatal()}
p2.begin_transaction()
p2.produce(cmd['topic'], value=b'd')
p2.commit_transaction(15)
out['done'] = True
print(json.dumps(out))
`

/** librdkafka reads read_committed by default; these reads want every record, aborted ones included. */
const READ_UNCOMMITTED = { config: ['isolation.level=read_uncommitted'] }

describe('confluent-kafka transactional producer', () => {
  let broker: BrokerProcess
  before(async () => {
    broker = await BrokerProcess.start({ overrides: TXN_BROKER_OVERRIDES })
    await rawRequest(broker.port, 19, 4, {
      topics: [{ name: 'ck-txn', numPartitions: 1, replicationFactor: 1, assignments: [], configs: [] }],
      timeoutMs: 10_000,
      validateOnly: false
    })
  })
  after(async () => {
    await broker?.stop()
  })

  it('commit, abort, commit with offsets; a second instance fences the first', async () => {
    const input = JSON.stringify({
      bootstrap: broker.bootstrap,
      topic: 'ck-txn',
      txnId: 'ck-1',
      group: 'ck-group'
    })
    const { stdout } = await runOk(PYTHON, ['-c', PROGRAM], { input, timeoutMs: 60_000 })
    const out = JSON.parse(stdout.toString()) as { zombie: unknown; done: boolean }
    assert.equal(out.done, true)
    assert.deepEqual(out.zombie, { name: '_FENCED', fatal: true })

    const records = await kcatConsume(broker.bootstrap, 'ck-txn', READ_UNCOMMITTED)
    assert.deepEqual(
      records.map((r) => r.value?.toString()),
      ['a', 'b', 'c', 'd'],
      'the fenced zombie never got a record in; each transaction left its marker'
    )
    assert.deepEqual(
      records.map((r) => r.offset),
      [0n, 2n, 4n, 6n]
    )
    const d = await eventually(async () => {
      const s = await describeTransaction(broker.port, 'ck-1')
      return s.transactionState === 'CompleteCommit' ? s : undefined
    }, 'CompleteCommit')
    assert.equal(d.producerEpoch, 1, 'the second instance runs at epoch 1')
    const offsets = await kcatOffsets(broker, 'ck-group')
    assert.equal(offsets, 3n)
  })

  it('a read_committed consumer (kcat) skips the aborted transaction', async () => {
    const committed = await kcatConsume(broker.bootstrap, 'ck-txn', {
      config: ['isolation.level=read_committed']
    })
    assert.deepEqual(
      committed.map((r) => r.value?.toString()),
      ['a', 'c', 'd']
    )
  })
})

/** The group's committed offset of ck-txn/0, read with OffsetFetch v5. */
async function kcatOffsets(broker: BrokerProcess, group: string): Promise<bigint | undefined> {
  const r = await rawRequest<{ topics: { partitions: { committedOffset: bigint }[] }[] }>(broker.port, 9, 5, {
    groupId: group,
    topics: [{ name: 'ck-txn', partitionIndexes: [0] }]
  })
  return r.topics[0]?.partitions[0]?.committedOffset
}
