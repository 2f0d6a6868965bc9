/**
 * `samsa consume TOPIC`: as a member of `--group` (offsets committed for what was printed), or from assigned
 * partitions without a group (all of them unless `--partitions`), from `--offset start|end|N|@timestamp`.
 */

import { type Admin, Consumer, type Message } from '@platformatic/kafka'
import type { Command } from 'commander'
import { UsageError } from '../cli-errors.js'
import { io } from '../cli-io.js'
import { addConnectionOptions, clientOptions, resolveConnection } from '../client-options.js'
import { withAdmin } from '../kafka-session.js'
import { type ConsumedRecord, recordPrinter } from '../record-format.js'
import { type Flags, intOption, partitionList } from './command-kit.js'
import { fetchAssigned } from './consume-assigned.js'

interface ConsumeFlags extends Flags {
  offset: string
  group?: string
  partitions?: string
  num?: string
  template?: string
}

/** Where to start: an earliest/latest sentinel, an offset, or a timestamp to look up. */
export type StartOffset =
  | { kind: 'start' }
  | { kind: 'end' }
  | { kind: 'offset'; offset: bigint }
  | { kind: 'time'; ms: bigint }

export function parseStartOffset(value: string): StartOffset {
  if (value === 'start' || value === 'oldest') return { kind: 'start' }
  if (value === 'end' || value === 'newest') return { kind: 'end' }
  if (/^@\d+$/.test(value)) return { kind: 'time', ms: BigInt(value.slice(1)) }
  if (value.startsWith('@')) {
    const ms = Date.parse(value.slice(1))
    if (Number.isNaN(ms)) throw new UsageError(`--offset @${value.slice(1)} is not a timestamp`)
    return { kind: 'time', ms: BigInt(ms) }
  }
  if (/^\d+$/.test(value)) return { kind: 'offset', offset: BigInt(value) }
  throw new UsageError(`--offset must be start, end, an offset or @timestamp, got ${value}`)
}

/** The offset each partition starts at, from ListOffsets for start, end and timestamps. */
export async function resolveStartOffsets(
  admin: Admin,
  topic: string,
  partitions: number[],
  start: StartOffset
): Promise<Map<number, bigint>> {
  if (start.kind === 'offset') return new Map(partitions.map((p) => [p, start.offset]))
  const timestamp = start.kind === 'start' ? -2n : start.kind === 'end' ? -1n : start.ms
  const listed = await admin.listOffsets({
    topics: [{ name: topic, partitions: partitions.map((partitionIndex) => ({ partitionIndex, timestamp })) }]
  })
  const out = new Map<number, bigint>()
  for (const t of listed) for (const p of t.partitions) out.set(p.partitionIndex, p.offset)
  // No record at or after the timestamp: start at the end, as Kafka's tools do.
  if (start.kind === 'time') {
    const ends = await resolveStartOffsets(admin, topic, partitions, { kind: 'end' })
    for (const p of partitions) if ((out.get(p) ?? -1n) < 0n) out.set(p, ends.get(p) ?? 0n)
  }
  return out
}

export function registerConsume(program: Command): void {
  addConnectionOptions(program.command('consume <topic>').description('consume records and print them'))
    .option('-o, --offset <where>', 'start, end, an offset N or @timestamp (ms or ISO date)', 'start')
    .option('-g, --group <id>', 'consume as a member of this group, committing what is printed')
    .option('-p, --partitions <list>', 'consume only these partitions (without a group)')
    .option('-n, --num <n>', 'exit after N records')
    .option('-f, --template <template>', "rpk-style output template, e.g. '%k %v\\n'")
    .option('--format <format>', 'text (the value per line), json or yaml: one document per record', 'text')
    .action(async (topic: string, flags: ConsumeFlags) => {
      if (!['text', 'json', 'yaml'].includes(flags.format ?? 'text'))
        throw new UsageError('--format must be text, json or yaml')
      const num = intOption(flags.num, '--num', 1)
      const start = parseStartOffset(flags.offset)
      const printer = recordPrinter(flags.format ?? 'text', flags.template)
      const emit = (r: ConsumedRecord) => io.out(printer(r))
      if (flags.group !== undefined) {
        if (flags.partitions !== undefined)
          throw new UsageError('--group and --partitions exclude each other')
        if (start.kind !== 'start' && start.kind !== 'end')
          throw new UsageError(
            'with --group, --offset is start or end (where to begin without a committed offset)'
          )
        await consumeAsMember(flags, topic, flags.group, start.kind, num, emit)
        return
      }
      await withAdmin(flags, async (admin) => {
        const md = await admin.metadata({ topics: [topic], forceUpdate: true })
        const t = md.topics.get(topic)
        if (!t) throw new Error(`topic ${topic} not found`)
        const partitions = partitionList(flags.partitions) ?? t.partitions.map((_, i) => i)
        for (const p of partitions)
          if (p >= t.partitionsCount) throw new UsageError(`topic ${topic} has no partition ${p}`)
        const offsets = await resolveStartOffsets(admin, topic, partitions, start)
        await fetchAssigned(flags, admin, topic, offsets, num, emit)
      })
    })
}

async function consumeAsMember(
  flags: ConsumeFlags,
  topic: string,
  groupId: string,
  fallback: 'start' | 'end',
  num: number | undefined,
  emit: (r: ConsumedRecord) => void
): Promise<void> {
  const consumer = new Consumer({ ...clientOptions(resolveConnection(flags)), groupId, autocommit: false })
  // Ctrl-C ends the wait for the next record, then what was printed is committed as on --num.
  let stop = () => {}
  const stopped = new Promise<'stopped'>((resolve) => {
    stop = () => resolve('stopped')
  })
  process.once('SIGINT', stop)
  try {
    const stream = await consumer.consume({
      topics: [topic],
      mode: 'committed',
      fallbackMode: fallback === 'start' ? 'earliest' : 'latest',
      maxWaitTime: 500
    })
    // The last printed record of each partition: its offset + 1 is committed, once, at the end.
    const last = new Map<number, Message>()
    let count = 0
    try {
      const records = stream[Symbol.asyncIterator]()
      for (;;) {
        const next = await Promise.race([records.next(), stopped])
        if (next === 'stopped' || next.done) break
        const message = next.value as Message
        emit({
          topic: message.topic,
          partition: message.partition,
          offset: message.offset,
          timestamp: message.timestamp,
          key: message.key?.length ? message.key : null,
          value: message.value,
          headers: [...message.headers].map(([k, v]) => [k.toString(), v.toString()])
        })
        last.set(message.partition, message)
        count++
        if (num !== undefined && count >= num) break
      }
      // Committed after the loop: one commit per partition, of the last record printed.
      for (const message of last.values()) await message.commit()
    } finally {
      await stream.close().catch(() => {})
    }
  } finally {
    process.off('SIGINT', stop)
    await consumer.close().catch(() => {})
  }
}
