import { ProtocolDecodeError } from '../decode-error.js'
import { Reader } from '../reader.js'
import type { KafkaRecord } from './record.js'
import { createRecordBatch, type RecordBatch } from './record-batch.js'
import { CorruptRecordError } from './record-errors.js'

/** Control record types (the `type` in a control record's key). 0 and 1 end transactions; 2-6 are KRaft's. */
export const ControlRecordType = {
  ABORT: 0,
  COMMIT: 1,
  LEADER_CHANGE: 2,
  SNAPSHOT_HEADER: 3,
  SNAPSHOT_FOOTER: 4,
  KRAFT_VERSION: 5,
  KRAFT_VOTERS: 6
} as const
export type ControlRecordType = (typeof ControlRecordType)[keyof typeof ControlRecordType]

const CONTROL_KEY_VERSION = 0
const END_TXN_MARKER_VERSION = 0
const CONTROL_KEY_SIZE = 4
const END_TXN_MARKER_SIZE = 6

export interface ControlRecordKey {
  version: number
  type: number
}

export function encodeControlRecordKey(type: number, version = CONTROL_KEY_VERSION): Buffer {
  const b = Buffer.allocUnsafe(CONTROL_KEY_SIZE)
  b.writeInt16BE(version, 0)
  b.writeInt16BE(type, 2)
  return b
}

/** Parses a control key. Like Kafka, a newer key version is read as version 0 (extra bytes ignored). */
export function decodeControlRecordKey(key: Buffer | null): ControlRecordKey {
  try {
    if (key === null) throw new ProtocolDecodeError('control record without a key')
    const r = new Reader(key)
    const version = r.readInt16()
    if (version < 0) throw new ProtocolDecodeError(`invalid control key version ${version}`)
    return { version, type: r.readInt16() }
  } catch (err) {
    if (err instanceof ProtocolDecodeError) throw new CorruptRecordError(err.message, { cause: err })
    throw err
  }
}

/** The COMMIT or ABORT marker a transaction coordinator writes to each partition of a transaction. */
export interface EndTxnMarker {
  type: typeof ControlRecordType.ABORT | typeof ControlRecordType.COMMIT
  coordinatorEpoch: number
}

export function encodeEndTxnMarkerValue(coordinatorEpoch: number): Buffer {
  const b = Buffer.allocUnsafe(END_TXN_MARKER_SIZE)
  b.writeInt16BE(END_TXN_MARKER_VERSION, 0)
  b.writeInt32BE(coordinatorEpoch, 2)
  return b
}

export function decodeEndTxnMarker(record: KafkaRecord): EndTxnMarker {
  const { type } = decodeControlRecordKey(record.key)
  if (type !== ControlRecordType.ABORT && type !== ControlRecordType.COMMIT) {
    throw new CorruptRecordError(`control record type ${type} is not a transaction marker`)
  }
  const value = record.value
  if (value === null || value.length < END_TXN_MARKER_SIZE) {
    throw new CorruptRecordError('end transaction marker value is too short')
  }
  if (value.readInt16BE(0) < 0) throw new CorruptRecordError('invalid end transaction marker version')
  return { type, coordinatorEpoch: value.readInt32BE(2) }
}

export interface EndTxnMarkerBatchInit {
  marker: EndTxnMarker
  producerId: bigint
  producerEpoch: number
  /** Marker time; written as both base and max timestamp. */
  timestamp: bigint
  baseOffset?: bigint
  partitionLeaderEpoch?: number
}

/** A control batch holding one end-transaction marker, as Kafka writes it: transactional, uncompressed. */
export function createEndTxnMarkerBatch(init: EndTxnMarkerBatchInit): RecordBatch {
  return createRecordBatch({
    baseOffset: init.baseOffset ?? 0n,
    partitionLeaderEpoch: init.partitionLeaderEpoch ?? -1,
    isTransactional: true,
    isControl: true,
    producerId: init.producerId,
    producerEpoch: init.producerEpoch,
    baseTimestamp: init.timestamp,
    maxTimestamp: init.timestamp,
    records: [
      {
        attributes: 0,
        timestampDelta: 0n,
        offsetDelta: 0,
        key: encodeControlRecordKey(init.marker.type),
        value: encodeEndTxnMarkerValue(init.marker.coordinatorEpoch),
        headers: []
      }
    ]
  })
}
