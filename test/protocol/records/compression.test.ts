import assert from 'node:assert/strict'
import { test } from 'node:test'
import fc from 'fast-check'
import { compress as snappyRaw } from 'snappy'
import { ErrorCode } from '../../../src/protocol/error-codes.js'
import {
  compress,
  compressSync,
  decompress,
  decompressSync
} from '../../../src/protocol/records/compression.js'
import { CompressionType } from '../../../src/protocol/records/compression-type.js'
import {
  CorruptRecordError,
  UnsupportedCompressionTypeError
} from '../../../src/protocol/records/record-errors.js'

const ALL_TYPES = Object.values(CompressionType)
const sample = Buffer.from('the quick brown fox jumps over the lazy dog; '.repeat(200))

test('every codec round-trips arbitrary bytes, async and sync', async () => {
  await fc.assert(
    fc.asyncProperty(
      fc.constantFrom(...ALL_TYPES),
      fc.uint8Array({ maxLength: 4096 }),
      async (type, bytes) => {
        const data = Buffer.from(bytes)
        const packed = await compress(type, data)
        assert.deepEqual(await decompress(type, packed), data)
        assert.deepEqual(decompressSync(type, compressSync(type, data)), data)
      }
    ),
    { numRuns: 200 }
  )
})

test('payloads larger than one codec block round-trip', async () => {
  const big = Buffer.alloc(5 * 1024 * 1024)
  for (let i = 0; i < big.length; i++) big[i] = (i * 2654435761) >>> 24
  for (const type of ALL_TYPES) assert.ok((await decompress(type, await compress(type, big))).equals(big))
})

test('snappy output is raw (unframed) snappy, which every Kafka client reads', async () => {
  const packed = await compress(CompressionType.SNAPPY, sample)
  assert.notEqual(packed[0], 0x82)
  assert.deepEqual(packed, await snappyRaw(sample))
})

test('snappy-java (xerial) framed input with several blocks is accepted', async () => {
  const parts = [sample.subarray(0, 3000), sample.subarray(3000, 7000), sample.subarray(7000)]
  const header = Buffer.from([0x82, 0x53, 0x4e, 0x41, 0x50, 0x50, 0x59, 0x00, 0, 0, 0, 1, 0, 0, 0, 1])
  const chunks: Buffer[] = [header]
  for (const part of parts) {
    const block = await snappyRaw(part)
    const len = Buffer.alloc(4)
    len.writeInt32BE(block.length)
    chunks.push(len, block)
  }
  const framed = Buffer.concat(chunks)
  assert.deepEqual(await decompress(CompressionType.SNAPPY, framed), sample)
  assert.deepEqual(decompressSync(CompressionType.SNAPPY, framed), sample)
  // A block length pointing past the end is corrupt, not a crash.
  await assert.rejects(
    decompress(CompressionType.SNAPPY, framed.subarray(0, framed.length - 5)),
    CorruptRecordError
  )
})

test('lz4 output is a Kafka-compatible LZ4 frame: independent blocks, version 1, valid header checksum', async () => {
  const packed = await compress(CompressionType.LZ4, sample)
  assert.equal(packed.readUInt32LE(0), 0x184d2204)
  const flg = packed[4]!
  assert.equal(flg >> 6, 1, 'frame version 01')
  assert.ok(flg & 0x20, 'block independence set')
  const bd = (packed[5]! >> 4) & 0x07
  assert.ok(bd >= 4 && bd <= 7, 'block max size Kafka accepts')
})

test('lz4 frames from @platformatic/kafka (wasm lz4) decode', async () => {
  const { lz4Compress } = (await import('@platformatic/wasm-utils')) as { lz4Compress: (b: Buffer) => Buffer }
  assert.deepEqual(await decompress(CompressionType.LZ4, lz4Compress(sample)), sample)
})

test('a truncated lz4 frame is rejected even though the native decoder would accept it', async () => {
  const packed = await compress(CompressionType.LZ4, sample)
  for (const cut of [1, 4, 7, packed.length - 10]) {
    await assert.rejects(
      decompress(CompressionType.LZ4, packed.subarray(0, packed.length - cut)),
      CorruptRecordError
    )
  }
  await assert.rejects(
    decompress(CompressionType.LZ4, Buffer.concat([packed, Buffer.from([0])])),
    CorruptRecordError
  )
})

test('zstd frames without a content size (streaming producers) decode', async () => {
  const { CompressStream } = await import('zstd-napi')
  const stream = new CompressStream()
  const chunks: Buffer[] = []
  stream.on('data', (c: Buffer) => chunks.push(c))
  const done = new Promise((resolve) => stream.on('end', resolve))
  stream.write(sample.subarray(0, 1000))
  stream.end(sample.subarray(1000))
  await done
  const frame = Buffer.concat(chunks)
  assert.equal(frame[4]! & 0xc0, 0, 'frame header has no content size')
  assert.deepEqual(await decompress(CompressionType.ZSTD, frame), sample)
})

test('garbage input gives CorruptRecordError (CORRUPT_MESSAGE) for every codec', async () => {
  const garbage = Buffer.from('definitely not compressed data, not at all')
  for (const type of ALL_TYPES.filter((t) => t !== CompressionType.NONE)) {
    await assert.rejects(decompress(type, garbage), (err: unknown) => {
      assert.ok(err instanceof CorruptRecordError, `type ${type}: ${String(err)}`)
      assert.equal(err.code, ErrorCode.CORRUPT_MESSAGE)
      return true
    })
    assert.throws(() => decompressSync(type, garbage), CorruptRecordError)
  }
})

test('unknown compression ids give UnsupportedCompressionTypeError', async () => {
  for (const id of [5, 6, 7, -1]) {
    await assert.rejects(decompress(id, sample), (err: unknown) => {
      assert.ok(err instanceof UnsupportedCompressionTypeError)
      assert.equal(err.code, ErrorCode.UNSUPPORTED_COMPRESSION_TYPE)
      return true
    })
    await assert.rejects(compress(id, sample), UnsupportedCompressionTypeError)
  }
})
