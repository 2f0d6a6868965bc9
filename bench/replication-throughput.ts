/**
 * What replication costs a producer: on one 3-broker cluster (real etcd, `samsa cluster start`), produces
 * the same records with kcat (librdkafka, acks=all, linger.ms=5) to a one-partition topic with RF=1 and to
 * one with RF=3 and min.insync.replicas=2, consumes each back to check every record arrived, and prints
 * records/s for both and the RF=3 / RF=1 ratio.
 * Run: npx tsc -p tsconfig.json && node dist/bench/replication-throughput.js [records]   (default 200,000)
 * First runs (2 cores shared with other work, Node 20, kcat 1.7.1 / librdkafka 2.0.2, 200,000 x 100 B, 3 runs):
 * RF=1 180k-340k records/s, RF=3 93k-143k records/s; RF=3 / RF=1 = 0.44, 0.42, 0.52. Noisy: a run takes ~1-2 s.
 */

import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { partitionOf } from '../test/e2e/cluster/cluster-kit.js'
import { RF1_TOPIC, RF3_TOPIC, withReplicationCluster } from './lib/replication-cluster.js'
import { timedKcat } from './lib/timed-kcat.js'

const RECORDS = Number(process.argv[2] ?? 200_000)
const RECORD_BYTES = 100

/** Produces the input file to `topic` and reads it back; resolves with the produce rate in records/s. */
async function produceRate(bootstrap: string, topic: string, input: string): Promise<number> {
  const produced = await timedKcat([
    '-P',
    '-b',
    bootstrap,
    '-t',
    topic,
    '-p',
    '0',
    '-q',
    '-X',
    'acks=all',
    '-X',
    'linger.ms=5',
    '-l',
    input
  ])
  const consumed = await timedKcat([
    '-C',
    '-b',
    bootstrap,
    '-t',
    topic,
    '-p',
    '0',
    '-q',
    '-e',
    '-o',
    'beginning',
    '-c',
    String(RECORDS)
  ])
  const expected = RECORDS * (RECORD_BYTES + 1)
  if (consumed.stdoutBytes !== expected) {
    throw new Error(`${topic}: consumed ${consumed.stdoutBytes} bytes, expected ${expected}`)
  }
  const rate = RECORDS / produced.seconds
  console.log(
    `${topic}: ${RECORDS} records of ${RECORD_BYTES} B in ${produced.seconds.toFixed(2)} s: ${Math.round(rate)} records/s, ${((rate * RECORD_BYTES) / 1e6).toFixed(1)} MB/s`
  )
  return rate
}

async function main(): Promise<void> {
  await withReplicationCluster('samsa-replication-bench-', async (state, dir) => {
    const input = join(dir, 'records.txt')
    const pad = 'x'.repeat(RECORD_BYTES - 8)
    const lines: string[] = []
    for (let i = 0; i < RECORDS; i++) lines.push(`${String(i).padStart(8, '0')}${pad}`)
    await writeFile(input, `${lines.join('\n')}\n`)
    const rf3 = await partitionOf(state.bootstrap, RF3_TOPIC)
    if (rf3.isrs.length !== 3) console.log(`note: rf3 starts with ISR ${rf3.isrs.map((r) => r.id).join(',')}`)
    const rf1Rate = await produceRate(state.bootstrap, RF1_TOPIC, input)
    const rf3Rate = await produceRate(state.bootstrap, RF3_TOPIC, input)
    console.log(`RF=3 / RF=1 produce throughput (acks=all): ${(rf3Rate / rf1Rate).toFixed(3)}`)
  })
}

await main()
