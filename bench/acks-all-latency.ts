/**
 * acks=all latency at low load: on one 3-broker cluster (real etcd), sends single records one at a time
 * with kafkajs (acks=-1, each send awaited before the next) to a one-partition topic with RF=1 and to one
 * with RF=3 and min.insync.replicas=2, and prints the median and 90th percentile round trip of each.
 * At low load the leader's high watermark moves only when a follower fetches again, so this measures how
 * quickly a leader append reaches the followers' parked fetches.
 * Run: npx tsc -p tsconfig.json && node dist/bench/acks-all-latency.js [records]   (default 50)
 * Results (2 shared cores under other test load, Node 20, kafkajs 2.2.4, 30 records, `... 30`):
 * before the append wake-up (commit f7ae96c): RF=1 median 3.7 ms, p90 9.4 ms; RF=3 median 508.9 ms, p90 522.9 ms.
 * after: RF=1 median 2.9 ms, p90 8.5 ms; RF=3 median 4.4 ms, p90 30.4 ms (a second run: 9.9 ms, p90 44.8 ms).
 */

import kafkajs from 'kafkajs'
import { RF1_TOPIC, RF3_TOPIC, withReplicationCluster } from './lib/replication-cluster.js'

const RECORDS = Number(process.argv[2] ?? 50)

function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))] ?? Number.NaN
}

async function main(): Promise<void> {
  await withReplicationCluster('samsa-acks-all-latency-', async (state) => {
    const kafka = new kafkajs.Kafka({
      brokers: state.bootstrap.split(','),
      logLevel: kafkajs.logLevel.NOTHING
    })
    const producer = kafka.producer({ allowAutoTopicCreation: false })
    await producer.connect()
    try {
      for (const topic of [RF1_TOPIC, RF3_TOPIC]) {
        // Warm-up: metadata, connections, and the followers joining the ISR.
        for (let i = 0; i < 5; i++) await producer.send({ topic, acks: -1, messages: [{ value: 'warm' }] })
        const ms: number[] = []
        for (let i = 0; i < RECORDS; i++) {
          const started = process.hrtime.bigint()
          await producer.send({ topic, acks: -1, messages: [{ value: `record-${i}` }] })
          ms.push(Number(process.hrtime.bigint() - started) / 1e6)
        }
        ms.sort((a, b) => a - b)
        console.log(
          `${topic}: ${RECORDS} single-record acks=all sends, median ${percentile(ms, 0.5).toFixed(1)} ms, ` +
            `p90 ${percentile(ms, 0.9).toFixed(1)} ms, max ${ms[ms.length - 1]?.toFixed(1)} ms`
        )
      }
    } finally {
      await producer.disconnect()
    }
  })
}

await main()
