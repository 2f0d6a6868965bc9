import { join } from 'node:path'
import { CheckpointFile, type EntryFormatter } from './checkpoint-file.js'
import { LEADER_EPOCH_CHECKPOINT_FILE } from './log-file-names.js'

export interface EpochEntry {
  epoch: number
  startOffset: number
}

const epochFormatter: EntryFormatter<EpochEntry> = {
  toLine: (e) => `${e.epoch} ${e.startOffset}`,
  fromLine: (line) => {
    const parts = line.split(' ')
    const epoch = Number(parts[0])
    const startOffset = Number(parts[1])
    if (parts.length !== 2 || !Number.isInteger(epoch) || !Number.isSafeInteger(startOffset)) return undefined
    return { epoch, startOffset }
  }
}

/**
 * Which leader epoch started at which offset, for OffsetForLeaderEpoch and follower truncation, kept in the
 * partition's `leader-epoch-checkpoint` (version 0, count, `epoch startOffset` lines). Entries are strictly
 * increasing in both epoch and start offset.
 *
 * Ownership: one UnifiedLog on one event loop. Mutations change memory synchronously. Truncations return
 * the checkpoint write, which is queued so that the file always ends up with the latest state. A new epoch
 * seen on append is not written at once (Kafka's KAFKA-15046): an fsync per partition on its first append
 * stalled every produce behind the thread pool. Recovery rebuilds the entries above the recovery point from
 * the batches' own epochs, so the log writes them with `flush()` before it moves its recovery point.
 */
export class LeaderEpochFileCache {
  private entries: EpochEntry[] = []
  private readonly checkpoint: CheckpointFile<EpochEntry>
  /** Entries changed by assign() that the checkpoint file does not have yet. */
  private dirty = false

  constructor(dir: string) {
    this.checkpoint = new CheckpointFile(join(dir, LEADER_EPOCH_CHECKPOINT_FILE), 0, epochFormatter)
  }

  async load(): Promise<void> {
    this.entries = []
    this.dirty = false
    for (const e of await this.checkpoint.read()) this.insert(e)
  }

  get epochEntries(): readonly EpochEntry[] {
    return this.entries
  }

  latestEpoch(): number | undefined {
    return this.entries[this.entries.length - 1]?.epoch
  }

  /** The epoch in force at `offset`, for stamping ListOffsets answers. */
  epochForOffset(offset: number): number | undefined {
    let found: number | undefined
    for (const e of this.entries) {
      if (e.startOffset > offset) break
      found = e.epoch
    }
    return found
  }

  /**
   * Records that `epoch` starts at `startOffset`, unless that is already known. Entries it contradicts (a
   * same or larger epoch, or a start at or after `startOffset`) are removed, as Kafka does.
   */
  assign(epoch: number, startOffset: number): undefined {
    if (epoch < 0) return undefined
    const latest = this.entries[this.entries.length - 1]
    if (latest && latest.epoch === epoch && latest.startOffset <= startOffset) return undefined
    this.insert({ epoch, startOffset })
    this.dirty = true
    return undefined
  }

  /** True while assign() changed entries that are not in the checkpoint file yet. */
  get needsFlush(): boolean {
    return this.dirty
  }

  /** Writes (and fsyncs) the checkpoint if assign() changed it since the last write. */
  flush(): Promise<void> | undefined {
    return this.dirty ? this.persist() : undefined
  }

  private insert(e: EpochEntry): void {
    this.entries = this.entries.filter((x) => x.epoch < e.epoch && x.startOffset < e.startOffset)
    this.entries.push(e)
  }

  /**
   * For OffsetForLeaderEpoch: the largest known epoch <= `epoch` and the start offset of the next epoch, or
   * `logEndOffset` when `epoch` is the latest. Kafka's edge cases: an epoch above every known one gives
   * (-1, -1); one below every known one gives (epoch, start of the first known epoch).
   */
  endOffsetFor(epoch: number, logEndOffset: number): { epoch: number; endOffset: number } {
    const latest = this.entries[this.entries.length - 1]
    if (epoch < 0 || !latest) return { epoch: -1, endOffset: -1 }
    if (epoch === latest.epoch) return { epoch, endOffset: logEndOffset }
    const higher = this.entries.findIndex((e) => e.epoch > epoch)
    if (higher < 0) return { epoch: -1, endOffset: -1 }
    const floor = this.entries[higher - 1]
    return { epoch: floor ? floor.epoch : epoch, endOffset: this.entries[higher]!.startOffset }
  }

  /** Drops epochs that start at or after `endOffset`, after the log is truncated to it. */
  truncateFromEnd(endOffset: number): Promise<void> | undefined {
    const kept = this.entries.filter((e) => e.startOffset < endOffset)
    if (kept.length === this.entries.length) return undefined
    this.entries = kept
    return this.persist()
  }

  /**
   * After the log start moves to `startOffset`: epochs that ended before it go, and the epoch in force there
   * is moved up to start at it.
   */
  truncateFromStart(startOffset: number): Promise<void> | undefined {
    let i = -1
    for (let j = 0; j < this.entries.length; j++) if (this.entries[j]!.startOffset <= startOffset) i = j
    if (i < 0) return undefined
    const kept = this.entries.slice(i)
    const first = kept[0]!
    if (kept.length === this.entries.length && first.startOffset === startOffset) return undefined
    kept[0] = { epoch: first.epoch, startOffset }
    this.entries = kept
    return this.persist()
  }

  /** Removes every entry, e.g. when the log is deleted or fully truncated. */
  clear(): Promise<void> {
    this.entries = []
    return this.persist()
  }

  private persist(): Promise<void> {
    this.dirty = false
    return this.checkpoint.write(this.entries.slice()).catch((err: unknown) => {
      // The file may be stale: the next flush must write it again.
      this.dirty = true
      throw err
    })
  }
}
