import { randomBytes } from 'node:crypto'
import {
  decodeFetchResponse,
  decodeProduceRequest,
  encodeFetchResponse,
  encodeProduceRequest,
  type FetchResponse,
  type ProduceRequest
} from '../src/protocol/messages/index.js'
import { Reader } from '../src/protocol/reader.js'
import { crc32c } from '../src/protocol/records/crc32c.js'
import { Writer } from '../src/protocol/writer.js'

/**
 * Codec micro-benchmark: encode and decode rates for Produce requests and Fetch responses, and CRC32C
 * throughput. Records are opaque bytes to the codec, so message rates depend on the partition count and
 * the byte rates on how cheaply record bytes are referenced rather than copied.
 * Run: npm run bench:codec
 */
const PARTITIONS = 16
const BATCH_BYTES = 16 * 1024
const SECONDS = Number(process.env.BENCH_SECONDS ?? 1)

function measure(name: string, bytesPerOp: number, op: () => void): void {
  for (let i = 0; i < 200; i++) op() // warm-up
  let ops = 0
  const start = process.hrtime.bigint()
  const deadline = start + BigInt(Math.round(SECONDS * 1e9))
  let now = start
  while (now < deadline) {
    for (let i = 0; i < 100; i++) op()
    ops += 100
    now = process.hrtime.bigint()
  }
  const seconds = Number(now - start) / 1e9
  const rate = ops / seconds
  const mbps = (rate * bytesPerOp) / 1e6
  console.log(
    `${name.padEnd(36)} ${Math.round(rate).toLocaleString('en-US').padStart(12)} ops/s ${mbps.toFixed(0).padStart(8)} MB/s`
  )
}

const batches = Array.from({ length: PARTITIONS }, () => randomBytes(BATCH_BYTES))
const produce: ProduceRequest = {
  transactionalId: null,
  acks: -1,
  timeoutMs: 30000,
  topicData: [{ name: 'bench', partitionData: batches.map((records, index) => ({ index, records })) }]
}
const fetch: FetchResponse = {
  throttleTimeMs: 0,
  errorCode: 0,
  sessionId: 0,
  responses: [
    {
      topic: 'bench',
      topicId: 'AAAAAAAAAAAAAAAAAAAAAA',
      partitions: batches.map((records, partitionIndex) => ({
        partitionIndex,
        errorCode: 0,
        highWatermark: 1000n,
        lastStableOffset: 1000n,
        logStartOffset: 0n,
        abortedTransactions: null,
        preferredReadReplica: -1,
        records
      }))
    }
  ]
}
const payloadBytes = PARTITIONS * BATCH_BYTES

for (const version of [7, 9]) {
  const w = new Writer()
  encodeProduceRequest(w, produce, version)
  const encoded = w.toBuffer()
  measure(`Produce v${version} encode (${PARTITIONS}x16KiB)`, payloadBytes, () => {
    const out = new Writer()
    encodeProduceRequest(out, produce, version)
    out.toChunks()
  })
  measure(`Produce v${version} decode (${PARTITIONS}x16KiB)`, payloadBytes, () => {
    decodeProduceRequest(new Reader(encoded), version)
  })
}
for (const version of [11, 12]) {
  const w = new Writer()
  encodeFetchResponse(w, fetch, version)
  const encoded = w.toBuffer()
  measure(`Fetch v${version} response encode`, payloadBytes, () => {
    const out = new Writer()
    encodeFetchResponse(out, fetch, version)
    out.toChunks()
  })
  measure(`Fetch v${version} response decode`, payloadBytes, () => {
    decodeFetchResponse(new Reader(encoded), version)
  })
}
const crcInput = randomBytes(1024 * 1024)
measure('CRC32C 1 MiB', crcInput.length, () => {
  crc32c(crcInput)
})
