/**
 * kafkajs ships gzip only; snappy, lz4 and zstd are plugins. The codec packages its plugins wrap are not
 * installed, but the broker's own native codecs are, so the tests register small adapters over those:
 * raw snappy (what kafkajs-snappy emits), LZ4 frames (kafkajs-lz4) and zstd frames (@kafkajs/zstd).
 */

import { createRequire } from 'node:module'
import { compressFrame, decompressFrame } from 'lz4-napi'
import { compress as snappyCompress, uncompress as snappyUncompress } from 'snappy'
import { compress as zstdCompress, decompress as zstdDecompress } from 'zstd-napi'

const require = createRequire(import.meta.url)
const kafkajs = require('kafkajs') as typeof import('kafkajs')

interface KafkajsCodec {
  compress(encoder: { buffer: Buffer }): Promise<Buffer>
  decompress(buffer: Buffer): Promise<Buffer>
}

let registered = false

export function registerKafkajsCodecs(): void {
  if (registered) return
  registered = true
  const { CompressionCodecs, CompressionTypes } = kafkajs
  const codecs = CompressionCodecs as unknown as Record<number, () => KafkajsCodec>
  codecs[CompressionTypes.Snappy] = () => ({
    compress: async (e) => snappyCompress(e.buffer),
    decompress: async (b) => (await snappyUncompress(b)) as Buffer
  })
  codecs[CompressionTypes.LZ4] = () => ({
    compress: async (e) => compressFrame(e.buffer),
    decompress: async (b) => decompressFrame(b)
  })
  codecs[CompressionTypes.ZSTD] = () => ({
    compress: async (e) => zstdCompress(e.buffer),
    decompress: async (b) => zstdDecompress(b)
  })
}
