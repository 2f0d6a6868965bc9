/** Records every client test produces: keys, null keys, null values, binary and multi-byte bytes. */

import { randomBytes } from 'node:crypto'

export interface SampleRecord {
  key: Buffer | null
  value: Buffer | null
}

/** Bytes without kcat's input delimiters (0x1e, 0x1f), so every client can send the same records. */
function binary(size: number): Buffer {
  const b = randomBytes(size)
  for (let i = 0; i < b.length; i++) if (b[i] === 0x1e || b[i] === 0x1f) b[i] = 0x20
  return b
}

export function sampleRecords(tag: string): SampleRecord[] {
  return [
    { key: Buffer.from(`${tag}-k0`), value: Buffer.from(`${tag} hello`) },
    { key: null, value: Buffer.from(`${tag} no key`) },
    { key: Buffer.from(`${tag}-tombstone`), value: null },
    { key: Buffer.from('ünïcødé ✓'), value: Buffer.from('välue ✓ 😀') },
    { key: binary(16), value: binary(3000) },
    // Compressible, so the codecs actually shrink something.
    { key: Buffer.from(`${tag}-big`), value: Buffer.from('abcdefgh'.repeat(4096)) },
    { key: null, value: binary(1) }
  ]
}

/** A compact, readable form for deepEqual diffs. */
export function show(r: { key: Buffer | null; value: Buffer | null }): {
  key: string | null
  value: string | null
} {
  return { key: r.key?.toString('hex') ?? null, value: r.value?.toString('hex') ?? null }
}
