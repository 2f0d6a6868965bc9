/** `samsa produce TOPIC`: one record per input line (stdin or --file), as rpk produce and kafka-console-producer. */

import { createReadStream } from 'node:fs'
import { createInterface } from 'node:readline'
import { type CompressionAlgorithmValue, type MessageToProduce, Producer } from '@platformatic/kafka'
import type { Command } from 'commander'
import { UsageError } from '../cli-errors.js'
import { clientOptions, resolveConnection } from '../client-options.js'
import { print } from '../output.js'
import { Progress } from '../progress.js'
import { collect, type Flags, formatOf, intOption, keyValues, leaf } from './command-kit.js'

const COMPRESSIONS = ['none', 'gzip', 'snappy', 'lz4', 'zstd']
const BATCH = 500

interface ProduceFlags extends Flags {
  file?: string
  keySeparator?: string
  header?: string[]
  partition?: string
  compression: string
  acks: string
}

function parseAcks(value: string): number {
  if (value === 'all' || value === '-1') return -1
  if (value === '0' || value === '1') return Number(value)
  throw new UsageError(`--acks must be all, -1, 0 or 1, got ${value}`)
}

export function registerProduce(program: Command): void {
  leaf(program, 'produce <topic>', 'produce one record per line of stdin or --file')
    .option('--file <path>', 'read lines from this file instead of stdin')
    .option('-k, --key-separator <sep>', 'split each line at the first SEP into key and value')
    .option('-H, --header <key=value>', 'header on every record, repeatable', collect)
    .option('-p, --partition <n>', 'produce to this partition (default: by key, or round robin)')
    .option('-z, --compression <codec>', 'none, gzip, snappy, lz4 or zstd', 'none')
    .option('--acks <acks>', 'all (-1), 1 or 0', 'all')
    .action(async (topic: string, flags: ProduceFlags) => {
      const format = formatOf(flags)
      if (!COMPRESSIONS.includes(flags.compression))
        throw new UsageError(`--compression must be one of ${COMPRESSIONS.join(', ')}`)
      const acks = parseAcks(flags.acks)
      const partition = intOption(flags.partition, '--partition', 0)
      const headers = new Map(
        keyValues(flags.header, '--header').map(([k, v]) => [Buffer.from(k), Buffer.from(v)])
      )
      const producer = new Producer({
        ...clientOptions(resolveConnection(flags)),
        acks,
        compression: flags.compression as CompressionAlgorithmValue,
        autocreateTopics: false
      })
      const progress = new Progress()
      let count = 0
      let batch: MessageToProduce[] = []
      const flush = async () => {
        if (batch.length === 0) return
        const sent = batch
        batch = []
        await producer.send({ messages: sent })
        progress.update(`produced ${count} records`)
      }
      try {
        const input = flags.file ? createReadStream(flags.file) : process.stdin
        for await (const line of createInterface({ input, crlfDelay: Number.POSITIVE_INFINITY })) {
          let key: Buffer | undefined
          let value = line
          if (flags.keySeparator !== undefined) {
            const at = line.indexOf(flags.keySeparator)
            if (at >= 0) {
              key = Buffer.from(line.slice(0, at))
              value = line.slice(at + flags.keySeparator.length)
            }
          }
          batch.push({
            topic,
            value: Buffer.from(value),
            ...(key ? { key } : {}),
            ...(partition !== undefined ? { partition } : {}),
            headers
          })
          count++
          if (batch.length >= BATCH) await flush()
        }
        await flush()
      } finally {
        progress.done()
        await producer.close().catch(() => {})
      }
      const data = { topic, records: count }
      print(format, { data, tables: [{ rows: [data] }] })
    })
}
