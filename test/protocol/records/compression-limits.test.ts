import assert from 'node:assert/strict'
import { test } from 'node:test'
import { ErrorCode, KafkaError } from '../../../src/protocol/error-codes.js'
import { compress, decompress, decompressSync } from '../../../src/protocol/records/compression.js'
import { DecompressedSizeError } from '../../../src/protocol/records/compression-limits.js'
import { CompressionType } from '../../../src/protocol/records/compression-type.js'
import { CorruptRecordError } from '../../../src/protocol/records/record-errors.js'

const CODECS = [CompressionType.GZIP, CompressionType.SNAPPY, CompressionType.LZ4, CompressionType.ZSTD]
const LIMIT = 256 * 1024

function isSizeError(err: unknown): boolean {
  return err instanceof DecompressedSizeError && err.code === ErrorCode.INVALID_RECORD
}

test('every codec refuses a payload inflating past the limit, and accepts one at the limit', async () => {
  const atLimit = Buffer.alloc(LIMIT, 7)
  const over = Buffer.alloc(LIMIT + 1, 7)
  for (const type of CODECS) {
    const ok = await compress(type, atLimit)
    assert.ok((await decompress(type, ok, LIMIT)).equals(atLimit), `codec ${type} at the limit`)
    assert.ok(decompressSync(type, ok, LIMIT).equals(atLimit))
    const bomb = await compress(type, over)
    await assert.rejects(decompress(type, bomb, LIMIT), isSizeError, `codec ${type} async`)
    assert.throws(() => decompressSync(type, bomb, LIMIT), isSizeError, `codec ${type} sync`)
  }
})

test('a snappy preamble claiming gigabytes is refused before the decoder allocates', async () => {
  // varint 0xffffffff: 4 GiB - 1 declared, then garbage.
  const forged = Buffer.from([0xff, 0xff, 0xff, 0xff, 0x0f, 0x00, 0x01, 0x02])
  await assert.rejects(decompress(CompressionType.SNAPPY, forged), isSizeError)
})

test('the default bound stops a zstd bomb (kilobytes inflating to 80 MiB)', async () => {
  const bomb = await compress(CompressionType.ZSTD, Buffer.alloc(80 * 1024 * 1024))
  assert.ok(bomb.length < 100_000)
  await assert.rejects(decompress(CompressionType.ZSTD, bomb), isSizeError)
})

test('zstd inflates in steps and lets the event loop run between them', async () => {
  const data = Buffer.alloc(8 * 1024 * 1024)
  for (let i = 0; i < data.length; i++) data[i] = (i * 2654435761) >>> 27
  const packed = await compress(CompressionType.ZSTD, data)
  // A callback chain that runs once per event-loop turn: it advances only if decompression yields.
  let immediates = 0
  const spin = () => {
    immediates++
    if (immediates < 1_000_000) setImmediate(spin)
  }
  setImmediate(spin)
  try {
    const before = immediates
    const out = await decompress(CompressionType.ZSTD, packed)
    assert.ok(out.equals(data))
    assert.ok(immediates - before >= 2, `other callbacks ran during decompression (${immediates - before})`)
  } finally {
    immediates = 1_000_000
  }
})

test('zstd: truncated, concatenated and garbage payloads', async () => {
  const frame = await compress(CompressionType.ZSTD, Buffer.from('abc'.repeat(1000)))
  await assert.rejects(
    decompress(CompressionType.ZSTD, frame.subarray(0, frame.length - 4)),
    (err) => err instanceof CorruptRecordError
  )
  const two = Buffer.concat([
    await compress(CompressionType.ZSTD, Buffer.from('ab')),
    await compress(CompressionType.ZSTD, Buffer.from('cd'))
  ])
  assert.equal((await decompress(CompressionType.ZSTD, two)).toString(), 'abcd')
  await assert.rejects(
    decompress(CompressionType.ZSTD, Buffer.from('not zstd at all')),
    (err) => err instanceof KafkaError && err.code === ErrorCode.CORRUPT_MESSAGE
  )
  // A failed payload leaves no state behind in the reused decompression contexts.
  assert.equal((await decompress(CompressionType.ZSTD, frame)).toString(), 'abc'.repeat(1000))
})

test('concurrent zstd decompressions do not share state', async () => {
  const inputs = Array.from({ length: 8 }, (_, i) => Buffer.alloc(600 * 1024, i + 1))
  const packed = await Promise.all(inputs.map((b) => compress(CompressionType.ZSTD, b)))
  const outs = await Promise.all(packed.map((p) => decompress(CompressionType.ZSTD, p)))
  for (const [i, o] of outs.entries()) assert.ok(o.equals(inputs[i]!), `payload ${i}`)
})
