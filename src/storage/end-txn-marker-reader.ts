import { Reader } from '../protocol/reader.js'
import {
  ControlRecordType,
  decodeControlRecordKey,
  type EndTxnMarker
} from '../protocol/records/control-record.js'
import { RECORD_BATCH_OVERHEAD } from '../protocol/records/record-batch-header.js'

/**
 * The COMMIT/ABORT marker in the control batch at `batchPos` of `buf`, read synchronously from the first
 * record (control batches are never compressed). Undefined for other control records (KRaft's) or a
 * malformed one: producer state then treats the batch as no marker at all, as Kafka ignores unknown types.
 */
export function readEndTxnMarker(buf: Buffer, batchPos: number): EndTxnMarker | undefined {
  try {
    const r = new Reader(buf, batchPos + RECORD_BATCH_OVERHEAD)
    r.readVarint() // record length
    r.readInt8() // attributes
    r.readVarlong() // timestamp delta
    r.readVarint() // offset delta
    const keyLength = r.readVarint()
    if (keyLength < 0) return undefined
    const { type } = decodeControlRecordKey(r.readRaw(keyLength))
    if (type !== ControlRecordType.ABORT && type !== ControlRecordType.COMMIT) return undefined
    const valueLength = r.readVarint()
    if (valueLength < 6) return undefined
    const value = r.readRaw(valueLength)
    if (value.readInt16BE(0) < 0) return undefined
    return { type, coordinatorEpoch: value.readInt32BE(2) }
  } catch {
    return undefined
  }
}
