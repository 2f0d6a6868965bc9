/**
 * First end-to-end rates with a real client: starts a broker process, produces 1,000,000 records of 100
 * bytes with kcat (librdkafka) from a file, consumes them back with kcat, and prints records/s and MB/s
 * for both directions. One partition, acks=all (librdkafka's default), no compression.
 * Run: npx tsc -p tsconfig.json && node dist/bench/first-rates.js [records]
 * First run (2 cores, Node 20, kcat 1.7.1 / librdkafka 2.0.2, 1,000,000 records): produce 383,664 records/s
 * (38.4 MB/s), consume 565,612 records/s (56.6 MB/s).
 */

import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { BrokerProcess } from '../test/helpers/broker-process.js'
import { timedKcat } from './lib/timed-kcat.js'

const RECORDS = Number(process.argv[2] ?? 1_000_000)
const RECORD_BYTES = 100

function report(direction: string, seconds: number): void {
  const rate = RECORDS / seconds
  const mb = (RECORDS * RECORD_BYTES) / seconds / 1e6
  console.log(
    `${direction.padEnd(8)} ${RECORDS} records in ${seconds.toFixed(2)} s: ${Math.round(rate)} records/s, ${mb.toFixed(1)} MB/s`
  )
}

async function main(): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'samsa-bench-'))
  const input = join(dir, 'records.txt')
  // 100 bytes of payload per record, newline-delimited for kcat.
  const line = `${'x'.repeat(RECORD_BYTES - 8)}`
  const lines: string[] = []
  for (let i = 0; i < RECORDS; i++) lines.push(`${String(i).padStart(8, '0')}${line}`)
  await writeFile(input, `${lines.join('\n')}\n`)
  const broker = await BrokerProcess.start({ overrides: ['num.partitions=1'] })
  try {
    const produced = await timedKcat([
      '-P',
      '-b',
      broker.bootstrap,
      '-t',
      't',
      '-p',
      '0',
      '-q',
      '-X',
      'linger.ms=5',
      '-l',
      input
    ])
    report('produce', produced.seconds)
    const consumed = await timedKcat([
      '-C',
      '-b',
      broker.bootstrap,
      '-t',
      't',
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
    if (consumed.stdoutBytes !== expected)
      throw new Error(`consumed ${consumed.stdoutBytes} bytes, expected ${expected}`)
    report('consume', consumed.seconds)
  } finally {
    await broker.stop()
    await rm(dir, { recursive: true, force: true })
  }
}

await main()
