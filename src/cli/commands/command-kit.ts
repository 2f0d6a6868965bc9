/** What every client command's definition shares: connection and format options, key=value parsing. */

import type { Command } from 'commander'
import { UsageError } from '../cli-errors.js'
import { addConnectionOptions, type ConnectionFlags } from '../client-options.js'
import { addFormatOption, type Format, parseFormat } from '../output.js'

const leaves: Command[] = []

/**
 * A subcommand that talks to a cluster and prints data. The shared options are added by finishLeaves(), after
 * the command's own, so --help lists what is particular to the command first.
 */
export function leaf(parent: Command, nameAndArgs: string, description: string): Command {
  const cmd = parent.command(nameAndArgs).description(description)
  leaves.push(cmd)
  return cmd
}

export function finishLeaves(): void {
  for (const cmd of leaves.splice(0)) addFormatOption(addConnectionOptions(cmd))
}

export type Flags = ConnectionFlags & { format?: string }

export function formatOf(flags: Flags): Format {
  return parseFormat(flags.format)
}

export const collect = (value: string, previous: string[] | undefined): string[] => [
  ...(previous ?? []),
  value
]

/** `k=v` pairs into an ordered list of [key, value]. */
export function keyValues(pairs: readonly string[] | undefined, what: string): [string, string][] {
  return (pairs ?? []).map((pair) => {
    const eq = pair.indexOf('=')
    if (eq <= 0) throw new UsageError(`${what} must be key=value, got ${pair}`)
    return [pair.slice(0, eq), pair.slice(eq + 1)]
  })
}

export function intOption(
  value: string | undefined,
  name: string,
  min = Number.MIN_SAFE_INTEGER
): number | undefined {
  if (value === undefined) return undefined
  const n = Number(value)
  if (!Number.isInteger(n) || n < min)
    throw new UsageError(`${name} must be an integer${min > -1e15 ? ` >= ${min}` : ''}, got ${value}`)
  return n
}

/** Parses a comma-separated list of partition numbers. */
export function partitionList(value: string | undefined): number[] | undefined {
  if (value === undefined) return undefined
  return value.split(',').map((p) => intOption(p.trim(), 'partition', 0)!)
}
