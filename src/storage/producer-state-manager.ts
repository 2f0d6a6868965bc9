import {
  BATCH_LENGTH_OFFSET,
  LOG_OVERHEAD,
  RECORD_BATCH_OVERHEAD,
  readRecordBatchHeader
} from '../protocol/records/record-batch-header.js'
import { readEndTxnMarker } from './end-txn-marker-reader.js'
import {
  batchLastSequence,
  type CompletedTxn,
  isControlBatch,
  ProducerAppendInfo,
  type ProducerAppendOrigin,
  type ProducerBatchHeader
} from './producer-append-info.js'
import {
  CorruptSnapshotError,
  deleteProducerSnapshot,
  listProducerSnapshots,
  readProducerSnapshot,
  writeProducerSnapshot
} from './producer-snapshot-file.js'
import { type BatchMetadata, batchFirstOffset, ProducerStateEntry } from './producer-state-entry.js'
import type { AbortedTxn } from './transaction-index.js'

/** Kafka's default for producer.id.expiration.ms (and transactional.id.expiration.ms): one day. */
export const DEFAULT_PRODUCER_ID_EXPIRATION_MS = 86_400_000
export const DEFAULT_SNAPSHOTS_TO_RETAIN = 2

export interface ProducerStateManagerOptions {
  /** The partition directory; snapshots live beside the segments. */
  dir: string
  /** Named in error messages, e.g. `orders-3`. */
  partition?: string
  producerIdExpirationMs?: number
  /** Snapshot files kept by takeSnapshot(); older ones are deleted. */
  snapshotsToRetain?: number
  /** Wall clock in ms; injectable for tests. */
  time?: () => number
  /**
   * KIP-890 part 1: reject a client's transactional batch that opens a transaction unless
   * beginTxnVerification() announced the producer and epoch. Default false (the log turns it on).
   */
  requireTxnVerification?: boolean
}

/** The offsets and timestamp of the original batch, returned to a producer that sent it again. */
export interface DuplicateBatch {
  firstOffset: number
  lastOffset: number
  timestamp: number
}

export interface ProducerAppendAnalysis {
  /** Set when the append retries a batch already in the log: skip the write and answer with these offsets. */
  duplicate: DuplicateBatch | undefined
  /** One per producer id in the append; pass to update() once the batches are written. */
  appendInfos: ProducerAppendInfo[]
}

/**
 * Per-partition idempotent producer state, as Kafka's ProducerStateManager: for each producer id its epoch
 * and last 5 batches, used to reject fenced or out-of-order appends and to recognise retries. The state
 * covers the log up to `mapEndOffset` (exclusive), and is snapshotted to `<offset>.snapshot` files so that
 * opening a log replays only the batches after the latest snapshot.
 *
 * Ownership: one instance per UnifiedLog, called only from the log's serialised mutation chain (appends,
 * rolls, truncation, load). Validation and update are synchronous; only snapshot file operations await,
 * and they run one at a time on an internal chain, with the state captured synchronously when called.
 */
export class ProducerStateManager {
  readonly dir: string
  private readonly partition: string
  private readonly expirationMs: number
  private readonly snapshotsToRetain: number
  private readonly time: () => number
  private readonly producers = new Map<bigint, ProducerStateEntry>()
  /** Offsets of the snapshot files on disk, ascending. */
  private snapshots: number[] = []
  private lastMapOffset = 0
  private lastSnapOffset = 0
  private loaded = false
  private fileChain: Promise<unknown> = Promise.resolve()
  /** Open transactions on this partition: first offset → producer id (Kafka's ongoingTxns). */
  private readonly ongoingTxns = new Map<number, bigint>()
  /** Producers the coordinator announced (KIP-890): producer id → verified epoch. */
  private readonly verifiedProducers = new Map<bigint, number>()
  private readonly requireTxnVerification: boolean

  private constructor(opts: ProducerStateManagerOptions) {
    this.requireTxnVerification = opts.requireTxnVerification ?? false
    this.dir = opts.dir
    this.partition = opts.partition ?? ''
    this.expirationMs = opts.producerIdExpirationMs ?? DEFAULT_PRODUCER_ID_EXPIRATION_MS
    this.snapshotsToRetain = Math.max(1, opts.snapshotsToRetain ?? DEFAULT_SNAPSHOTS_TO_RETAIN)
    this.time = opts.time ?? Date.now
  }

  /**
   * Finds the snapshot files; the state stays empty until truncateAndReload(logStart, logEnd) loads the
   * latest usable snapshot, after which the caller replays the log from mapEndOffset.
   */
  static async open(opts: ProducerStateManagerOptions): Promise<ProducerStateManager> {
    const m = new ProducerStateManager(opts)
    m.snapshots = await listProducerSnapshots(opts.dir)
    return m
  }

  /** The state reflects every batch below this offset. */
  get mapEndOffset(): number {
    return this.lastMapOffset
  }

  get activeProducers(): ReadonlyMap<bigint, ProducerStateEntry> {
    return this.producers
  }

  get producerIdCount(): number {
    return this.producers.size
  }

  get snapshotOffsets(): readonly number[] {
    return this.snapshots
  }

  get latestSnapshotOffset(): number | undefined {
    return this.snapshots[this.snapshots.length - 1]
  }

  get oldestSnapshotOffset(): number | undefined {
    return this.snapshots[0]
  }

  lastEntry(producerId: bigint): ProducerStateEntry | undefined {
    return this.producers.get(producerId)
  }

  prepareUpdate(producerId: bigint, origin: ProducerAppendOrigin): ProducerAppendInfo {
    const current = this.producers.get(producerId) ?? ProducerStateEntry.empty(producerId)
    return new ProducerAppendInfo(producerId, current, origin, this.partition, {
      required: this.requireTxnVerification,
      verifiedEpoch: this.verifiedProducers.get(producerId)
    })
  }

  /**
   * The coordinator added this partition to the producer's transaction in `producerEpoch` (KIP-890 part 1):
   * the producer's next transactional batch may open a transaction here. Cleared when one is opened or a
   * marker ends it.
   */
  beginTxnVerification(producerId: bigint, producerEpoch: number): void {
    this.verifiedProducers.set(producerId, producerEpoch)
  }

  /** The first offset of the oldest open transaction, which bounds the last stable offset. */
  get firstUnstableOffset(): number | undefined {
    let first: number | undefined
    for (const offset of this.ongoingTxns.keys()) if (first === undefined || offset < first) first = offset
    return first
  }

  get ongoingTransactions(): ReadonlyMap<number, bigint> {
    return this.ongoingTxns
  }

  /**
   * The last stable offset as of a transaction's marker (Kafka's lastStableOffset(completedTxn)): the first
   * offset of another producer's open transaction, else the offset after the marker.
   */
  lastStableOffsetAfter(txn: CompletedTxn): number {
    let lso = txn.lastOffset + 1
    for (const [offset, pid] of this.ongoingTxns) if (pid !== txn.producerId && offset < lso) lso = offset
    return lso
  }

  /**
   * Checks the batches of one append (offsets already assigned, timestamps already stamped) against the
   * producer state, before anything is written. Throws the KafkaError Kafka would answer with
   * (INVALID_PRODUCER_EPOCH, OUT_OF_ORDER_SEQUENCE_NUMBER, INVALID_TXN_STATE). For client appends, a batch
   * equal (epoch and sequence range) to one of its producer's last 5 is a retry: the result then carries
   * the original offsets and the whole append must be skipped, answered with NONE, as Kafka does.
   */
  analyzeAndValidate(
    headers: Iterable<ProducerBatchHeader>,
    origin: ProducerAppendOrigin
  ): ProducerAppendAnalysis {
    const infos = new Map<bigint, ProducerAppendInfo>()
    for (const h of headers) {
      if (h.producerId < 0n) continue
      if (origin === 'client') {
        const dup = this.producers
          .get(h.producerId)
          ?.findDuplicateBatch(h.producerEpoch, h.baseSequence, batchLastSequence(h))
        if (dup) return { duplicate: toDuplicate(dup), appendInfos: [] }
      }
      let info = infos.get(h.producerId)
      if (!info) {
        info = this.prepareUpdate(h.producerId, origin)
        infos.set(h.producerId, info)
      }
      info.append(h)
    }
    return { duplicate: undefined, appendInfos: [...infos.values()] }
  }

  /** analyzeAndValidate over the whole batches in `records`, reading only their headers. */
  analyzeAndValidateRecords(records: Buffer, origin: ProducerAppendOrigin): ProducerAppendAnalysis {
    return this.analyzeAndValidate(batchHeaders(records), origin)
  }

  /** Applies a validated append after its batches were written. */
  update(info: ProducerAppendInfo): void {
    if (info.producerId < 0n) throw new Error(`invalid producer id ${info.producerId} for ${this.partition}`)
    const next = info.toEntry()
    const current = this.producers.get(info.producerId)
    if (current) current.update(next)
    else this.producers.set(info.producerId, next)
    for (const first of info.startedTransactions) {
      this.ongoingTxns.set(first, info.producerId)
      this.verifiedProducers.delete(info.producerId)
    }
  }

  /**
   * A marker ended `txn`: it no longer holds back the last stable offset. Returns its transaction index
   * entry when it was aborted (with the last stable offset as of the marker).
   */
  completeTxn(txn: CompletedTxn): AbortedTxn | undefined {
    const lastStableOffset = this.lastStableOffsetAfter(txn)
    this.ongoingTxns.delete(txn.firstOffset)
    this.verifiedProducers.delete(txn.producerId)
    if (!txn.isAborted) return undefined
    return {
      producerId: txn.producerId,
      firstOffset: txn.firstOffset,
      lastOffset: txn.lastOffset,
      lastStableOffset
    }
  }

  /**
   * update() for every producer of an analysed append, completes the transactions its markers ended, and
   * moves mapEndOffset past it. Returns the aborted transactions, for the segment's transaction index.
   */
  completeAppend(analysis: ProducerAppendAnalysis, nextOffset: number): AbortedTxn[] {
    for (const info of analysis.appendInfos) this.update(info)
    const aborted = this.completeTxns(analysis.appendInfos)
    this.updateMapEndOffset(nextOffset)
    return aborted
  }

  private completeTxns(infos: readonly ProducerAppendInfo[]): AbortedTxn[] {
    const aborted: AbortedTxn[] = []
    for (const info of infos) {
      for (const txn of info.completedTransactions) {
        const entry = this.completeTxn(txn)
        if (entry) aborted.push(entry)
      }
    }
    return aborted
  }

  updateMapEndOffset(nextOffset: number): void {
    this.lastMapOffset = nextOffset
  }

  /**
   * Rebuilds state from one batch already in the log, during recovery or after truncation: call it for
   * every batch from mapEndOffset to the log end, in order. Batches entirely below mapEndOffset are skipped,
   * so replaying from the start of the segment that holds mapEndOffset is fine. Nothing is validated
   * (the batches were accepted once) and records are not decoded.
   */
  replay(h: ProducerBatchHeader): AbortedTxn[] {
    const lastOffset = Number(h.baseOffset) + h.lastOffsetDelta
    if (lastOffset < this.lastMapOffset) return []
    let aborted: AbortedTxn[] = []
    if (h.producerId >= 0n) {
      const info = this.prepareUpdate(h.producerId, 'replication')
      info.append(h)
      this.update(info)
      aborted = this.completeTxns([info])
    }
    this.lastMapOffset = lastOffset + 1
    return aborted
  }

  /**
   * replay() for each whole batch in `records` (e.g. a segment read during recovery). Returns the aborted
   * transactions whose markers were replayed, to rebuild the transaction index from.
   */
  replayRecords(records: Buffer): AbortedTxn[] {
    const aborted: AbortedTxn[] = []
    for (const h of batchHeaders(records)) aborted.push(...this.replay(h))
    return aborted
  }

  /**
   * Forgets producers idle for producer.id.expiration.ms, judged by the timestamp of their last batch.
   * Producers with an open transaction are kept until it ends.
   */
  removeExpiredProducers(now = this.time()): void {
    for (const [id, entry] of this.producers) {
      if (this.isExpired(now, entry)) this.producers.delete(id)
    }
  }

  private isExpired(now: number, entry: ProducerStateEntry): boolean {
    return entry.currentTxnFirstOffset === undefined && now - entry.lastTimestamp >= this.expirationMs
  }

  /**
   * Writes a snapshot at mapEndOffset unless one is already there; called when a segment rolls (with
   * mapEndOffset at the new segment's base offset) and on clean shutdown. Keeps the newest
   * `snapshotsToRetain` files and deletes older ones.
   */
  takeSnapshot(): Promise<void> {
    if (this.lastMapOffset <= this.lastSnapOffset) return Promise.resolve()
    const offset = this.lastMapOffset
    const previous = this.lastSnapOffset
    this.lastSnapOffset = offset
    // Captured now: appends that follow while the file is written must not leak into it.
    const entries = [...this.producers.values()].map(cloneEntry)
    return this.onFileChain(async () => {
      try {
        await writeProducerSnapshot(this.dir, offset, entries)
      } catch (err) {
        // Let the next call try again at this offset.
        if (this.lastSnapOffset === offset) this.lastSnapOffset = previous
        throw err
      }
      if (!this.snapshots.includes(offset)) {
        this.snapshots = [...this.snapshots, offset].sort((a, b) => a - b)
      }
      const excess = this.snapshots.slice(0, Math.max(0, this.snapshots.length - this.snapshotsToRetain))
      for (const old of excess) await this.removeSnapshot(old)
    })
  }

  /**
   * After the log was truncated or opened: drops snapshots outside [logStartOffset, logEndOffset] and,
   * unless the state already ends at logEndOffset, reloads it from the latest snapshot that reads back
   * intact (a corrupt one is deleted and the next older tried; with none the state starts empty at
   * logStartOffset). The caller then replays the log from mapEndOffset up to logEndOffset.
   *
   * `logEndOffset` is the log end after segment recovery (Kafka's rule); the recovery point works too,
   * at the cost of a longer replay.
   */
  truncateAndReload(logStartOffset: number, logEndOffset: number): Promise<void> {
    return this.onFileChain(async () => {
      for (const offset of this.snapshots) {
        if (offset > logEndOffset || offset < logStartOffset) await this.removeSnapshot(offset)
      }
      if (!this.loaded || logEndOffset !== this.lastMapOffset) {
        this.producers.clear()
        this.ongoingTxns.clear()
        await this.loadFromSnapshot(logStartOffset)
        this.loaded = true
      } else this.moveLogStart(logStartOffset)
    })
  }

  private async loadFromSnapshot(logStartOffset: number): Promise<void> {
    const now = this.time()
    for (;;) {
      const offset = this.latestSnapshotOffset
      if (offset === undefined) {
        this.lastSnapOffset = logStartOffset
        this.lastMapOffset = logStartOffset
        return
      }
      let entries: ProducerStateEntry[]
      try {
        entries = await readProducerSnapshot(this.dir, offset)
      } catch (err) {
        const missing = (err as NodeJS.ErrnoException).code === 'ENOENT'
        if (!(err instanceof CorruptSnapshotError) && !missing) throw err
        await this.removeSnapshot(offset)
        continue
      }
      for (const e of entries) {
        if (this.isExpired(now, e)) continue
        this.producers.set(e.producerId, e)
        if (e.currentTxnFirstOffset !== undefined) this.ongoingTxns.set(e.currentTxnFirstOffset, e.producerId)
      }
      this.lastSnapOffset = offset
      this.lastMapOffset = offset
      return
    }
  }

  /** After retention or DeleteRecords moved the log start. */
  onLogStartOffsetIncremented(logStartOffset: number): void {
    this.moveLogStart(logStartOffset)
  }

  private moveLogStart(logStartOffset: number): void {
    if (this.lastMapOffset < logStartOffset) this.lastMapOffset = logStartOffset
    this.lastSnapOffset = this.latestSnapshotOffset ?? logStartOffset
  }

  /** Forgets every producer and deletes every snapshot; the state restarts empty at `offset`. */
  truncateFullyAndStartAt(offset: number): Promise<void> {
    this.producers.clear()
    this.ongoingTxns.clear()
    this.lastSnapOffset = 0
    this.lastMapOffset = offset
    this.loaded = true
    return this.onFileChain(async () => {
      for (const s of this.snapshots) await this.removeSnapshot(s)
    })
  }

  /** Deletes the snapshot files below `offset`, e.g. with the segments retention removed. */
  deleteSnapshotsBefore(offset: number): Promise<void> {
    return this.onFileChain(async () => {
      for (const s of this.snapshots) if (s < offset) await this.removeSnapshot(s)
    })
  }

  private async removeSnapshot(offset: number): Promise<void> {
    this.snapshots = this.snapshots.filter((s) => s !== offset)
    await deleteProducerSnapshot(this.dir, offset)
  }

  private onFileChain(task: () => Promise<void>): Promise<void> {
    const run = this.fileChain.then(task)
    this.fileChain = run.catch(() => undefined)
    return run
  }
}

function toDuplicate(b: BatchMetadata): DuplicateBatch {
  return { firstOffset: batchFirstOffset(b), lastOffset: b.lastOffset, timestamp: b.timestamp }
}

function cloneEntry(e: ProducerStateEntry): ProducerStateEntry {
  return new ProducerStateEntry(
    e.producerId,
    e.producerEpoch,
    e.coordinatorEpoch,
    e.lastTimestamp,
    e.currentTxnFirstOffset,
    e.batchMetadata
  )
}

/** Headers of the whole batches in `records`; a trailing partial batch is ignored. */
function* batchHeaders(records: Buffer): Generator<ProducerBatchHeader> {
  let pos = 0
  while (records.length - pos >= RECORD_BATCH_OVERHEAD) {
    const size = records.readInt32BE(pos + BATCH_LENGTH_OFFSET) + LOG_OVERHEAD
    if (size < RECORD_BATCH_OVERHEAD || records.length - pos < size) return
    const h: ProducerBatchHeader = readRecordBatchHeader(records, pos)
    if (isControlBatch(h)) h.endTxnMarker = readEndTxnMarker(records, pos)
    yield h
    pos += size
  }
}
