import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { CompressionType } from '../../src/protocol/records/compression-type.js'
import { createRecordBatch, encodeRecordBatch } from '../../src/protocol/records/record-batch.js'

export interface BatchSpec {
  /** One record per value. */
  values: string[]
  /** Timestamp of each record; defaults to `timestamp` for all. */
  timestamps?: number[]
  timestamp?: number
  compression?: CompressionType
}

/** A valid v2 batch as a producer would send it (offsets from 0, no leader epoch). */
export async function makeBatch(spec: BatchSpec | string[]): Promise<Buffer> {
  const s: BatchSpec = Array.isArray(spec) ? { values: spec } : spec
  const base = s.timestamps?.[0] ?? s.timestamp ?? 1_700_000_000_000
  const records = s.values.map((v, i) => ({
    attributes: 0,
    timestampDelta: BigInt((s.timestamps?.[i] ?? s.timestamp ?? base) - base),
    offsetDelta: i,
    key: null,
    value: Buffer.from(v),
    headers: []
  }))
  const init = {
    records,
    baseTimestamp: BigInt(base),
    ...(s.compression ? { compression: s.compression } : {})
  }
  return encodeRecordBatch(createRecordBatch(init))
}

/** A record value of `n` bytes, to size batches. */
export function filler(n: number, ch = 'x'): string {
  return ch.repeat(n)
}

export async function withTempDir<T>(fn: (dir: string) => Promise<T>): Promise<T> {
  const dir = await mkdtemp(join(tmpdir(), 'samsa-storage-'))
  try {
    return await fn(dir)
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
}
