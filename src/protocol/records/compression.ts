import { promisify } from 'node:util'
import { gunzip, gunzipSync, gzip, gzipSync } from 'node:zlib'
import { compressFrame, compressFrameSync, decompressFrame, decompressFrameSync } from 'lz4-napi'
import {
  compress as snappyCompress,
  compressSync as snappyCompressSync,
  uncompress as snappyUncompress,
  uncompressSync as snappyUncompressSync
} from 'snappy'
import { compress as zstdCompress, decompress as zstdDecompress } from 'zstd-napi'
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
 * calling thread: a known cost on the event loop for large zstd batches.
 */

function checkType(type: number): asserts type is CompressionType {
  if (!isCompressionType(type)) throw new UnsupportedCompressionTypeError(type)
}

function corrupt(type: CompressionType, cause: unknown): CorruptRecordError {
  if (cause instanceof CorruptRecordError) return cause
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

/** Inflates a batch payload. Malformed input rejects with CorruptRecordError, unknown ids with UnsupportedCompressionTypeError. */
export async function decompress(type: number, data: Buffer): Promise<Buffer> {
  checkType(type)
  try {
    switch (type) {
      case CompressionType.NONE:
        return data
      case CompressionType.GZIP:
        return await gunzipAsync(data)
      case CompressionType.SNAPPY:
        return await snappyDecompress(data)
      case CompressionType.LZ4:
        assertCompleteLz4Frame(data)
        return await decompressFrame(data)
      case CompressionType.ZSTD:
        return zstdDecompress(data)
    }
  } catch (err) {
    throw corrupt(type, err)
  }
}

export function decompressSync(type: number, data: Buffer): Buffer {
  checkType(type)
  try {
    switch (type) {
      case CompressionType.NONE:
        return data
      case CompressionType.GZIP:
        return gunzipSync(data)
      case CompressionType.SNAPPY:
        if (!isXerialFramed(data)) return snappyUncompressSync(data, { asBuffer: true }) as Buffer
        return Buffer.concat(
          xerialBlocks(data).map((b) => snappyUncompressSync(b, { asBuffer: true }) as Buffer)
        )
      case CompressionType.LZ4:
        assertCompleteLz4Frame(data)
        return decompressFrameSync(data)
      case CompressionType.ZSTD:
        return zstdDecompress(data)
    }
  } catch (err) {
    throw corrupt(type, err)
  }
}

async function snappyDecompress(data: Buffer): Promise<Buffer> {
  if (!isXerialFramed(data)) return (await snappyUncompress(data, { asBuffer: true })) as Buffer
  const blocks = xerialBlocks(data)
  const out = await Promise.all(
    blocks.map(async (b) => (await snappyUncompress(b, { asBuffer: true })) as Buffer)
  )
  return out.length === 1 ? out[0]! : Buffer.concat(out)
}
