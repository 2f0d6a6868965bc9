import { createRequire } from 'node:module'
import { setImmediate as yieldToEventLoop } from 'node:timers/promises'
import { ErrorCode, KafkaError } from '../error-codes.js'
import { CorruptRecordError } from './record-errors.js'
import { xerialBlocks } from './snappy-xerial.js'

/**
 * The most a batch payload may inflate to. A record batch is at most max.message.bytes on the wire, but a
 * codec can expand it a thousandfold (gzip) or far more (zstd): without a bound, one small produce request
 * could make the broker allocate gigabytes. Legitimate batches stay far below this (producers bound
 * batch.size, usually by the compressed size, at a realistic ratio).
 */
export const MAX_DECOMPRESSED_BATCH_BYTES = 64 * 1024 * 1024

/**
 * A payload that would inflate past the bound. INVALID_RECORD, as Kafka reports records whose declared
 * sizes do not match their bytes; it is not retriable, so a producer does not resend the same batch.
 */
export class DecompressedSizeError extends KafkaError {
  override readonly name: string = 'DecompressedSizeError'
  /** `declared`: the size the payload claims (snappy) or bounds (lz4), when known before inflating. */
  constructor(codec: string, limit: number, declared?: number) {
    const size = declared === undefined ? '' : ` (${declared} bytes)`
    super(
      ErrorCode.INVALID_RECORD,
      `${codec} payload inflates past the ${limit} bytes allowed for a record batch${size}`
    )
  }
}

/** The uncompressed length a raw snappy block declares in its varint preamble (what the decoder allocates). */
function snappyDeclaredLength(block: Buffer): number {
  let result = 0
  for (let i = 0; i < 5; i++) {
    const b = block[i]
    if (b === undefined) throw new CorruptRecordError('snappy: truncated length preamble')
    result += (b & 0x7f) * 2 ** (7 * i)
    if ((b & 0x80) === 0) return result
  }
  throw new CorruptRecordError('snappy: length preamble is longer than 5 bytes')
}

/** Checked before the native decoder runs, because it allocates whatever the preamble claims. */
export function checkSnappyLength(data: Buffer, xerial: boolean, limit: number): void {
  let total = 0
  for (const block of xerial ? xerialBlocks(data) : [data]) {
    total += snappyDeclaredLength(block)
    if (total > limit) throw new DecompressedSizeError('snappy', limit, total)
  }
}

const LZ4_BLOCK_MAX_SIZES = [0, 0, 0, 0, 64 * 1024, 256 * 1024, 1024 * 1024, 4 * 1024 * 1024]
const LZ4_FLG_CONTENT_SIZE = 0x08
const LZ4_FLG_DICT_ID = 0x01
const LZ4_FLG_BLOCK_CHECKSUM = 0x10
const LZ4_UNCOMPRESSED_BIT = 0x80000000

/**
 * An upper bound on what an LZ4 frame (already checked whole by assertCompleteLz4Frame) inflates to: each
 * compressed block yields at most the frame's block maximum size, each stored block exactly its size.
 */
export function checkLz4Bound(data: Buffer, limit: number): void {
  const flg = data[4]!
  const blockMax = LZ4_BLOCK_MAX_SIZES[(data[5]! >> 4) & 0x07] ?? 0
  if (blockMax === 0) throw new CorruptRecordError('lz4: invalid block maximum size')
  let pos = 6 + (flg & LZ4_FLG_CONTENT_SIZE ? 8 : 0) + (flg & LZ4_FLG_DICT_ID ? 4 : 0) + 1
  let bound = 0
  for (;;) {
    const word = data.readUInt32LE(pos)
    const size = word & 0x7fffffff
    pos += 4
    if (size === 0) break
    bound += (word & LZ4_UNCOMPRESSED_BIT) !== 0 ? size : blockMax
    if (bound > limit) throw new DecompressedSizeError('lz4', limit, bound)
    pos += size + (flg & LZ4_FLG_BLOCK_CHECKSUM ? 4 : 0)
  }
}

type ZstdBinding = typeof import('zstd-napi/binding.js')
type DCtx = InstanceType<ZstdBinding['DCtx']>
// zstd-napi's binding is a native CommonJS module whose exports ESM cannot see statically.
const zstd = createRequire(import.meta.url)('zstd-napi/binding.js') as ZstdBinding

/** Output produced per native call: bounds both the time spent in one call and the over-allocation. */
const ZSTD_CHUNK_BYTES = 256 * 1024
/** Idle decompression contexts kept for reuse (each holds native window memory). */
const MAX_IDLE_DCTX = 4
const idleContexts: DCtx[] = []

/**
 * Streaming zstd decompression with an output cap. zstd-napi has no asynchronous API and a payload's own
 * content size (if any) cannot be trusted, so the frame is inflated in 256 KiB steps: it stops as soon as
 * the output passes `limit`, and when `yieldBetweenChunks` is set it returns to the event loop between
 * steps, so a large batch costs many short slices instead of one long stall. Concatenated frames and
 * skippable frames are accepted, as the one-shot decoder did.
 */
export async function zstdDecompressBounded(data: Buffer, limit: number): Promise<Buffer> {
  const steps = zstdSteps(data, limit)
  for (let next = steps.next(); ; next = steps.next()) {
    if (next.done) return next.value
    await yieldToEventLoop()
  }
}

export function zstdDecompressBoundedSync(data: Buffer, limit: number): Buffer {
  const steps = zstdSteps(data, limit)
  for (let next = steps.next(); ; next = steps.next()) if (next.done) return next.value
}

/** Yields after each chunk that filled its buffer (more may follow); returns the whole output. */
function* zstdSteps(data: Buffer, limit: number): Generator<void, Buffer, void> {
  const dctx = idleContexts.pop() ?? new zstd.DCtx()
  let clean = false
  try {
    const chunks: Buffer[] = []
    let total = 0
    let input = data
    for (;;) {
      const out = Buffer.allocUnsafe(Math.min(ZSTD_CHUNK_BYTES, limit - total + 1))
      const [pending, produced, consumed] = dctx.decompressStream(out, input)
      input = input.subarray(consumed)
      if (produced > 0) {
        total += produced
        if (total > limit) throw new DecompressedSizeError('zstd', limit)
        chunks.push(out.subarray(0, produced))
      }
      if (pending === 0 && input.length === 0) break
      if (produced === 0 && consumed === 0) throw new CorruptRecordError('zstd: frame is truncated')
      if (produced === out.length) yield
    }
    clean = true
    return chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, total)
  } finally {
    // A context abandoned mid-frame must not carry that frame into the next payload.
    if (!clean) dctx.reset(zstd.ResetDirective.sessionOnly)
    if (idleContexts.length < MAX_IDLE_DCTX) idleContexts.push(dctx)
  }
}
