import assert from 'node:assert/strict'
import { readdir, readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { test } from 'node:test'
import fc from 'fast-check'
import { createRecordBatch, encodeRecordBatch } from '../../src/protocol/records/record-batch.js'
import { patchBaseOffset } from '../../src/protocol/records/record-batch-header.js'
import { MAX_SEQUENCE } from '../../src/storage/producer-sequence.js'
import { producerSnapshotFileName } from '../../src/storage/producer-snapshot-file.js'
import { ProducerStateManager } from '../../src/storage/producer-state-manager.js'
import { withTempDir } from './batch-fixtures.js'
import { ERRORS, headerOf, type ProduceOutcome, produce, type SentBatch } from './producer-fixtures.js'

const DAY = 86_400_000

async function fresh(dir: string, time = () => 10_000): Promise<ProducerStateManager> {
  const psm = await ProducerStateManager.open({ dir, partition: 't-0', time })
  await psm.truncateAndReload(0, 0)
  return psm
}

function batch(baseSequence: number, count = 1, epoch = 0, producerId = 7n): SentBatch {
  return { producerId, epoch, baseSequence, count }
}

// ---------------------------------------------------------------------------------------------------------
// A reference model written from the rules (not from the implementation), to compare outcomes against.

interface ModelBatch {
  firstSeq: number
  lastSeq: number
  baseOffset: number
  lastOffset: number
}

interface ModelProducer {
  epoch: number
  window: ModelBatch[]
}

const SEQ_SPACE = MAX_SEQUENCE + 1

function modelProduce(model: Map<bigint, ModelProducer>, log: { end: number }, b: SentBatch): ProduceOutcome {
  const state = model.get(b.producerId)
  const lastSeq = (b.baseSequence + b.count - 1) % SEQ_SPACE
  if (state && state.epoch === b.epoch) {
    const dup = state.window.find((w) => w.firstSeq === b.baseSequence && w.lastSeq === lastSeq)
    if (dup) return { kind: 'duplicate', baseOffset: dup.baseOffset, lastOffset: dup.lastOffset }
  }
  if (state && b.epoch < state.epoch) return { kind: 'error', error: ERRORS.INVALID_EPOCH }
  // A producer whose epoch is unknown (-1, NO_PRODUCER_EPOCH) may go on with any sequence, like a new one.
  const known = state !== undefined && state.epoch !== -1
  if (known && b.epoch > state.epoch && b.baseSequence !== 0)
    return { kind: 'error', error: ERRORS.OUT_OF_ORDER }
  if (known && b.epoch === state.epoch) {
    const last = state.window[state.window.length - 1]
    const expected = last ? (last.lastSeq + 1) % SEQ_SPACE : 0
    if (b.baseSequence !== expected) return { kind: 'error', error: ERRORS.OUT_OF_ORDER }
  }
  const appended: ModelBatch = {
    firstSeq: b.baseSequence,
    lastSeq,
    baseOffset: log.end,
    lastOffset: log.end + b.count - 1
  }
  log.end += b.count
  const window = state && state.epoch === b.epoch ? [...state.window, appended].slice(-5) : [appended]
  model.set(b.producerId, { epoch: b.epoch, window })
  return { kind: 'appended', baseOffset: appended.baseOffset, lastOffset: appended.lastOffset }
}

/** What a client might send next, resolved against the model's view so that valid sends are common. */
interface Intent {
  producer: number
  kind: 'next' | 'retry' | 'gap' | 'bump' | 'stale' | 'wrapStart'
  pick: number
  count: number
}

const intentArb: fc.Arbitrary<Intent> = fc.record({
  producer: fc.integer({ min: 0, max: 1 }),
  kind: fc.constantFrom<Intent['kind']>(
    'next',
    'next',
    'next',
    'retry',
    'retry',
    'gap',
    'bump',
    'stale',
    'wrapStart'
  ),
  pick: fc.nat(20),
  count: fc.integer({ min: 1, max: 4 })
})

function resolve(intent: Intent, model: Map<bigint, ModelProducer>, history: SentBatch[]): SentBatch {
  const producerId = BigInt(intent.producer + 1)
  const state = model.get(producerId)
  const epoch = state?.epoch ?? 0
  const last = state?.window[state.window.length - 1]
  const next = last ? (last.lastSeq + 1) % SEQ_SPACE : 0
  switch (intent.kind) {
    case 'next':
      return { producerId, epoch, baseSequence: next, count: intent.count }
    case 'retry': {
      // One of the last 7 sent by this producer: inside the window it is a duplicate, older out of order.
      const mine = history.filter((h) => h.producerId === producerId)
      const old = mine[mine.length - 1 - (intent.pick % Math.max(1, Math.min(7, mine.length)))]
      return old ?? { producerId, epoch, baseSequence: next, count: intent.count }
    }
    case 'gap':
      return {
        producerId,
        epoch,
        baseSequence: (next + 1 + (intent.pick % 3)) % SEQ_SPACE,
        count: intent.count
      }
    case 'bump':
      return {
        producerId,
        epoch: epoch + 1,
        baseSequence: intent.pick % 2 === 0 ? 0 : intent.pick,
        count: intent.count
      }
    case 'stale':
      // -1 is NO_PRODUCER_EPOCH; lower values never come from a real client.
      return { producerId, epoch: Math.max(-1, epoch - 1), baseSequence: 0, count: intent.count }
    case 'wrapStart':
      // Only an unknown producer may start anywhere; close to the top so sequences wrap.
      return {
        producerId: 100n + producerId,
        epoch: 0,
        baseSequence: MAX_SEQUENCE - (intent.pick % 4),
        count: intent.count
      }
  }
}

test('appends, retries, gaps, epoch bumps and stale epochs give exactly the reference outcomes', async () => {
  await withTempDir(async (dir) => {
    await fc.assert(
      fc.asyncProperty(fc.array(intentArb, { minLength: 1, maxLength: 60 }), async (intents) => {
        const psm = await fresh(dir)
        const model = new Map<bigint, ModelProducer>()
        const history: SentBatch[] = []
        const realLog = { end: 0 }
        const modelLog = { end: 0 }
        for (const intent of intents) {
          const b = resolve(intent, model, history)
          history.push(b)
          const expected = modelProduce(model, modelLog, b)
          const actual = produce(psm, realLog, b)
          assert.deepEqual(
            actual,
            expected,
            `batch ${JSON.stringify(b, (_, v) => (typeof v === 'bigint' ? `${v}` : v))}`
          )
        }
        assert.equal(realLog.end, modelLog.end)
      }),
      { numRuns: 300 }
    )
  })
})

test('a producer with 5 batches in flight over a lossy, reordering network gets each batch written exactly once', async () => {
  await withTempDir(async (dir) => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 25 }),
        fc.array(
          fc.record({ slot: fc.nat(4), lostResponse: fc.boolean(), count: fc.integer({ min: 1, max: 3 }) }),
          {
            maxLength: 120
          }
        ),
        fc.constantFrom(0, MAX_SEQUENCE - 10),
        async (total, steps, firstSeq) => {
          const psm = await fresh(dir)
          const log = { end: 0 }
          /** Offset → index of the batch written there. */
          const written = new Map<number, number>()
          const batches: SentBatch[] = []
          let seq = firstSeq
          for (let i = 0; i < total; i++) {
            const count = steps[i]?.count ?? 1
            batches.push({ producerId: 42n, epoch: 0, baseSequence: seq, count })
            seq = (seq + count) % SEQ_SPACE
          }
          const acked: (ProduceOutcome | undefined)[] = []
          let firstUnacked = 0
          const send = (index: number, lostResponse: boolean) => {
            const before = log.end
            const out = produce(psm, log, batches[index]!)
            if (out.kind === 'appended') for (let o = before; o < log.end; o++) written.set(o, index)
            if (out.kind !== 'error' && !lostResponse) acked[index] = out
            while (acked[firstUnacked]) firstUnacked++
          }
          // The broker accepts any first sequence from a producer it does not know (as Kafka does), so
          // only once the first batch has landed may later ones overtake earlier ones.
          send(0, false)
          // Random phase: any of the 5 oldest unacknowledged batches may arrive, responses may be lost.
          for (const step of steps) {
            if (firstUnacked >= total) break
            send(Math.min(firstUnacked + step.slot, total - 1), step.lostResponse)
          }
          // Then the client retries in order until everything is acknowledged.
          while (firstUnacked < total) send(firstUnacked, false)

          const offsetsOf = (index: number) => [...written].filter(([, i]) => i === index).map(([o]) => o)
          let expectedOffset = 0
          for (let i = 0; i < total; i++) {
            const offsets = offsetsOf(i)
            assert.equal(offsets.length, batches[i]!.count, `batch ${i} written exactly once`)
            assert.equal(offsets[0], expectedOffset, `batch ${i} in sequence order`)
            expectedOffset += batches[i]!.count
            const ack = acked[i]!
            assert.equal(ack.kind === 'error', false)
            if (ack.kind !== 'error') {
              assert.equal(ack.baseOffset, offsets[0])
              assert.equal(ack.lastOffset, offsets[offsets.length - 1])
            }
          }
          assert.equal(log.end, expectedOffset)
        }
      ),
      { numRuns: 200 }
    )
  })
})

test("Kafka's edge cases", async () => {
  await withTempDir(async (dir) => {
    const psm = await fresh(dir)
    const log = { end: 0 }
    // Unknown producer: any starting sequence is accepted (no UNKNOWN_PRODUCER_ID since KIP-360).
    assert.deepEqual(produce(psm, log, batch(17, 3)), { kind: 'appended', baseOffset: 0, lastOffset: 2 })
    assert.deepEqual(produce(psm, log, batch(20, 2)), { kind: 'appended', baseOffset: 3, lastOffset: 4 })
    // A retry of the first batch is still cached: original offsets, nothing written.
    assert.deepEqual(produce(psm, log, batch(17, 3)), { kind: 'duplicate', baseOffset: 0, lastOffset: 2 })
    assert.equal(log.end, 5)
    // Same first sequence but a different range is not a duplicate.
    assert.deepEqual(produce(psm, log, batch(17, 2)), { kind: 'error', error: ERRORS.OUT_OF_ORDER })
    // Push 5 more batches: the first two fall out of the window, so their retries are out of order.
    for (let s = 22; s < 27; s++) assert.equal(produce(psm, log, batch(s)).kind, 'appended')
    assert.deepEqual(produce(psm, log, batch(17, 3)), { kind: 'error', error: ERRORS.OUT_OF_ORDER })
    assert.deepEqual(produce(psm, log, batch(22)), { kind: 'duplicate', baseOffset: 5, lastOffset: 5 })
    // New epoch must start at 0; afterwards the old epoch is fenced and its batches are no longer cached.
    assert.deepEqual(produce(psm, log, batch(27, 1, 1)), { kind: 'error', error: ERRORS.OUT_OF_ORDER })
    assert.equal(produce(psm, log, batch(0, 1, 1)).kind, 'appended')
    assert.deepEqual(produce(psm, log, batch(26, 1, 0)), { kind: 'error', error: ERRORS.INVALID_EPOCH })
    assert.deepEqual(psm.lastEntry(7n)?.batchMetadata.length, 1)
    // Non-transactional write while a transaction is open.
    const txn = { ...batch(1, 1, 1), transactional: true }
    assert.equal(produce(psm, log, txn).kind, 'appended')
    assert.equal(psm.lastEntry(7n)?.currentTxnFirstOffset, log.end - 1)
    assert.deepEqual(produce(psm, log, batch(2, 1, 1)), { kind: 'error', error: ERRORS.INVALID_TXN_STATE })
  })
})

test('a failed validation leaves the state untouched, and several batches in one append chain', async () => {
  await withTempDir(async (dir) => {
    const psm = await fresh(dir)
    const ok = psm.analyzeAndValidate([headerOf(batch(0, 2), 0), headerOf(batch(2, 2), 2)], 'client')
    psm.completeAppend(ok, 4)
    assert.equal(psm.lastEntry(7n)?.lastSeq, 3)
    // Second batch of the request is out of order: the whole append fails and nothing is recorded.
    assert.throws(() => psm.analyzeAndValidate([headerOf(batch(4), 4), headerOf(batch(9), 5)], 'client'), {
      name: 'KafkaError'
    })
    assert.equal(psm.lastEntry(7n)?.lastSeq, 3)
    assert.equal(psm.mapEndOffset, 4)
    // Replication and coordinator appends skip sequence checks; replication even accepts old epochs.
    psm.completeAppend(psm.analyzeAndValidate([headerOf(batch(50), 4)], 'replication'), 5)
    assert.equal(psm.lastEntry(7n)?.lastSeq, 50)
    psm.completeAppend(psm.analyzeAndValidate([headerOf(batch(99, 1, 3), 5)], 'coordinator'), 6)
    assert.throws(() => psm.analyzeAndValidate([headerOf(batch(0, 1, 2), 6)], 'coordinator'), /older than/)
    psm.analyzeAndValidate([headerOf(batch(0, 1, 2), 6)], 'replication')
  })
})

test('analyzeAndValidateRecords reads producer fields from real batch bytes', async () => {
  await withTempDir(async (dir) => {
    const psm = await fresh(dir)
    const encode = (baseSequence: number, baseOffset: number) =>
      encodeRecordBatch(
        createRecordBatch({
          producerId: 5n,
          producerEpoch: 3,
          baseSequence,
          records: [0, 1].map((i) => ({
            attributes: 0,
            timestampDelta: 0n,
            offsetDelta: i,
            key: null,
            value: Buffer.from('v'),
            headers: []
          }))
        })
      ).then((b) => {
        patchBaseOffset(b, BigInt(baseOffset))
        return b
      })
    const two = Buffer.concat([await encode(0, 10), await encode(2, 12)])
    psm.completeAppend(psm.analyzeAndValidateRecords(two, 'client'), 14)
    assert.equal(psm.lastEntry(5n)?.lastSeq, 3)
    assert.equal(psm.lastEntry(5n)?.producerEpoch, 3)
    const retry = psm.analyzeAndValidateRecords(await encode(2, 14), 'client')
    assert.deepEqual(retry.duplicate, { firstOffset: 12, lastOffset: 13, timestamp: 0 })
  })
})

test('snapshot, reopen and keep deduplicating; replay rebuilds what came after the snapshot', async () => {
  await withTempDir(async (dir) => {
    const psm = await fresh(dir)
    const log = { end: 0 }
    for (let s = 0; s < 8; s++) produce(psm, log, batch(s * 2, 2))
    produce(psm, log, batch(0, 1, 0, 9n))
    await psm.takeSnapshot()
    assert.deepEqual(await readdir(dir), [producerSnapshotFileName(17)])
    // Appended after the snapshot: only the log has these; recovery replays their headers.
    const after = [batch(16, 2), batch(1, 1, 0, 9n), batch(0, 1, 0, 11n)]
    const afterHeaders = after.map((b) => {
      const h = headerOf(b, log.end)
      produce(psm, log, b)
      return h
    })
    assert.equal(log.end, 21)

    const reopened = await ProducerStateManager.open({ dir, time: () => 10_000 })
    await reopened.truncateAndReload(0, log.end)
    assert.equal(reopened.mapEndOffset, 17)
    // Replaying from an earlier point is harmless: batches below mapEndOffset are skipped.
    reopened.replay(headerOf(batch(14, 2), 14))
    for (const h of afterHeaders) reopened.replay(h)
    assert.equal(reopened.mapEndOffset, 21)
    for (const id of [7n, 9n, 11n]) {
      assert.deepEqual(
        reopened.lastEntry(id)?.batchMetadata,
        psm.lastEntry(id)?.batchMetadata,
        `producer ${id}`
      )
    }
    // All 5 cached batches survive (Kafka's own snapshot keeps only the last one).
    const relog = { end: log.end }
    assert.deepEqual(produce(reopened, relog, batch(10, 2)), {
      kind: 'duplicate',
      baseOffset: 10,
      lastOffset: 11
    })
    assert.deepEqual(produce(reopened, relog, batch(16, 2)), {
      kind: 'duplicate',
      baseOffset: 17,
      lastOffset: 18
    })
    assert.deepEqual(produce(reopened, relog, batch(8, 2)), {
      kind: 'duplicate',
      baseOffset: 8,
      lastOffset: 9
    })
    assert.deepEqual(produce(reopened, relog, batch(6, 2)), { kind: 'error', error: ERRORS.OUT_OF_ORDER })
    assert.deepEqual(produce(reopened, relog, batch(18, 1)), {
      kind: 'appended',
      baseOffset: 21,
      lastOffset: 21
    })
  })
})

test('a corrupt snapshot is deleted and the next older one (or a full replay) is used', async () => {
  await withTempDir(async (dir) => {
    const psm = await fresh(dir)
    const log = { end: 0 }
    produce(psm, log, batch(0, 2))
    await psm.takeSnapshot()
    produce(psm, log, batch(2, 2))
    await psm.takeSnapshot()
    assert.deepEqual(psm.snapshotOffsets, [2, 4])

    const newest = join(dir, producerSnapshotFileName(4))
    const bytes = await readFile(newest)
    bytes[bytes.length - 3] = (bytes[bytes.length - 3] ?? 0) ^ 0x40
    await writeFile(newest, bytes)
    const a = await ProducerStateManager.open({ dir, time: () => 10_000 })
    await a.truncateAndReload(0, 4)
    assert.equal(a.mapEndOffset, 2, 'fell back to the older snapshot')
    assert.equal(a.lastEntry(7n)?.lastSeq, 1)
    assert.deepEqual(await readdir(dir), [producerSnapshotFileName(2)])

    await writeFile(join(dir, producerSnapshotFileName(2)), Buffer.from([0, 1, 0, 0]))
    const b = await ProducerStateManager.open({ dir, time: () => 10_000 })
    await b.truncateAndReload(0, 4)
    assert.equal(b.mapEndOffset, 0, 'no usable snapshot: replay from the log start')
    assert.equal(b.producerIdCount, 0)
    assert.deepEqual(await readdir(dir), [])
  })
})

test('truncation drops snapshots above the new end and reloads; only the newest 2 snapshots are kept', async () => {
  await withTempDir(async (dir) => {
    const psm = await fresh(dir)
    const log = { end: 0 }
    for (let s = 0; s < 4; s++) {
      produce(psm, log, batch(s))
      await psm.takeSnapshot()
    }
    await psm.takeSnapshot() // nothing new since the last one: no file
    assert.deepEqual(psm.snapshotOffsets, [3, 4])
    assert.deepEqual((await readdir(dir)).sort(), [producerSnapshotFileName(3), producerSnapshotFileName(4)])

    await psm.truncateAndReload(0, 3)
    assert.deepEqual(psm.snapshotOffsets, [3])
    assert.equal(psm.mapEndOffset, 3)
    assert.equal(psm.lastEntry(7n)?.lastSeq, 2)
    // Same end as the map: no reload, only the start moves.
    await psm.truncateAndReload(1, 3)
    assert.equal(psm.mapEndOffset, 3)

    await psm.truncateFullyAndStartAt(50)
    assert.equal(psm.mapEndOffset, 50)
    assert.equal(psm.producerIdCount, 0)
    assert.deepEqual(await readdir(dir), [])
  })
})

test('producers idle for producer.id.expiration.ms are removed, also when loading a snapshot', async () => {
  await withTempDir(async (dir) => {
    let now = 1_000
    const psm = await fresh(dir, () => now)
    const log = { end: 0 }
    produce(psm, log, { ...batch(0), timestamp: 1_000 })
    produce(psm, log, { ...batch(0, 1, 0, 8n), timestamp: 1_000 + DAY / 2 })
    produce(psm, log, { ...batch(0, 1, 0, 9n), timestamp: 1_000, transactional: true })
    await psm.takeSnapshot()
    now = 1_000 + DAY
    psm.removeExpiredProducers()
    assert.deepEqual([...psm.activeProducers.keys()].sort(), [8n, 9n], 'open transactions do not expire')

    const reopened = await ProducerStateManager.open({ dir, time: () => now })
    await reopened.truncateAndReload(0, log.end)
    assert.deepEqual([...reopened.activeProducers.keys()].sort(), [8n, 9n])
    // Once expired, the producer may resume with any sequence, as a new one.
    assert.equal(produce(psm, log, batch(40)).kind, 'appended')
  })
})
