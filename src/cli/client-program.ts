/**
 * The client commands of `samsa` (topic, produce, consume, group, config, acl, user, quota, cluster info|health,
 * partition, version), in the style of rpk and Kafka's tools, on commander. Exit codes: 0 ok, 1 failure, 2 usage
 * error (commander's parse errors and UsageError).
 */

import { Command, CommanderError } from 'commander'
import { UsageError } from './cli-errors.js'
import { io } from './cli-io.js'
import { registerAcl } from './commands/acl.js'
import { registerClusterInfo } from './commands/cluster.js'
import { finishLeaves } from './commands/command-kit.js'
import { registerConfig } from './commands/config.js'
import { registerConsume } from './commands/consume.js'
import { registerGroup } from './commands/group.js'
import { registerPartition } from './commands/partition.js'
import { registerProduce } from './commands/produce.js'
import { registerQuota } from './commands/quota.js'
import { registerTopic } from './commands/topic.js'
import { registerUser } from './commands/user.js'
import { registerVersion } from './commands/version.js'

function buildProgram(): Command {
  const program = new Command('samsa')
  program.exitOverride()
  program.configureOutput({
    writeErr: (s) => io.err(s),
    writeOut: (s) => io.out(s)
  })
  program.showHelpAfterError('(run with --help for usage)')
  registerTopic(program)
  registerProduce(program)
  registerConsume(program)
  registerGroup(program)
  registerConfig(program)
  registerAcl(program)
  registerUser(program)
  registerQuota(program)
  registerClusterInfo(program)
  registerPartition(program)
  registerVersion(program)
  finishLeaves()
  return program
}

/** Runs a client command; resolves with the exit code. */
export async function runClientProgram(argv: readonly string[]): Promise<number> {
  const program = buildProgram()
  try {
    await program.parseAsync([...argv], { from: 'user' })
    return 0
  } catch (err) {
    if (err instanceof CommanderError) return err.exitCode === 0 ? 0 : 2
    if (err instanceof UsageError) {
      io.err(`samsa: ${err.message}\n`)
      return 2
    }
    io.err(`samsa: ${describeError(err)}\n`)
    return 1
  }
}

/** The library wraps protocol errors; show the innermost messages that say what went wrong. */
export function describeError(err: unknown): string {
  if (!(err instanceof Error)) return String(err)
  // A broker's error: its name and message say more than the library's generic text.
  const server = err as { apiId?: string; serverErrorMessage?: string | null }
  const parts = [
    server.apiId
      ? `${server.apiId}${server.serverErrorMessage ? `: ${server.serverErrorMessage}` : ''}`
      : err.message
  ]
  const nested = (err as { errors?: unknown[] }).errors
  if (Array.isArray(nested)) for (const e of nested) parts.push(describeError(e))
  else if (err.cause) parts.push(describeError(err.cause))
  return [...new Set(parts)].join(': ')
}
