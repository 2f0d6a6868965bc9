/**
 * The coordinator's only view of persistence: an append-only record log per `__consumer_offsets`
 * partition, carrying Kafka's key/value formats (coordinator-records.ts). The broker implements it on the
 * partition's log; a null value is a tombstone, so compaction keeps exactly the latest state.
 *
 * Transactional offset commits (TxnOffsetCommit) are appended as a transactional batch of the producer, as
 * Kafka does: the transaction's COMMIT or ABORT marker, written to the same partition later, decides
 * whether they count. load() therefore tags the records of transactional batches with their producer id
 * and surfaces the markers in log order.
 *
 * Contract: appends to one partition complete in the order they were issued, and a resolved append is
 * durable enough to be replayed by load(). Rejections should be KafkaErrors carrying the log's error code.
 */

export interface CoordinatorRecord {
  readonly key: Buffer
  readonly value: Buffer | null
  /** On load: the producer of the transactional batch this record came from; absent otherwise. */
  readonly producerId?: bigint
}

/** On load: a transaction's COMMIT or ABORT marker (key null tells it apart from a record). */
export interface CoordinatorTxnMarker {
  readonly key: null
  readonly producerId: bigint
  readonly commit: boolean
}

export type CoordinatorLogEntry = CoordinatorRecord | CoordinatorTxnMarker

/** The producer a transactional append belongs to. */
export interface TxnProducer {
  readonly producerId: bigint
  readonly producerEpoch: number
}

export interface GroupStore {
  /**
   * Appends the records atomically (one batch), resolving once they are committed. With `txn`, the batch
   * is the producer's transactional batch, left pending until its transaction's marker.
   */
  append(partition: number, records: readonly CoordinatorRecord[], txn?: TxnProducer): Promise<void>
  /** Every record of the partition and every transaction marker, oldest first. */
  load(partition: number): AsyncIterable<CoordinatorLogEntry>
}

/** A GroupStore kept in memory: for tests and for a broker with no durable `__consumer_offsets` yet. */
export class InMemoryGroupStore implements GroupStore {
  private readonly logs = new Map<number, CoordinatorLogEntry[]>()

  async append(partition: number, records: readonly CoordinatorRecord[], txn?: TxnProducer): Promise<void> {
    const log = this.log(partition)
    if (txn === undefined) log.push(...records)
    else log.push(...records.map((r) => ({ key: r.key, value: r.value, producerId: txn.producerId })))
  }

  /** What the transaction coordinator's marker does on the broker's log. */
  appendTxnMarker(partition: number, producerId: bigint, commit: boolean): void {
    this.log(partition).push({ key: null, producerId, commit })
  }

  async *load(partition: number): AsyncIterable<CoordinatorLogEntry> {
    yield* this.logs.get(partition) ?? []
  }

  records(partition: number): readonly CoordinatorRecord[] {
    return (this.logs.get(partition) ?? []).filter((e): e is CoordinatorRecord => e.key !== null)
  }

  private log(partition: number): CoordinatorLogEntry[] {
    let log = this.logs.get(partition)
    if (log === undefined) {
      log = []
      this.logs.set(partition, log)
    }
    return log
  }
}
