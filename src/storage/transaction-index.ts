import { type FileHandle, open, readFile, unlink } from 'node:fs/promises'

export const TXN_INDEX_FILE_SUFFIX = '.txnindex'
const ENTRY_SIZE = 34
const ENTRY_VERSION = 0

/**
 * An aborted transaction as Kafka's AbortedTxn: the producer, the offsets of its first record and of its
 * ABORT marker, and the last stable offset when the marker was written (the first offset of any other
 * transaction still open then, else the marker's offset + 1). A read_committed fetch may stop scanning
 * indexes once it meets an entry whose lastStableOffset reaches its upper bound.
 */
export interface AbortedTxn {
  producerId: bigint
  firstOffset: number
  lastOffset: number
  lastStableOffset: number
}

/**
 * One segment's `.txnindex` (Kafka's TransactionIndex): aborted transactions whose ABORT marker lies in the
 * segment, in marker order, as fixed 34-byte big-endian entries (version int16 = 0, producerId int64,
 * firstOffset int64, lastOffset int64, lastStableOffset int64). The file is created with the first entry;
 * a torn trailing entry is ignored when read back.
 *
 * Ownership: one per segment, held by the log's TransactionIndexes, mutated only on the log's mutation
 * chain. Entries are also kept in memory (they are few), so reads never touch the disk.
 */
export class TransactionIndex {
  private handle: FileHandle | undefined
  private constructor(
    readonly path: string,
    private entries: AbortedTxn[]
  ) {}

  static async open(path: string): Promise<TransactionIndex> {
    let entries: AbortedTxn[] = []
    try {
      entries = decodeEntries(await readFile(path))
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err
    }
    return new TransactionIndex(path, entries)
  }

  get allAbortedTxns(): readonly AbortedTxn[] {
    return this.entries
  }

  get lastOffset(): number | undefined {
    return this.entries[this.entries.length - 1]?.lastOffset
  }

  async append(txn: AbortedTxn): Promise<void> {
    const last = this.lastOffset
    if (last !== undefined && txn.lastOffset <= last) {
      throw new Error(
        `aborted transaction at ${txn.lastOffset} is not after the last one at ${last} in ${this.path}`
      )
    }
    this.handle ??= await open(this.path, 'a')
    const b = Buffer.allocUnsafe(ENTRY_SIZE)
    b.writeInt16BE(ENTRY_VERSION, 0)
    b.writeBigInt64BE(txn.producerId, 2)
    b.writeBigInt64BE(BigInt(txn.firstOffset), 10)
    b.writeBigInt64BE(BigInt(txn.lastOffset), 18)
    b.writeBigInt64BE(BigInt(txn.lastStableOffset), 26)
    await this.handle.write(b)
    this.entries.push(txn)
  }

  /**
   * The aborted transactions overlapping [fetchOffset, upperBoundOffset); `complete` when an entry shows
   * that no later segment can hold more (its lastStableOffset reaches the upper bound).
   */
  collectAbortedTxns(
    fetchOffset: number,
    upperBoundOffset: number
  ): { txns: AbortedTxn[]; complete: boolean } {
    const txns: AbortedTxn[] = []
    for (const t of this.entries) {
      if (t.lastOffset >= fetchOffset && t.firstOffset < upperBoundOffset) txns.push(t)
      if (t.lastStableOffset >= upperBoundOffset) return { txns, complete: true }
    }
    return { txns, complete: false }
  }

  /** Drops the entries whose marker is at or after `offset` (log truncation). */
  async truncateTo(offset: number): Promise<void> {
    const keep = this.entries.filter((t) => t.lastOffset < offset)
    if (keep.length === this.entries.length) return
    this.entries = keep
    await this.closeHandle()
    if (keep.length === 0) {
      await this.deleteFile()
      return
    }
    const h = await open(this.path, 'r+')
    try {
      await h.truncate(keep.length * ENTRY_SIZE)
    } finally {
      await h.close()
    }
  }

  async flush(): Promise<void> {
    await this.handle?.sync()
  }

  async close(): Promise<void> {
    await this.closeHandle()
  }

  /** Closes and removes the file; the index is empty afterwards. */
  async delete(): Promise<void> {
    this.entries = []
    await this.closeHandle()
    await this.deleteFile()
  }

  private async closeHandle(): Promise<void> {
    const h = this.handle
    this.handle = undefined
    await h?.close()
  }

  private async deleteFile(): Promise<void> {
    await unlink(this.path).catch((err: NodeJS.ErrnoException) => {
      if (err.code !== 'ENOENT') throw err
    })
  }
}

function decodeEntries(buf: Buffer): AbortedTxn[] {
  const out: AbortedTxn[] = []
  for (let pos = 0; pos + ENTRY_SIZE <= buf.length; pos += ENTRY_SIZE) {
    out.push({
      producerId: buf.readBigInt64BE(pos + 2),
      firstOffset: Number(buf.readBigInt64BE(pos + 10)),
      lastOffset: Number(buf.readBigInt64BE(pos + 18)),
      lastStableOffset: Number(buf.readBigInt64BE(pos + 26))
    })
  }
  return out
}
