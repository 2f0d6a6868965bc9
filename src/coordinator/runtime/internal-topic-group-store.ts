import { ErrorCode, KafkaError } from '../../protocol/error-codes.js'
import { ControlRecordType, decodeEndTxnMarker } from '../../protocol/records/control-record.js'
import {
  createRecordBatch,
  decodeRecordBatch,
  encodeRecordBatch
} from '../../protocol/records/record-batch.js'
import { iterateBatches } from '../../protocol/records/record-batch-iterator.js'
import { DelayedProduce } from '../../replica/delayed-produce.js'
import type { Partition } from '../../replica/partition.js'
import { partitionKey, type ReplicaManager } from '../../replica/replica-manager.js'
import type { CoordinatorLogEntry, CoordinatorRecord, GroupStore, TxnProducer } from '../group/group-store.js'

export const OFFSETS_TOPIC = '__consumer_offsets'
const LOAD_CHUNK_BYTES = 1024 * 1024
/** offsets.commit.timeout.ms's default: how long an append may wait for the ISR. */
export const DEFAULT_COMMIT_TIMEOUT_MS = 5000
const TRANSACTIONAL_BIT = 0x10
const CONTROL_BIT = 0x20

/**
 * The group coordinator's GroupStore on the `__consumer_offsets` partitions: each append is one record
 * batch written with acks=all through the replica manager, and resolves only once the whole ISR holds it
 * (or fails after `commitTimeoutMs`, Kafka's offsets.commit.timeout.ms), so an acknowledged commit
 * survives the loss of its coordinator; load replays the partition from its log start.
 * Appends to one partition are ordered by the log's own append serialisation.
 *
 * A transactional append (TxnOffsetCommit) is written as the producer's transactional batch with origin
 * 'coordinator', as Kafka's GroupMetadataManager does: no sequence number (the producer's sequences belong
 * to its data partitions), but the producer epoch is still checked, so a fenced producer's offsets are
 * rejected with INVALID_PRODUCER_EPOCH; the batch holds back the partition's last stable offset until the
 * transaction coordinator's marker completes it.
 */
export class InternalTopicGroupStore implements GroupStore {
  constructor(
    private readonly replicaManager: () => ReplicaManager,
    private readonly topic = OFFSETS_TOPIC,
    private readonly commitTimeoutMs = DEFAULT_COMMIT_TIMEOUT_MS
  ) {}

  async append(partition: number, records: readonly CoordinatorRecord[], txn?: TxnProducer): Promise<void> {
    const now = BigInt(Date.now())
    const batch = await encodeRecordBatch(
      createRecordBatch({
        baseTimestamp: now,
        ...(txn && { isTransactional: true, producerId: txn.producerId, producerEpoch: txn.producerEpoch }),
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
    if (txn === undefined) {
      await this.replicaManager().appendRecords(this.topic, partition, batch, -1, this.commitTimeoutMs)
      return
    }
    const p = await this.replicaManager().getPartition(this.topic, partition)
    if (!p.isLeader) {
      throw new KafkaError(ErrorCode.NOT_LEADER_OR_FOLLOWER, `not the leader of ${this.topic}-${partition}`)
    }
    const info = await p.log.append(batch, { leaderEpoch: p.leaderEpoch, origin: 'coordinator' })
    p.maybeIncrementHighWatermark()
    // Parked follower fetches must see the append now, or the ISR wait below lasts their whole long poll.
    this.replicaManager().fetchPurgatory.checkAndComplete(partitionKey(p.topic, p.partitionIndex))
    await this.awaitIsr(p, info.lastOffset + 1)
  }

  /** acks=all for an append made directly on the log: waits until the high watermark reaches `endOffset`. */
  private async awaitIsr(p: Partition, endOffset: number): Promise<void> {
    const replicaManager = this.replicaManager()
    const error = await new Promise<Error | null>((resolve) => {
      replicaManager.producePurgatory.tryCompleteElseWatch(
        new DelayedProduce(p, endOffset, this.commitTimeoutMs, resolve),
        [partitionKey(p.topic, p.partitionIndex)]
      )
    })
    if (error) throw error
  }

  async *load(partition: number): AsyncIterable<CoordinatorLogEntry> {
    const p = await this.replicaManager().getPartition(this.topic, partition)
    let offset = p.log.logStartOffset
    // The end is re-read after each chunk: a marker appended while the partition loads is replayed too.
    while (offset < p.log.logEndOffset) {
      const { info } = await p.read(offset, LOAD_CHUNK_BYTES, 'log-end', true)
      if (info.records.length === 0) break
      for (const { position, header } of iterateBatches(info.records)) {
        offset = Number(header.baseOffset) + header.lastOffsetDelta + 1
        const transactional = (header.attributes & TRANSACTIONAL_BIT) !== 0
        const batch = await decodeRecordBatch(info.records, position)
        if ((header.attributes & CONTROL_BIT) !== 0) {
          // Only transaction markers matter to the coordinators; other control records carry no state.
          const record = batch.records[0]
          if (!transactional || record === undefined) continue
          const marker = decodeEndTxnMarker(record)
          yield { key: null, producerId: header.producerId, commit: marker.type === ControlRecordType.COMMIT }
          continue
        }
        for (const record of batch.records) {
          if (record.key === null) continue
          yield transactional
            ? { key: record.key, value: record.value, producerId: header.producerId }
            : { key: record.key, value: record.value }
        }
      }
    }
  }
}
