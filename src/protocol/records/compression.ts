import { promisify } from 'node:util'
import { gunzip, gunzipSync, gzip, gzipSync } from 'node:zlib'
import { compressFrame, compressFrameSync, decompressFrame, decompressFrameSync } from 'lz4-napi'
import {
  compress as snappyCompress,
  compressSync as snappyCompressSync,
  uncompress as snappyUncompress,
  uncompressSync as snappyUncompressSync
} from 'snappy'
import { compress as zstdCompress } from 'zstd-napi'
import {
  checkLz4Bound,
  checkSnappyLength,
  DecompressedSizeError,
  MAX_DECOMPRESSED_BATCH_BYTES,
  zstdDecompressBounded,
  zstdDecompressBoundedSync
} from './compression-limits.js'
import { CompressionType, isCompressionType } from './compression-type.js'
import { assertCompleteLz4Frame } from './lz4-frame.js'
import { CorruptRecordError, UnsupportedCompressionTypeError } from './record-errors.js'
import { isXerialFramed, xerialBlocks } from './snappy-xerial.js'

const gzipAsync = promisify(gzip)
const gunzipAsync = promisify(gunzip)

/*
 * Codec choices for interop with every client:
 * - gzip: plain gzip members (zlib).
 * - snappy: we emit raw (unframed) snappy, as librdkafka and kafkajs do; snappy-java's input stream falls
 *   back to raw when the xerial magic is missing, and @platformatic/kafka only reads raw. We read both.
 * - lz4: the LZ4 frame format with independent blocks and a correct header checksum (Kafka's Java reader
 *   rejects linked blocks). The pre-magic-2 broken header checksum is out of scope: v2 batches only.
 * - zstd: standard frames; frames without a content size (streaming producers) are accepted.
 * gzip, snappy and lz4 run on the libuv thread pool. zstd-napi has no async API, so zstd runs on the
 * calling thread in bounded steps with yields between them (compression-limits.ts).
 * Every decompression is capped (MAX_DECOMPRESSED_BATCH_BYTES by default): a payload that would inflate
 * past it fails with INVALID_RECORD before the output is allocated (snappy, lz4: from the sizes the payload
 * declares) or as soon as the output passes it (gzip, zstd).
 */

function checkType(type: number): asserts type is CompressionType {
  if (!isCompressionType(type)) throw new UnsupportedCompressionTypeError(type)
}

function corrupt(type: CompressionType, cause: unknown, limit: number): Error {
  if (cause instanceof CorruptRecordError || cause instanceof DecompressedSizeError) return cause
  if ((cause as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE') {
    return new DecompressedSizeError(codecName(type), limit)
  }
  const detail = cause instanceof Error ? cause.message : String(cause)
  return new CorruptRecordError(`cannot decompress ${codecName(type)} payload: ${detail}`, { cause })
}

export function codecName(type: CompressionType): string {
  return ['none', 'gzip', 'snappy', 'lz4', 'zstd'][type]!
}

export async function compress(type: number, data: Buffer): Promise<Buffer> {
  checkType(type)
  switch (type) {
    case CompressionType.NONE:
      return data
    case CompressionType.GZIP:
      return gzipAsync(data)
    case CompressionType.SNAPPY:
      return snappyCompress(data)
    case CompressionType.LZ4:
      return compressFrame(data)
    case CompressionType.ZSTD:
      return zstdCompress(data)
  }
}

export function compressSync(type: number, data: Buffer): Buffer {
  checkType(type)
  switch (type) {
    case CompressionType.NONE:
      return data
    case CompressionType.GZIP:
      return gzipSync(data)
    case CompressionType.SNAPPY:
      return snappyCompressSync(data)
    case CompressionType.LZ4:
      return compressFrameSync(data)
    case CompressionType.ZSTD:
      return zstdCompress(data)
  }
}

/**
 * Inflates a batch payload to at most `limit` bytes. Malformed input rejects with CorruptRecordError, a
 * payload inflating past the limit with DecompressedSizeError (INVALID_RECORD), unknown ids with
 * UnsupportedCompressionTypeError.
 */
export async function decompress(
  type: number,
  data: Buffer,
  limit = MAX_DECOMPRESSED_BATCH_BYTES
): Promise<Buffer> {
  checkType(type)
  try {
    switch (type) {
      case CompressionType.NONE:
        return data
      case CompressionType.GZIP:
        return await gunzipAsync(data, { maxOutputLength: limit })
      case CompressionType.SNAPPY:
        return await snappyDecompress(data, limit)
      case CompressionType.LZ4:
        assertCompleteLz4Frame(data)
        checkLz4Bound(data, limit)
        return await decompressFrame(data)
      case CompressionType.ZSTD:
        return await zstdDecompressBounded(data, limit)
    }
  } catch (err) {
    throw corrupt(type, err, limit)
  }
}

export function decompressSync(type: number, data: Buffer, limit = MAX_DECOMPRESSED_BATCH_BYTES): Buffer {
  checkType(type)
  try {
    switch (type) {
      case CompressionType.NONE:
        return data
      case CompressionType.GZIP:
        return gunzipSync(data, { maxOutputLength: limit })
      case CompressionType.SNAPPY: {
        const xerial = isXerialFramed(data)
        checkSnappyLength(data, xerial, limit)
        if (!xerial) return snappyUncompressSync(data, { asBuffer: true }) as Buffer
        return Buffer.concat(
          xerialBlocks(data).map((b) => snappyUncompressSync(b, { asBuffer: true }) as Buffer)
        )
      }
      case CompressionType.LZ4:
        assertCompleteLz4Frame(data)
        checkLz4Bound(data, limit)
        return decompressFrameSync(data)
      case CompressionType.ZSTD:
        return zstdDecompressBoundedSync(data, limit)
    }
  } catch (err) {
    throw corrupt(type, err, limit)
  }
}

async function snappyDecompress(data: Buffer, limit: number): Promise<Buffer> {
  const xerial = isXerialFramed(data)
  checkSnappyLength(data, xerial, limit)
  if (!xerial) return (await snappyUncompress(data, { asBuffer: true })) as Buffer
  const blocks = xerialBlocks(data)
  const out = await Promise.all(
    blocks.map(async (b) => (await snappyUncompress(b, { asBuffer: true })) as Buffer)
  )
  return out.length === 1 ? out[0]! : Buffer.concat(out)
}
