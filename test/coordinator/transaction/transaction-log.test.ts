import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import {
  decodeTransactionLogKey,
  decodeTransactionLogValue,
  encodeTransactionLogKey,
  encodeTransactionLogValue,
  type TransactionLogValue
} from '../../../src/coordinator/transaction/transaction-log.js'
import { Writer } from '../../../src/protocol/writer.js'

const VALUE: TransactionLogValue = {
  producerId: 42n,
  previousProducerId: -1n,
  producerEpoch: 3,
  transactionTimeoutMs: 60_000,
  state: 'Ongoing',
  partitions: [
    { topic: 'a', partitionIds: [0, 2] },
    { topic: 'b', partitionIds: [1] }
  ],
  lastUpdateTimestampMs: 1700000000123n,
  startTimestampMs: 1700000000000n
}

describe('transaction log records', () => {
  it('key: int16 version 0 then the transactional id', () => {
    const key = encodeTransactionLogKey('my-txn')
    assert.deepEqual(key, Buffer.from([0, 0, 0, 6, ...Buffer.from('my-txn')]))
    assert.equal(decodeTransactionLogKey(key), 'my-txn')
    assert.equal(decodeTransactionLogKey(Buffer.from([0, 9, 0, 0])), null)
  })

  it('value v0 round-trips; an empty partition list is written as null', () => {
    assert.deepEqual(decodeTransactionLogValue(encodeTransactionLogValue(VALUE)), VALUE)
    const empty = encodeTransactionLogValue({ ...VALUE, state: 'CompleteCommit', partitions: [] })
    // version(2) pid(8) epoch(2) timeout(4) status(1) → the array length follows at byte 17.
    assert.equal(empty.readInt32BE(17), -1)
    assert.equal(empty.readInt8(16), 4, 'CompleteCommit is state id 4')
    assert.deepEqual(decodeTransactionLogValue(empty).partitions, [])
  })

  it('reads a flexible v1 value with tagged fields, as newer Kafka writes', () => {
    const w = new Writer(64)
      .writeInt16(1)
      .writeInt64(42n)
      .writeInt16(3)
      .writeInt32(60_000)
      .writeInt8(2)
      .writeArrayLength(true, 1)
      .writeCompactString('a')
      .writeArray(true, [5], (iw, p) => iw.writeInt32(p))
      .writeTaggedFields([], undefined)
      .writeInt64(10n)
      .writeInt64(9n)
      .writeTaggedFields(
        [
          [0, (tw) => tw.writeInt64(41n)],
          [2, (tw) => tw.writeInt16(2)]
        ],
        undefined
      )
    const v = decodeTransactionLogValue(w.toBuffer())
    assert.equal(v.state, 'PrepareCommit')
    assert.equal(v.previousProducerId, 41n)
    assert.deepEqual(v.partitions, [{ topic: 'a', partitionIds: [5] }])
    assert.equal(v.startTimestampMs, 9n)
  })
})
