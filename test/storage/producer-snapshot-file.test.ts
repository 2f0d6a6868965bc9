import assert from 'node:assert/strict'
import { readdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { test } from 'node:test'
import fc from 'fast-check'
import { crc32c } from '../../src/protocol/records/crc32c.js'
import {
  CorruptSnapshotError,
  decodeProducerSnapshot,
  encodeProducerSnapshot,
  listProducerSnapshots,
  parseProducerSnapshotFileName,
  producerSnapshotFileName,
  readProducerSnapshot,
  writeProducerSnapshot
} from '../../src/storage/producer-snapshot-file.js'
import { NUM_BATCHES_TO_RETAIN, ProducerStateEntry } from '../../src/storage/producer-state-entry.js'
import { withTempDir } from './batch-fixtures.js'

const offsetArb = fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER })

const entryArb = fc
  .record({
    producerId: fc.bigInt({ min: 0n, max: (1n << 63n) - 1n }),
    epoch: fc.integer({ min: -1, max: 32767 }),
    coordinatorEpoch: fc.integer({ min: -1, max: 2 ** 31 - 1 }),
    lastTimestamp: fc.integer({ min: -1, max: 2 ** 50 }),
    txn: fc.option(offsetArb, { nil: undefined }),
    batches: fc.array(
      fc.record({
        lastSeq: fc.integer({ min: 0, max: 2 ** 31 - 1 }),
        lastOffset: offsetArb,
        offsetDelta: fc.integer({ min: 0, max: 2 ** 31 - 1 }),
        timestamp: fc.integer({ min: -1, max: 2 ** 50 })
      }),
      { maxLength: NUM_BATCHES_TO_RETAIN }
    )
  })
  .map(
    (r) =>
      new ProducerStateEntry(r.producerId, r.epoch, r.coordinatorEpoch, r.lastTimestamp, r.txn, r.batches)
  )

const entriesArb = fc.uniqueArray(entryArb, { selector: (e) => e.producerId, maxLength: 8 })

function plain(e: ProducerStateEntry) {
  return {
    producerId: e.producerId,
    producerEpoch: e.producerEpoch,
    coordinatorEpoch: e.coordinatorEpoch,
    lastTimestamp: e.lastTimestamp,
    currentTxnFirstOffset: e.currentTxnFirstOffset,
    batches: e.batchMetadata.map((b) => ({ ...b }))
  }
}

test('snapshots round-trip every field, all cached batches included', () => {
  fc.assert(
    fc.property(entriesArb, (entries) => {
      assert.deepEqual(decodeProducerSnapshot(encodeProducerSnapshot(entries)).map(plain), entries.map(plain))
    })
  )
})

test('any flipped bit or truncation is reported as a corrupt snapshot', () => {
  fc.assert(
    fc.property(entriesArb, fc.nat(), fc.integer({ min: 0, max: 7 }), (entries, at, bit) => {
      const buf = encodeProducerSnapshot(entries)
      const flipped = Buffer.from(buf)
      const i = at % flipped.length
      flipped[i] = (flipped[i] ?? 0) ^ (1 << bit)
      assert.throws(() => decodeProducerSnapshot(flipped), CorruptSnapshotError)
      assert.throws(() => decodeProducerSnapshot(buf.subarray(0, at % buf.length)), CorruptSnapshotError)
    })
  )
})

test('a snapshot with a valid CRC but malformed content is corrupt, not a crash', () => {
  const buf = encodeProducerSnapshot([new ProducerStateEntry(1n, 0, -1, 5, undefined, [])])
  // Claim 6 batches, more than the window holds, and fix up the CRC so only the content check can catch it.
  const tampered = Buffer.from(buf)
  tampered[tampered.length - 1] = 6
  tampered.writeUInt32BE(crc32c(tampered.subarray(6)), 2)
  assert.throws(() => decodeProducerSnapshot(tampered), /6 batches/)
})

test('files are named by offset, listed in order, and written atomically', async () => {
  await withTempDir(async (dir) => {
    assert.equal(producerSnapshotFileName(42), '00000000000000000042.snapshot')
    assert.equal(parseProducerSnapshotFileName('00000000000000000042.snapshot'), 42)
    assert.equal(parseProducerSnapshotFileName('00000000000000000042.log'), undefined)
    assert.equal(parseProducerSnapshotFileName('42.snapshot'), undefined)
    const entries = [
      new ProducerStateEntry(3n, 1, -1, 9, 7, [{ lastSeq: 4, lastOffset: 8, offsetDelta: 1, timestamp: 9 }])
    ]
    await writeProducerSnapshot(dir, 100, entries)
    await writeProducerSnapshot(dir, 7, [])
    await writeFile(join(dir, '00000000000000000100.log'), '')
    assert.deepEqual(await listProducerSnapshots(dir), [7, 100])
    assert.deepEqual((await readProducerSnapshot(dir, 100)).map(plain), entries.map(plain))
    assert.equal((await readdir(dir)).filter((f) => f.endsWith('.tmp')).length, 0)
    assert.deepEqual(await listProducerSnapshots(join(dir, 'missing')), [])
  })
})
