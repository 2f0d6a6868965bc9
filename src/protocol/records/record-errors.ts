import { ErrorCode, KafkaError } from '../error-codes.js'

/** A record batch that fails its CRC, its size checks, decompression, or record parsing (CORRUPT_MESSAGE). */
export class CorruptRecordError extends KafkaError {
  override readonly name: string = 'CorruptRecordError'
  constructor(message: string, options?: ErrorOptions) {
    super(ErrorCode.CORRUPT_MESSAGE, message, options)
  }
}

/** Compression bits naming a codec Kafka does not define (UNSUPPORTED_COMPRESSION_TYPE). */
export class UnsupportedCompressionTypeError extends KafkaError {
  override readonly name: string = 'UnsupportedCompressionTypeError'
  constructor(readonly compressionType: number) {
    super(ErrorCode.UNSUPPORTED_COMPRESSION_TYPE, `unsupported compression type ${compressionType}`)
  }
}

/**
 * A problem found while walking concatenated batches. `position` is where the offending batch starts,
 * i.e. where the valid bytes end; `truncated` tells a batch cut short (expected at the tail of a log
 * after a crash, or of a fetch response) from bytes that are wrong.
 */
export class RecordBatchScanError extends CorruptRecordError {
  override readonly name: string = 'RecordBatchScanError'
  constructor(
    message: string,
    readonly position: number,
    readonly truncated: boolean
  ) {
    super(message)
  }
}
