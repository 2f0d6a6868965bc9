/** `samsa quota describe|alter`: DescribeClientQuotas and AlterClientQuotas (KIP-546), as kafka-configs. */

import type { Command } from 'commander'
import { UsageError } from '../cli-errors.js'
import { withAdmin } from '../kafka-session.js'
import { printRows } from '../output.js'
import { collect, type Flags, formatOf, keyValues, leaf } from './command-kit.js'

interface QuotaFlags extends Flags {
  quotaUser?: string
  clientId?: string
  defaultUser?: boolean
  defaultClientId?: boolean
  add?: string[]
  delete?: string[]
}

type EntityType = 'user' | 'client-id'

/** The entity named by the flags; `--default-user` is the default entity (a null name). */
function entities(f: QuotaFlags): { entityType: EntityType; entityName: string | null }[] {
  const out: { entityType: EntityType; entityName: string | null }[] = []
  if (f.quotaUser !== undefined) out.push({ entityType: 'user', entityName: f.quotaUser })
  if (f.defaultUser) out.push({ entityType: 'user', entityName: null })
  if (f.clientId !== undefined) out.push({ entityType: 'client-id', entityName: f.clientId })
  if (f.defaultClientId) out.push({ entityType: 'client-id', entityName: null })
  return out
}

function withEntityOptions(cmd: Command): Command {
  return cmd
    .option('--quota-user <name>', 'the user entity')
    .option('--default-user', 'the default user entity')
    .option('--client-id <id>', 'the client-id entity')
    .option('--default-client-id', 'the default client-id entity')
}

export function registerQuota(program: Command): void {
  const quota = program.command('quota').description('describe and alter client quotas')

  withEntityOptions(leaf(quota, 'describe', 'quotas of the named entities (all without any)')).action(
    async (flags: QuotaFlags) => {
      const format = formatOf(flags)
      const named = entities(flags)
      const components = named.map((e) =>
        e.entityName === null
          ? { entityType: e.entityType, matchType: 1 as const }
          : { entityType: e.entityType, matchType: 0 as const, match: e.entityName }
      )
      const entries = await withAdmin(flags, (admin) =>
        admin.describeClientQuotas({ components, strict: named.length > 0 })
      )
      const rows = entries.flatMap((entry) => {
        const entity = entry.entity.map((e) => `${e.entityType}=${e.entityName ?? '<default>'}`).join(',')
        return entry.values.map((v) => ({ entity, key: v.key, value: v.value }))
      })
      printRows(format, rows, ['entity', 'key', 'value'])
    }
  )

  withEntityOptions(leaf(quota, 'alter', 'set or remove quotas of one entity'))
    .option(
      '--add <key=value>',
      'producer_byte_rate, consumer_byte_rate or request_percentage, repeatable',
      collect
    )
    .option('--delete <key>', 'quota to remove, repeatable', collect)
    .action(async (flags: QuotaFlags) => {
      const format = formatOf(flags)
      const named = entities(flags)
      if (named.length === 0)
        throw new UsageError('name an entity: --quota-user, --default-user, --client-id, --default-client-id')
      const adds = keyValues(flags.add, '--add').map(([key, v]) => {
        const value = Number(v)
        if (!Number.isFinite(value)) throw new UsageError(`quota ${key} needs a number, got ${v}`)
        return { key, value }
      })
      const removes = flags.delete ?? []
      if (adds.length === 0 && removes.length === 0) throw new UsageError('give --add or --delete')
      await withAdmin(flags, (admin) =>
        admin.alterClientQuotas({
          entries: [
            {
              entities: named,
              ops: [
                ...adds.map((a) => ({
                  key: a.key as 'producer_byte_rate',
                  value: a.value,
                  remove: false as const
                })),
                ...removes.map((key) => ({ key: key as 'producer_byte_rate', remove: true as const }))
              ]
            }
          ]
        })
      )
      const entity = named.map((e) => `${e.entityType}=${e.entityName ?? '<default>'}`).join(',')
      printRows(format, [
        ...adds.map((a) => ({ entity, key: a.key, value: a.value, status: 'set' })),
        ...removes.map((key) => ({ entity, key, value: null, status: 'deleted' }))
      ])
    })
}
