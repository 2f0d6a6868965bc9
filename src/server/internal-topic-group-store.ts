import type { ReplicaManager } from '../cluster/replica-manager.js'
import type { CoordinatorRecord, GroupStore } from '../coordinator/group/group-store.js'
import { createRecordBatch, decodeRecordBatch, encodeRecordBatch } from '../protocol/records/record-batch.js'
import { iterateBatches } from '../protocol/records/record-batch-iterator.js'

export const OFFSETS_TOPIC = '__consumer_offsets'
const LOAD_CHUNK_BYTES = 1024 * 1024

/**
 * The group coordinator's GroupStore on the `__consumer_offsets` partitions: each append is one record
 * batch written with acks=all through the replica manager; load replays the partition from its log start.
 * Appends to one partition are ordered by the log's own append serialisation.
 */
export class InternalTopicGroupStore implements GroupStore {
  constructor(
    private readonly replicaManager: () => ReplicaManager,
    private readonly topic = OFFSETS_TOPIC
  ) {}

  async append(partition: number, records: readonly CoordinatorRecord[]): Promise<void> {
    const now = BigInt(Date.now())
    const batch = await encodeRecordBatch(
      createRecordBatch({
        baseTimestamp: now,
        records: records.map((r, i) => ({
          attributes: 0,
          timestampDelta: 0n,
          offsetDelta: i,
          key: r.key,
          value: r.value,
          headers: []
        }))
      })
    )
    await this.replicaManager().appendRecords(this.topic, partition, batch, -1)
  }

  async *load(partition: number): AsyncIterable<CoordinatorRecord> {
    const p = await this.replicaManager().getPartition(this.topic, partition)
    let offset = p.log.logStartOffset
    const end = p.log.logEndOffset
    while (offset < end) {
      const { info } = await p.read(offset, LOAD_CHUNK_BYTES, 'log-end', true)
      if (info.records.length === 0) break
      for (const { position, header } of iterateBatches(info.records)) {
        offset = Number(header.baseOffset) + header.lastOffsetDelta + 1
        // Control batches (transaction markers) carry no group state.
        if ((header.attributes & 0x20) !== 0) continue
        const batch = await decodeRecordBatch(info.records, position)
        for (const record of batch.records) {
          if (record.key !== null) yield { key: record.key, value: record.value }
        }
      }
    }
  }
}
