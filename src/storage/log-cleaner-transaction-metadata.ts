import { ControlRecordType } from '../protocol/records/control-record.js'
import type { AbortedTxn } from './transaction-index.js'

/** What the cleaner needs of a batch header to follow transactions. */
export interface TxnBatchInfo {
  producerId: bigint
  lastOffset: number
  isTransactional: boolean
}

interface OngoingAbortedTxn {
  txn: AbortedTxn
  /** Some batch of the transaction was met in this pass (so its data may still be in the log before it). */
  batchSeen: boolean
}

/**
 * Kafka's CleanedTransactionMetadata: follows transactions while one cleaning pass walks the log in offset
 * order, to decide which batches are aborted data (dropped) and when a COMMIT or ABORT marker may go. It is
 * fed the aborted transactions of the `.txnindex` files ahead of the walk; a transaction becomes "ongoing"
 * once the walk reaches its first offset and ends at its marker.
 *
 * Marker rules: an ABORT marker is kept while batches of its transaction were still met in this pass (they
 * are being removed now; the marker goes in a later pass), and its index entry is then kept for the cleaned
 * segment; a COMMIT marker is kept while batches of its transaction were met. A marker that may go is not
 * dropped at once: the cleaner first stamps it with a delete horizon (delete.retention.ms), as tombstones,
 * so that consumers that were reading still see it.
 *
 * Ownership: one cleaning pass (or one offset-map build), on the event loop; never shared.
 */
export class CleanedTransactionMetadata {
  private readonly pending: AbortedTxn[] = []
  private readonly known = new Set<string>()
  private sorted = true
  private readonly ongoingAborted = new Map<bigint, OngoingAbortedTxn>()
  private readonly ongoingCommitted = new Set<bigint>()
  /** Aborted transactions whose markers this pass keeps, in marker order: the cleaned segment's `.txnindex`. */
  retainedAbortedTxns: AbortedTxn[] = []

  /** Adds aborted transactions read from the transaction indexes; the same one may be added twice. */
  addAbortedTransactions(txns: readonly AbortedTxn[]): void {
    for (const t of txns) {
      const id = `${t.producerId}:${t.firstOffset}`
      if (this.known.has(id)) continue
      this.known.add(id)
      this.pending.push(t)
      this.sorted = false
    }
  }

  /**
   * A control batch met by the walk; `controlType` is its record's type, undefined for an empty control
   * batch (an earlier cleaning emptied it). True when the marker may be removed (once its horizon passes).
   */
  onControlBatchRead(batch: TxnBatchInfo, controlType: number | undefined): boolean {
    this.startAbortedUpTo(batch.lastOffset)
    if (controlType === undefined) return true
    if (controlType === ControlRecordType.ABORT) {
      const aborted = this.ongoingAborted.get(batch.producerId)
      this.ongoingAborted.delete(batch.producerId)
      if (aborted?.batchSeen) {
        this.retainedAbortedTxns.push(aborted.txn)
        return false
      }
      return true
    }
    if (controlType === ControlRecordType.COMMIT) return !this.ongoingCommitted.delete(batch.producerId)
    return false
  }

  /** A data batch met by the walk. True when it belongs to an aborted transaction, and may be dropped. */
  onBatchRead(batch: TxnBatchInfo): boolean {
    this.startAbortedUpTo(batch.lastOffset)
    if (!batch.isTransactional) return false
    const aborted = this.ongoingAborted.get(batch.producerId)
    if (aborted) {
      aborted.batchSeen = true
      return true
    }
    this.ongoingCommitted.add(batch.producerId)
    return false
  }

  private startAbortedUpTo(offset: number): void {
    if (!this.sorted) {
      // Pending entries, in descending first offset, so the next to start is popped from the end.
      this.pending.sort((a, b) => b.firstOffset - a.firstOffset)
      this.sorted = true
    }
    for (let t = this.pending.at(-1); t !== undefined && t.firstOffset <= offset; t = this.pending.at(-1)) {
      this.pending.pop()
      if (!this.ongoingAborted.has(t.producerId))
        this.ongoingAborted.set(t.producerId, { txn: t, batchSeen: false })
    }
  }
}
