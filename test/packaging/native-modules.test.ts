/**
 * The native dependencies (@node-rs/crc32, lz4-napi, snappy, zstd-napi) load and work under each supported
 * runtime: Samsa's own CRC32C and compression modules are imported by a Node 22 and a Node 24 process and
 * run a known CRC vector and a round trip through every codec, sync and async.
 */

import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { describe, it } from 'node:test'

import { nodeRuntime } from '../helpers/node-runtimes.js'

const RECORDS = new URL('../../src/protocol/records/', import.meta.url)

const PROBE = `
const { crc32c } = await import(${JSON.stringify(new URL('crc32c.js', RECORDS).href)})
const { compress, compressSync, decompress, decompressSync } = await import(${JSON.stringify(new URL('compression.js', RECORDS).href)})
const { CompressionType } = await import(${JSON.stringify(new URL('compression-type.js', RECORDS).href)})
const data = Buffer.from('samsa '.repeat(1000))
const result = { node: process.versions.node, modules: process.versions.modules, crc: crc32c(Buffer.from('123456789')), codecs: {} }
for (const [name, type] of Object.entries(CompressionType)) {
  if (type === 0) continue
  const async = await decompress(type, await compress(type, data))
  const sync = decompressSync(type, compressSync(type, data))
  result.codecs[name] = async.equals(data) && sync.equals(data)
}
process.stdout.write(JSON.stringify(result))
`

function probe(bin: string): Promise<{ node: string; crc: number; codecs: Record<string, boolean> }> {
  return new Promise((resolve, reject) => {
    execFile(bin, ['--input-type=module', '-e', PROBE], { timeout: 30_000 }, (err, stdout, stderr) => {
      if (err) return reject(new Error(`${bin}: ${err.message}\n${stderr}`))
      resolve(JSON.parse(stdout))
    })
  })
}

describe('native modules under each supported Node.js', () => {
  for (const major of [22, 24]) {
    const runtime = nodeRuntime(major)
    it(`Node.js ${major} loads @node-rs/crc32, lz4-napi, snappy and zstd-napi`, {
      skip: runtime.skip
    }, async () => {
      const r = await probe(runtime.bin!)
      assert.equal(r.node.split('.')[0], String(major))
      assert.equal(r.crc, 0xe3069283, 'CRC32C of "123456789"')
      assert.deepEqual(r.codecs, { GZIP: true, SNAPPY: true, LZ4: true, ZSTD: true })
    })
  }

  it('the runtime running the suite loads them too', async () => {
    const r = await probe(process.execPath)
    assert.equal(r.crc, 0xe3069283)
    assert.deepEqual(r.codecs, { GZIP: true, SNAPPY: true, LZ4: true, ZSTD: true })
  })
})
