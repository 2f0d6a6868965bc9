import { readdir, readFile, unlink } from 'node:fs/promises'
import { join } from 'node:path'
import { writeFileAtomically } from '../common/atomic-file.js'
import { ProtocolDecodeError } from '../protocol/decode-error.js'
import { Reader } from '../protocol/reader.js'
import { crc32c } from '../protocol/records/crc32c.js'
import { Writer } from '../protocol/writer.js'
import { offsetFileStem } from './log-file-names.js'
import { type BatchMetadata, NUM_BATCHES_TO_RETAIN, ProducerStateEntry } from './producer-state-entry.js'

/**
 * Producer state snapshots: `<offset, 20 digits>.snapshot` in the partition directory holds the state of
 * every producer after all batches below `offset` were applied. The layout follows Kafka's version 1 file
 * (version, CRC, array of producer entries) but keeps every cached batch, not only the last one, so that
 * retries of any of the last 5 batches are still recognised after a restart. All integers big-endian:
 *
 *   version          int16   1
 *   crc              uint32  CRC-32C of every byte after this field
 *   producerCount    int32
 *   producerCount ×
 *     producerId             int64
 *     producerEpoch          int16
 *     coordinatorEpoch       int32   -1 when no marker was written
 *     lastTimestamp          int64
 *     currentTxnFirstOffset  int64   -1 outside a transaction
 *     batchCount             int8    0..5, oldest first
 *     batchCount ×
 *       lastSeq      int32
 *       lastOffset   int64
 *       offsetDelta  int32
 *       timestamp    int64
 *
 * Files are written with temp file + fsync + rename, so a crash leaves the previous snapshots intact; a file
 * that fails any check on read is reported as corrupt, never half-applied.
 */
export const PRODUCER_SNAPSHOT_FILE_SUFFIX = '.snapshot'
export const PRODUCER_SNAPSHOT_VERSION = 1
const CRC_POSITION = 2
const BODY_POSITION = 6

export class CorruptSnapshotError extends Error {
  override readonly name = 'CorruptSnapshotError'
}

export function producerSnapshotFileName(offset: number): string {
  return offsetFileStem(offset) + PRODUCER_SNAPSHOT_FILE_SUFFIX
}

/** Parses `00000000000000000042.snapshot` into 42, or undefined for any other name. */
export function parseProducerSnapshotFileName(name: string): number | undefined {
  const m = /^(\d{20})\.snapshot$/.exec(name)
  return m ? Number(m[1]) : undefined
}

export function encodeProducerSnapshot(entries: Iterable<ProducerStateEntry>): Buffer {
  const list = [...entries]
  const w = new Writer(BODY_POSITION + 4 + list.length * 64)
  w.writeInt16(PRODUCER_SNAPSHOT_VERSION).writeUInt32(0).writeInt32(list.length)
  for (const e of list) {
    w.writeInt64(e.producerId)
      .writeInt16(e.producerEpoch)
      .writeInt32(e.coordinatorEpoch)
      .writeInt64(BigInt(e.lastTimestamp))
      .writeInt64(BigInt(e.currentTxnFirstOffset ?? -1))
      .writeInt8(e.batchMetadata.length)
    for (const b of e.batchMetadata) {
      w.writeInt32(b.lastSeq)
        .writeInt64(BigInt(b.lastOffset))
        .writeInt32(b.offsetDelta)
        .writeInt64(BigInt(b.timestamp))
    }
  }
  const buf = w.toBuffer()
  buf.writeUInt32BE(crc32c(buf.subarray(BODY_POSITION)), CRC_POSITION)
  return buf
}

/** Throws CorruptSnapshotError for an unknown version, a CRC mismatch or any malformed content. */
export function decodeProducerSnapshot(buf: Buffer): ProducerStateEntry[] {
  if (buf.length < BODY_POSITION + 4)
    throw new CorruptSnapshotError(`snapshot of ${buf.length} bytes is truncated`)
  const version = buf.readInt16BE(0)
  if (version !== PRODUCER_SNAPSHOT_VERSION) {
    throw new CorruptSnapshotError(`snapshot has unknown version ${version}`)
  }
  const stored = buf.readUInt32BE(CRC_POSITION)
  const computed = crc32c(buf.subarray(BODY_POSITION))
  if (stored !== computed) throw new CorruptSnapshotError(`snapshot CRC ${stored} does not match ${computed}`)
  try {
    const r = new Reader(buf, BODY_POSITION)
    const count = r.readInt32()
    if (count < 0) throw new CorruptSnapshotError(`negative producer count ${count}`)
    const entries: ProducerStateEntry[] = []
    for (let i = 0; i < count; i++) {
      const producerId = r.readInt64()
      const producerEpoch = r.readInt16()
      const coordinatorEpoch = r.readInt32()
      const lastTimestamp = Number(r.readInt64())
      const txnFirst = Number(r.readInt64())
      const batchCount = r.readInt8()
      if (batchCount < 0 || batchCount > NUM_BATCHES_TO_RETAIN) {
        throw new CorruptSnapshotError(`producer ${producerId} has ${batchCount} batches`)
      }
      const batches: BatchMetadata[] = []
      for (let j = 0; j < batchCount; j++) {
        const lastSeq = r.readInt32()
        const lastOffset = Number(r.readInt64())
        const offsetDelta = r.readInt32()
        const timestamp = Number(r.readInt64())
        batches.push({ lastSeq, lastOffset, offsetDelta, timestamp })
      }
      const txn = txnFirst >= 0 ? txnFirst : undefined
      entries.push(
        new ProducerStateEntry(producerId, producerEpoch, coordinatorEpoch, lastTimestamp, txn, batches)
      )
    }
    if (r.remaining !== 0) throw new CorruptSnapshotError(`${r.remaining} bytes after the last producer`)
    return entries
  } catch (err) {
    if (err instanceof ProtocolDecodeError)
      throw new CorruptSnapshotError(`snapshot is malformed: ${err.message}`)
    throw err
  }
}

export async function writeProducerSnapshot(
  dir: string,
  offset: number,
  entries: Iterable<ProducerStateEntry>
): Promise<void> {
  await writeFileAtomically(join(dir, producerSnapshotFileName(offset)), encodeProducerSnapshot(entries))
}

export async function readProducerSnapshot(dir: string, offset: number): Promise<ProducerStateEntry[]> {
  return decodeProducerSnapshot(await readFile(join(dir, producerSnapshotFileName(offset))))
}

export async function deleteProducerSnapshot(dir: string, offset: number): Promise<void> {
  await unlink(join(dir, producerSnapshotFileName(offset))).catch((err: NodeJS.ErrnoException) => {
    if (err.code !== 'ENOENT') throw err
  })
}

/** Offsets of the snapshot files in `dir`, ascending; empty when the directory does not exist. */
export async function listProducerSnapshots(dir: string): Promise<number[]> {
  let names: string[]
  try {
    names = await readdir(dir)
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return []
    throw err
  }
  const offsets: number[] = []
  for (const name of names) {
    const offset = parseProducerSnapshotFileName(name)
    if (offset !== undefined) offsets.push(offset)
  }
  return offsets.sort((a, b) => a - b)
}
