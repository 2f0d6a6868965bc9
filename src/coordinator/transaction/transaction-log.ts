/**
 * Kafka's `__transaction_state` record formats (TransactionLogKey.json, TransactionLogValue.json), written by
 * hand on Reader/Writer. The key is int16 version 0 + the transactional id; the value starts with its own
 * version. Samsa writes value v0 (non-flexible, as Kafka does without transaction version 2) and reads v0
 * and v1 (flexible, with PreviousProducerId / NextProducerId / ClientTransactionVersion as tagged fields),
 * so a log written by Kafka loads too. A null value is a tombstone: the transactional id expired.
 */

import { ProtocolDecodeError } from '../../protocol/decode-error.js'
import { Reader } from '../../protocol/reader.js'
import { Writer } from '../../protocol/writer.js'
import { type TransactionState, transactionStateFromId, transactionStateId } from './transaction-state.js'

const KEY_VERSION = 0
const VALUE_VERSION = 0
const FLEXIBLE_VALUE_VERSION = 1

export interface TransactionLogTopic {
  topic: string
  partitionIds: number[]
}

export interface TransactionLogValue {
  producerId: bigint
  previousProducerId: bigint
  producerEpoch: number
  transactionTimeoutMs: number
  state: TransactionState
  partitions: TransactionLogTopic[]
  lastUpdateTimestampMs: bigint
  startTimestampMs: bigint
}

export function encodeTransactionLogKey(transactionalId: string): Buffer {
  return new Writer(32).writeInt16(KEY_VERSION).writeString(transactionalId).toBuffer()
}

/** Returns null for a key version this coordinator does not know (Kafka skips those too). */
export function decodeTransactionLogKey(buf: Buffer): string | null {
  const r = new Reader(buf)
  const version = r.readInt16()
  if (version !== KEY_VERSION) return null
  return r.readString()
}

export function encodeTransactionLogValue(v: TransactionLogValue): Buffer {
  const w = new Writer(64)
    .writeInt16(VALUE_VERSION)
    .writeInt64(v.producerId)
    .writeInt16(v.producerEpoch)
    .writeInt32(v.transactionTimeoutMs)
    .writeInt8(transactionStateId(v.state))
  // Kafka writes a null partition list for Empty and Complete* transactions.
  w.writeNullableArray(false, v.partitions.length === 0 ? null : v.partitions, (pw, t) => {
    pw.writeString(t.topic).writeArray(false, t.partitionIds, (iw, p) => iw.writeInt32(p))
  })
  return w.writeInt64(v.lastUpdateTimestampMs).writeInt64(v.startTimestampMs).toBuffer()
}

export function decodeTransactionLogValue(buf: Buffer): TransactionLogValue {
  const r = new Reader(buf)
  const version = r.readInt16()
  if (version !== VALUE_VERSION && version !== FLEXIBLE_VALUE_VERSION) {
    throw new ProtocolDecodeError(`unknown transaction log value version ${version}`)
  }
  const compact = version === FLEXIBLE_VALUE_VERSION
  const producerId = r.readInt64()
  const producerEpoch = r.readInt16()
  const transactionTimeoutMs = r.readInt32()
  const state = transactionStateFromId(r.readInt8())
  const partitions =
    r.readNullableArray(compact, (tr) => {
      const topic = compact ? tr.readCompactString() : tr.readString()
      const partitionIds = tr.readArray(compact, (pr) => pr.readInt32())
      if (compact) tr.readTaggedFields(() => false)
      return { topic, partitionIds }
    }) ?? []
  const lastUpdateTimestampMs = r.readInt64()
  const startTimestampMs = r.readInt64()
  let previousProducerId = -1n
  if (compact) {
    r.readTaggedFields((tag, tr) => {
      if (tag !== 0) return false
      previousProducerId = tr.readInt64()
      return true
    })
  }
  return {
    producerId,
    previousProducerId,
    producerEpoch,
    transactionTimeoutMs,
    state,
    partitions,
    lastUpdateTimestampMs,
    startTimestampMs
  }
}
