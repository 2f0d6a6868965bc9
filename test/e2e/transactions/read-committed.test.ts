/**
 * The log side of transactions against a real broker: a python3-confluent-kafka (librdkafka) transactional
 * producer commits, aborts and leaves a transaction open; a read_committed librdkafka consumer sees only the
 * committed record, ListOffsets read_committed answers the last stable offset (the open transaction's first
 * offset) while read_uncommitted answers the high watermark, and a raw read_committed Fetch reports the
 * aborted transaction.
 */

import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import type { FetchResponse } from '../../../src/protocol/messages/fetch.js'
import type { ListOffsetsResponse } from '../../../src/protocol/messages/list-offsets.js'
import { BrokerProcess } from '../../helpers/broker-process.js'
import { PYTHON } from '../support/confluent.js'
import { rawRequest } from '../support/raw-requests.js'
import { runOk } from '../support/run-process.js'
import { TXN_BROKER_OVERRIDES } from './txn-kit.js'

const PROGRAM = `
import json, os, sys
from confluent_kafka import Consumer, Producer, TopicPartition

cmd = json.load(sys.stdin)
base = {'bootstrap.servers': cmd['bootstrap']}
p = Producer(dict(base, **{'transactional.id': 'rc-1', 'transaction.timeout.ms': 60000}))
p.init_transactions(15)
for value, commit in (('a', True), ('b', False)):
    p.begin_transaction()
    p.produce(cmd['topic'], value=value.encode())
    p.flush(15)
    p.commit_transaction(15) if commit else p.abort_transaction(15)
p.begin_transaction()
p.produce(cmd['topic'], value=b'open')
p.flush(15)

c = Consumer(dict(base, **{'group.id': 'rc-group', 'isolation.level': 'read_committed',
    'enable.partition.eof': True, 'auto.offset.reset': 'earliest', 'enable.auto.commit': False}))
c.assign([TopicPartition(cmd['topic'], 0, 0)])
values = []
while True:
    m = c.poll(10)
    if m is None:
        raise SystemExit('no partition EOF within 10 s')
    if m.error():
        if m.error().code() == -191:  # _PARTITION_EOF: reached the last stable offset
            break
        raise SystemExit(str(m.error()))
    values.append(m.value().decode())
c.close()
print(json.dumps({'values': values}), flush=True)
# Exit with the transaction still open: no abort, no flush.
os._exit(0)
`

async function latest(port: number, isolationLevel: number): Promise<bigint> {
  const res = await rawRequest<ListOffsetsResponse>(port, 2, 7, {
    replicaId: -1,
    isolationLevel,
    topics: [{ name: 'rc', partitions: [{ partitionIndex: 0, currentLeaderEpoch: -1, timestamp: -1n }] }]
  })
  const p = res.topics[0]?.partitions[0]
  assert.equal(p?.errorCode, 0)
  return p.offset ?? -1n
}

describe('read_committed against open and aborted transactions', { timeout: 90_000 }, () => {
  let broker: BrokerProcess
  before(async () => {
    broker = await BrokerProcess.start({ overrides: TXN_BROKER_OVERRIDES })
    await rawRequest(broker.port, 19, 4, {
      topics: [{ name: 'rc', numPartitions: 1, replicationFactor: 1, assignments: [], configs: [] }],
      timeoutMs: 10_000,
      validateOnly: false
    })
  })
  after(async () => {
    await broker?.stop()
  })

  it('stops at the open transaction and skips the aborted one', async () => {
    const input = JSON.stringify({ bootstrap: broker.bootstrap, topic: 'rc' })
    const { stdout } = await runOk(PYTHON, ['-c', PROGRAM], { input, timeoutMs: 60_000 })
    const out = JSON.parse(stdout.toString()) as { values: string[] }
    assert.deepEqual(out.values, ['a'])

    // a@0, COMMIT@1, b@2, ABORT@3, open@4 (its transaction still open).
    assert.equal(await latest(broker.port, 0), 5n)
    assert.equal(await latest(broker.port, 1), 4n)

    const fetch = await rawRequest<FetchResponse>(broker.port, 1, 12, {
      replicaId: -1,
      maxWaitMs: 0,
      minBytes: 0,
      maxBytes: 1 << 20,
      isolationLevel: 1,
      sessionId: 0,
      sessionEpoch: -1,
      topics: [
        {
          topic: 'rc',
          partitions: [
            {
              partition: 0,
              currentLeaderEpoch: -1,
              fetchOffset: 0n,
              lastFetchedEpoch: -1,
              logStartOffset: -1n,
              partitionMaxBytes: 1 << 20
            }
          ]
        }
      ],
      forgottenTopicsData: [],
      rackId: ''
    })
    const p = fetch.responses[0]?.partitions[0]
    assert.equal(p?.errorCode, 0)
    assert.equal(p.lastStableOffset, 4n)
    assert.equal(p.highWatermark, 5n)
    assert.equal(p.abortedTransactions?.length, 1)
    assert.equal(p.abortedTransactions?.[0]?.firstOffset, 2n)
  })
})
