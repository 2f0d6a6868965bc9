/**
 * Consuming assigned partitions without a group: Fetch from each partition's leader, from the offsets given,
 * until `--num` records (or Ctrl-C). Control batches (transaction markers) are skipped, as consumers do.
 */

import { type Admin, Consumer } from '@platformatic/kafka'
import { type ConnectionFlags, clientOptions, resolveConnection } from '../client-options.js'
import type { ConsumedRecord } from '../record-format.js'

const CONTROL_BATCH = 0x20

export async function fetchAssigned(
  flags: ConnectionFlags,
  admin: Admin,
  topic: string,
  offsets: Map<number, bigint>,
  num: number | undefined,
  emit: (r: ConsumedRecord) => void
): Promise<void> {
  // A Consumer only for its Fetch and decoding; it never joins the group named here.
  const consumer = new Consumer({ ...clientOptions(resolveConnection(flags)), groupId: 'samsa-cli-assigned' })
  let stopping = false
  const stop = () => {
    stopping = true
  }
  process.once('SIGINT', stop)
  let count = 0
  try {
    while (!stopping && (num === undefined || count < num)) {
      const md = await admin.metadata({ topics: [topic] })
      const t = md.topics.get(topic)
      if (!t) throw new Error(`topic ${topic} not found`)
      const byLeader = new Map<number, number[]>()
      for (const p of offsets.keys()) {
        const leader = t.partitions[p]?.leader ?? -1
        if (leader < 0) continue
        byLeader.set(leader, [...(byLeader.get(leader) ?? []), p])
      }
      if (byLeader.size === 0) throw new Error(`no partition of ${topic} has a leader`)
      const responses = await Promise.all(
        [...byLeader].map(([node, partitions]) =>
          consumer.fetch({
            node,
            maxWaitTime: 500,
            minBytes: 1,
            maxBytes: 4 * 1024 * 1024,
            topics: [
              {
                topicId: t.id,
                partitions: partitions.map((partition) => ({
                  partition,
                  currentLeaderEpoch: -1,
                  fetchOffset: offsets.get(partition)!,
                  lastFetchedEpoch: -1,
                  partitionMaxBytes: 1024 * 1024
                }))
              }
            ]
          })
        )
      )
      for (const response of responses)
        for (const rt of response.responses)
          for (const rp of rt.partitions) {
            if (rp.errorCode !== 0) continue // retried with fresh metadata on the next round
            let next = offsets.get(rp.partitionIndex)!
            for (const batch of rp.records ?? []) {
              const batchEnd = batch.firstOffset + BigInt(batch.lastOffsetDelta) + 1n
              if ((batch.attributes & CONTROL_BATCH) !== 0) {
                if (batchEnd > next) next = batchEnd
                continue
              }
              for (const record of batch.records) {
                const offset = batch.firstOffset + BigInt(record.offsetDelta)
                if (offset < next) continue
                if (num !== undefined && count >= num) break
                emit({
                  topic,
                  partition: rp.partitionIndex,
                  offset,
                  timestamp: batch.firstTimestamp + record.timestampDelta,
                  key: record.key,
                  value: record.value,
                  headers: record.headers.map(([k, v]) => [k?.toString() ?? '', v?.toString() ?? ''])
                })
                count++
                next = offset + 1n
              }
            }
            offsets.set(rp.partitionIndex, next)
          }
    }
  } finally {
    process.off('SIGINT', stop)
    await consumer.close().catch(() => {})
  }
}
