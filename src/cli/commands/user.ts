/**
 * `samsa user create|delete|list`: SCRAM users through AlterUserScramCredentials and
 * DescribeUserScramCredentials (KIP-554). As Kafka's admin client does, the salted password is computed here
 * (RFC 5802 Hi(), PBKDF2-HMAC) and only it and the salt travel to the broker.
 */

import { pbkdf2Sync, randomBytes } from 'node:crypto'
import type { Command } from 'commander'
import { AlterUserScramCredentialsApi } from '../../protocol/messages/alter-user-scram-credentials.js'
import { DescribeUserScramCredentialsApi } from '../../protocol/messages/describe-user-scram-credentials.js'
import { UsageError } from '../cli-errors.js'
import { controllerId, withAdmin } from '../kafka-session.js'
import { printRows } from '../output.js'
import { checkErrorCode, rawRequest } from '../raw-request.js'
import { type Flags, formatOf, intOption, leaf } from './command-kit.js'

const MECHANISMS: Record<string, { id: number; hash: 'sha256' | 'sha512'; bytes: number }> = {
  'SCRAM-SHA-256': { id: 1, hash: 'sha256', bytes: 32 },
  'SCRAM-SHA-512': { id: 2, hash: 'sha512', bytes: 64 }
}
const NAMES = ['UNKNOWN', 'SCRAM-SHA-256', 'SCRAM-SHA-512']

function mechanism(name: string) {
  const m = MECHANISMS[name.toUpperCase()]
  if (!m) throw new UsageError(`--mechanism must be SCRAM-SHA-256 or SCRAM-SHA-512, got ${name}`)
  return m
}

export function registerUser(program: Command): void {
  const user = program.command('user').description('create, delete and list SCRAM users')

  leaf(user, 'create <name>', 'create a SCRAM user or change its password')
    .requiredOption('--new-password <secret>', "the user's password")
    .option('--mechanism <name>', 'SCRAM-SHA-256 or SCRAM-SHA-512', 'SCRAM-SHA-256')
    .option('--iterations <n>', 'PBKDF2 iterations (4096 to 16384)', '4096')
    .action(
      async (name: string, flags: Flags & { newPassword: string; mechanism: string; iterations: string }) => {
        const format = formatOf(flags)
        const m = mechanism(flags.mechanism)
        const iterations = intOption(flags.iterations, '--iterations', 4096)!
        const salt = randomBytes(32)
        const saltedPassword = pbkdf2Sync(
          flags.newPassword.normalize('NFKC'),
          salt,
          iterations,
          m.bytes,
          m.hash
        )
        await withAdmin(flags, async (admin) => {
          const res = await rawRequest(admin, await controllerId(admin), AlterUserScramCredentialsApi, 0, {
            deletions: [],
            upsertions: [{ name, mechanism: m.id, iterations, salt, saltedPassword }]
          })
          for (const r of res.results) checkErrorCode(r.errorCode, r.errorMessage, `user ${r.user}`)
        })
        printRows(format, [
          { user: name, mechanism: flags.mechanism.toUpperCase(), iterations, status: 'created' }
        ])
      }
    )

  leaf(user, 'delete <name>', "delete a SCRAM user's credential")
    .option('--mechanism <name>', 'SCRAM-SHA-256 or SCRAM-SHA-512', 'SCRAM-SHA-256')
    .action(async (name: string, flags: Flags & { mechanism: string }) => {
      const format = formatOf(flags)
      const m = mechanism(flags.mechanism)
      await withAdmin(flags, async (admin) => {
        const res = await rawRequest(admin, await controllerId(admin), AlterUserScramCredentialsApi, 0, {
          deletions: [{ name, mechanism: m.id }],
          upsertions: []
        })
        for (const r of res.results) checkErrorCode(r.errorCode, r.errorMessage, `user ${r.user}`)
      })
      printRows(format, [{ user: name, mechanism: flags.mechanism.toUpperCase(), status: 'deleted' }])
    })

  leaf(user, 'list', 'list SCRAM users and their mechanisms').action(async (flags: Flags) => {
    const format = formatOf(flags)
    const rows = await withAdmin(flags, async (admin) => {
      const md = await admin.metadata({ topics: [], forceUpdate: true })
      const node = [...md.brokers.keys()][0] ?? md.controllerId
      const res = await rawRequest(admin, node, DescribeUserScramCredentialsApi, 0, { users: null })
      checkErrorCode(res.errorCode, res.errorMessage, 'describe users')
      return res.results.flatMap((r) =>
        r.credentialInfos.map((c) => ({
          user: r.user,
          mechanism: NAMES[c.mechanism] ?? String(c.mechanism),
          iterations: c.iterations
        }))
      )
    })
    printRows(
      format,
      rows.sort((a, b) => a.user.localeCompare(b.user)),
      ['user', 'mechanism', 'iterations']
    )
  })
}
