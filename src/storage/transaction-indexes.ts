import { readdir } from 'node:fs/promises'
import { join } from 'node:path'
import { offsetFileStem } from './log-file-names.js'
import { type AbortedTxn, TransactionIndex, TXN_INDEX_FILE_SUFFIX } from './transaction-index.js'

/**
 * The `.txnindex` files of one log, keyed by segment base offset (LogSegment's other files stay with it;
 * this keeps the transaction index beside them under the same stem). Kafka's per-segment txnIndex plus
 * LocalLog.collectAbortedTransactions.
 *
 * Ownership: one per UnifiedLog; mutated only on the log's mutation chain; collect() is synchronous.
 */
export class TransactionIndexes {
  private readonly byBase = new Map<number, TransactionIndex>()

  private constructor(private readonly dir: string) {}

  /** Opens the index files of `segmentBases` and removes those of segments that no longer exist. */
  static async load(dir: string, segmentBases: readonly number[]): Promise<TransactionIndexes> {
    const t = new TransactionIndexes(dir)
    const bases = new Set(segmentBases)
    for (const name of await readdir(dir)) {
      const m = /^(\d{20})\.txnindex$/.exec(name)
      if (!m) continue
      const base = Number(m[1])
      const index = await TransactionIndex.open(join(dir, name))
      if (bases.has(base)) t.byBase.set(base, index)
      else await index.delete()
    }
    return t
  }

  private indexFor(base: number): Promise<TransactionIndex> | TransactionIndex {
    const existing = this.byBase.get(base)
    if (existing) return existing
    return TransactionIndex.open(join(this.dir, offsetFileStem(base) + TXN_INDEX_FILE_SUFFIX)).then((i) => {
      this.byBase.set(base, i)
      return i
    })
  }

  append(segmentBase: number, txn: AbortedTxn): Promise<void> {
    return Promise.resolve(this.indexFor(segmentBase)).then((i) => i.append(txn))
  }

  entries(segmentBase: number): readonly AbortedTxn[] {
    return this.byBase.get(segmentBase)?.allAbortedTxns ?? []
  }

  /**
   * Aborted transactions overlapping [fetchOffset, upperBoundOffset), scanning the indexes of the segments
   * from `fromBase` (the one holding fetchOffset) on, until one entry proves nothing later can overlap.
   */
  collect(segmentBases: readonly number[], fetchOffset: number, upperBoundOffset: number): AbortedTxn[] {
    const out: AbortedTxn[] = []
    for (const base of segmentBases) {
      const index = this.byBase.get(base)
      if (!index) continue
      const { txns, complete } = index.collectAbortedTxns(fetchOffset, upperBoundOffset)
      out.push(...txns)
      if (complete) break
    }
    return out
  }

  /** Rewrites a segment's index with `txns` (the log cleaner's rebuilt index for a cleaned segment). */
  async replace(segmentBase: number, txns: readonly AbortedTxn[]): Promise<void> {
    await this.delete(segmentBase)
    for (const txn of txns) await this.append(segmentBase, txn)
  }

  /** Drops entries whose marker is at or after `offset`, in every index. */
  async truncateTo(offset: number): Promise<void> {
    for (const [base, index] of this.byBase) {
      await index.truncateTo(offset)
      if (index.allAbortedTxns.length === 0) this.byBase.delete(base)
    }
  }

  /** With the segment's other files (retention, truncation). */
  async delete(segmentBase: number): Promise<void> {
    const index = this.byBase.get(segmentBase)
    this.byBase.delete(segmentBase)
    await index?.delete()
  }

  async flush(): Promise<void> {
    for (const index of this.byBase.values()) await index.flush()
  }

  async close(): Promise<void> {
    for (const index of this.byBase.values()) await index.close()
  }
}
