/**
 * The coordinator's only view of persistence: an append-only record log per `__consumer_offsets`
 * partition, carrying Kafka's key/value formats (coordinator-records.ts). The broker implements it on the
 * partition's log; a null value is a tombstone, so compaction keeps exactly the latest state.
 *
 * Contract: appends to one partition complete in the order they were issued, and a resolved append is
 * durable enough to be replayed by load(). Rejections should be KafkaErrors carrying the log's error code.
 */

export interface CoordinatorRecord {
  readonly key: Buffer
  readonly value: Buffer | null
}

export interface GroupStore {
  /** Appends the records atomically (one batch), resolving once they are committed. */
  append(partition: number, records: readonly CoordinatorRecord[]): Promise<void>
  /** Every record of the partition, oldest first. */
  load(partition: number): AsyncIterable<CoordinatorRecord>
}

/** A GroupStore kept in memory: for tests and for a broker with no durable `__consumer_offsets` yet. */
export class InMemoryGroupStore implements GroupStore {
  private readonly logs = new Map<number, CoordinatorRecord[]>()

  async append(partition: number, records: readonly CoordinatorRecord[]): Promise<void> {
    let log = this.logs.get(partition)
    if (log === undefined) {
      log = []
      this.logs.set(partition, log)
    }
    log.push(...records)
  }

  async *load(partition: number): AsyncIterable<CoordinatorRecord> {
    yield* this.logs.get(partition) ?? []
  }

  records(partition: number): readonly CoordinatorRecord[] {
    return this.logs.get(partition) ?? []
  }
}
