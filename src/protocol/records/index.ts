export { codecName, compress, compressSync, decompress, decompressSync } from './compression.js'
export {
  COMPRESSION_CODEC_MASK,
  CompressionType,
  compressionTypeOf,
  isCompressionType
} from './compression-type.js'
export {
  type ControlRecordKey,
  ControlRecordType,
  createEndTxnMarkerBatch,
  decodeControlRecordKey,
  decodeEndTxnMarker,
  type EndTxnMarker,
  type EndTxnMarkerBatchInit,
  encodeControlRecordKey,
  encodeEndTxnMarkerValue
} from './control-record.js'
export { crc32c } from './crc32c.js'
export { type KafkaRecord, type RecordHeader, readRecord, writeRecord } from './record.js'
export {
  batchAttributes,
  CONTROL_BIT,
  createRecordBatch,
  DELETE_HORIZON_BIT,
  decodeRecordBatch,
  encodeRecordBatch,
  NO_PARTITION_LEADER_EPOCH,
  NO_PRODUCER_EPOCH,
  NO_PRODUCER_ID,
  NO_SEQUENCE,
  type RecordBatch,
  type RecordBatchInit,
  recordOffset,
  recordTimestamp,
  TIMESTAMP_TYPE_BIT,
  TimestampType,
  TRANSACTIONAL_BIT
} from './record-batch.js'
export * from './record-batch-header.js'
export {
  type BatchEntry,
  type BatchScanOptions,
  type BatchScanResult,
  iterateBatches,
  scanBatches
} from './record-batch-iterator.js'
export {
  BatchCheck,
  batchSizeAt,
  CURRENT_MAGIC,
  checkBatch,
  isBatchCrcValid,
  MIN_BATCH_LENGTH,
  validateRecordBatch
} from './record-batch-validation.js'
export { CorruptRecordError, RecordBatchScanError, UnsupportedCompressionTypeError } from './record-errors.js'
