/**
 * Drives kcat (librdkafka 2.0.2) as a real producer and consumer. Output uses a length-prefixed format so
 * keys and values come back byte for byte, with null kept apart from empty.
 */

import { type ProcessResult, runOk, runProcess } from './run-process.js'

export const KCAT = '/usr/bin/kcat'

export interface KcatRecord {
  key: Buffer | null
  value: Buffer | null
}

export interface ConsumedRecord extends KcatRecord {
  partition: number
  offset: bigint
  timestamp: bigint
  /** kcat prints headers as `name=value` pairs separated by commas. */
  headers: string
}

// Input delimiters are bytes the tests never put in a key or a value.
const MESSAGE_DELIMITER = 0x1e
const KEY_DELIMITER = 0x1f

export interface KcatProduceOptions {
  compression?: 'none' | 'gzip' | 'snappy' | 'lz4' | 'zstd'
  partition?: number
  /** Applied to every record of this run (kcat's -H). */
  headers?: readonly string[]
  /** Extra librdkafka properties, `key=value`. */
  config?: readonly string[]
  timeoutMs?: number
}

function produceArgs(bootstrap: string, topic: string, options: KcatProduceOptions): string[] {
  const args = ['-P', '-b', bootstrap, '-t', topic, '-D', '\\x1e', '-K', '\\x1f', '-Z']
  // -z only names four codecs; librdkafka takes zstd (and any codec) through compression.codec.
  if (options.compression && options.compression !== 'none') {
    args.push('-X', `compression.codec=${options.compression}`)
  }
  if (options.partition !== undefined) args.push('-p', String(options.partition))
  for (const h of options.headers ?? []) args.push('-H', h)
  for (const c of options.config ?? []) args.push('-X', c)
  return args
}

/** Encodes records as kcat's stdin: a null key has no key delimiter, a null value is empty (-Z). */
export function kcatInput(records: readonly KcatRecord[]): Buffer {
  const parts: Buffer[] = []
  for (const r of records) {
    if (r.value !== null && r.value.length === 0)
      throw new Error('kcat -Z cannot send an empty non-null value')
    for (const b of [r.key, r.value]) {
      if (b && (b.includes(MESSAGE_DELIMITER) || b.includes(KEY_DELIMITER))) {
        throw new Error('record bytes contain a kcat delimiter')
      }
    }
    if (r.key !== null) parts.push(r.key, Buffer.from([KEY_DELIMITER]))
    if (r.value !== null) parts.push(r.value)
    parts.push(Buffer.from([MESSAGE_DELIMITER]))
  }
  return Buffer.concat(parts)
}

export function kcatProduce(
  bootstrap: string,
  topic: string,
  records: readonly KcatRecord[],
  options: KcatProduceOptions = {}
): Promise<ProcessResult> {
  return runOk(KCAT, produceArgs(bootstrap, topic, options), {
    input: kcatInput(records),
    timeoutMs: options.timeoutMs ?? 20_000
  })
}

/** Produces and returns the result whatever the exit code (for the failure cases). */
export function kcatProduceRaw(
  bootstrap: string,
  topic: string,
  records: readonly KcatRecord[],
  options: KcatProduceOptions = {}
): Promise<ProcessResult> {
  return runProcess(KCAT, produceArgs(bootstrap, topic, options), {
    input: kcatInput(records),
    timeoutMs: options.timeoutMs ?? 20_000
  })
}

export interface KcatConsumeOptions {
  partition?: number
  /** kcat -o: an absolute offset, `beginning`, `end`, `-N` (N from the end) or `s@<ms>`. */
  offset?: string
  count?: number
  config?: readonly string[]
  timeoutMs?: number
}

/** Consumes without a group (kcat's simple consumer, -C) until the end of the partition(s) or `count`. */
export async function kcatConsume(
  bootstrap: string,
  topic: string,
  options: KcatConsumeOptions = {}
): Promise<ConsumedRecord[]> {
  const args = ['-C', '-b', bootstrap, '-t', topic, '-e', '-o', options.offset ?? 'beginning']
  args.push('-f', '%p %o %T %K %S %h\n%k%s')
  if (options.partition !== undefined) args.push('-p', String(options.partition))
  if (options.count !== undefined) args.push('-c', String(options.count))
  for (const c of options.config ?? []) args.push('-X', c)
  const { stdout } = await runOk(KCAT, args, { timeoutMs: options.timeoutMs ?? 20_000 })
  return parseConsumed(stdout)
}

function parseConsumed(out: Buffer): ConsumedRecord[] {
  const records: ConsumedRecord[] = []
  let pos = 0
  while (pos < out.length) {
    const eol = out.indexOf(0x0a, pos)
    if (eol < 0) throw new Error(`truncated kcat output at byte ${pos}`)
    const line = out.subarray(pos, eol).toString('utf8')
    const m = /^(\d+) (\d+) (-?\d+) (-?\d+) (-?\d+) ?(.*)$/.exec(line)
    if (!m) throw new Error(`unexpected kcat output line: ${JSON.stringify(line)}`)
    pos = eol + 1
    const keyLen = Number(m[4])
    const valueLen = Number(m[5])
    const key = keyLen < 0 ? null : Buffer.from(out.subarray(pos, pos + keyLen))
    pos += Math.max(keyLen, 0)
    const value = valueLen < 0 ? null : Buffer.from(out.subarray(pos, pos + valueLen))
    pos += Math.max(valueLen, 0)
    records.push({
      partition: Number(m[1]),
      offset: BigInt(m[2] as string),
      timestamp: BigInt(m[3] as string),
      key,
      value,
      headers: m[6] ?? ''
    })
  }
  return records
}

/** kcat -L: the metadata listing as text. */
export async function kcatMetadata(bootstrap: string, topic?: string): Promise<string> {
  const args = ['-L', '-b', bootstrap]
  if (topic !== undefined) args.push('-t', topic)
  return (await runOk(KCAT, args, { timeoutMs: 15_000 })).stdout.toString('utf8')
}

/** kcat -Q: the offset of the first record with a timestamp >= `timestampMs` (or -1 / -2 for latest / earliest). */
export async function kcatQueryOffset(
  bootstrap: string,
  topic: string,
  partition: number,
  timestampMs: bigint | number
): Promise<bigint> {
  const { stdout } = await runOk(
    KCAT,
    ['-Q', '-b', bootstrap, '-t', `${topic}:${partition}:${timestampMs}`],
    {
      timeoutMs: 15_000
    }
  )
  const text = stdout.toString('utf8')
  const m = new RegExp(`${topic} \\[${partition}\\] offset (-?\\d+)`).exec(text)
  if (!m) throw new Error(`unexpected kcat -Q output: ${text}`)
  return BigInt(m[1] as string)
}
