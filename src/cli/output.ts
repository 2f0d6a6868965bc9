/**
 * How commands print data: `--format table` (the default, for people), `json` or `yaml` (for scripts). Bigints
 * become numbers when they fit and strings otherwise, so JSON output parses everywhere.
 */

import Table from 'cli-table3'
import type { Command } from 'commander'
import { stringify as toYaml } from 'yaml'
import { UsageError } from './cli-errors.js'
import { io } from './cli-io.js'

export const FORMATS = ['table', 'json', 'yaml'] as const
export type Format = (typeof FORMATS)[number]

export function addFormatOption(cmd: Command): Command {
  return cmd.option('--format <format>', 'output format: table, json or yaml', 'table')
}

export function parseFormat(value: unknown): Format {
  const f = String(value ?? 'table')
  if (!(FORMATS as readonly string[]).includes(f))
    throw new UsageError(`--format must be one of ${FORMATS.join(', ')}`)
  return f as Format
}

/** Plain data: bigints as numbers (or strings past 2^53), Maps as objects, Buffers as UTF-8. */
export function plain(value: unknown): unknown {
  if (typeof value === 'bigint')
    return value <= BigInt(Number.MAX_SAFE_INTEGER) && value >= BigInt(Number.MIN_SAFE_INTEGER)
      ? Number(value)
      : value.toString()
  if (Buffer.isBuffer(value)) return value.toString('utf8')
  if (value instanceof Map) return Object.fromEntries([...value].map(([k, v]) => [String(k), plain(v)]))
  if (Array.isArray(value)) return value.map(plain)
  if (value !== null && typeof value === 'object')
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, plain(v)]))
  return value
}

export function formatTable(items: readonly object[], columns?: readonly string[]): string {
  const rows = items as readonly Record<string, unknown>[]
  const head = columns ?? [...new Set(rows.flatMap((r) => Object.keys(r)))]
  const table = new Table({
    head: head.map((h) => h.toUpperCase()),
    style: { head: [], border: [] },
    // No line between rows: long listings stay readable.
    chars: { mid: '', 'left-mid': '', 'mid-mid': '', 'right-mid': '' }
  })
  for (const r of rows) {
    table.push(
      head.map((h) => {
        const v = plain(r[h])
        if (v === undefined || v === null) return ''
        return typeof v === 'object' ? JSON.stringify(v) : String(v)
      })
    )
  }
  return table.toString()
}

export interface Printable {
  /** The data scripts get with --format json|yaml. */
  data: unknown
  /** Tables people get; each with an optional title. */
  tables: { title?: string; rows: readonly object[]; columns?: readonly string[] }[]
}

export function print(format: Format, out: Printable, write: (s: string) => void = (s) => io.out(s)) {
  if (format === 'json') return write(`${JSON.stringify(plain(out.data), null, 2)}\n`)
  if (format === 'yaml') return write(toYaml(plain(out.data)))
  const parts = out.tables.map((t) => (t.title ? `${t.title}\n` : '') + formatTable(t.rows, t.columns))
  write(`${parts.join('\n\n')}\n`)
}

/** Prints a list of rows in any format: the rows themselves are the data. */
export function printRows(format: Format, rows: readonly object[], columns?: readonly string[]) {
  print(format, { data: rows, tables: [{ rows, ...(columns ? { columns } : {}) }] })
}
