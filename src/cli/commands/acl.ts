/** `samsa acl create|list|delete`: CreateAcls, DescribeAcls and DeleteAcls, with kafka-acls' options. */

import type { Acl, AclFilter } from '@platformatic/kafka'
import type { Command } from 'commander'
import { UsageError } from '../cli-errors.js'
import { withAdmin } from '../kafka-session.js'
import { printRows } from '../output.js'
import { collect, type Flags, formatOf, leaf } from './command-kit.js'

const RESOURCE = {
  any: 1,
  topic: 2,
  group: 3,
  cluster: 4,
  'transactional-id': 5,
  'delegation-token': 6,
  user: 7
} as const
const PATTERN = { any: 1, match: 2, literal: 3, prefixed: 4 } as const
const OPERATION = {
  any: 1,
  all: 2,
  read: 3,
  write: 4,
  create: 5,
  delete: 6,
  alter: 7,
  describe: 8,
  'cluster-action': 9,
  'describe-configs': 10,
  'alter-configs': 11,
  'idempotent-write': 12,
  'create-tokens': 13,
  'describe-tokens': 14
} as const
const PERMISSION = { any: 1, deny: 2, allow: 3 } as const

const nameOf = (table: Record<string, number>, value: number) =>
  Object.entries(table).find(([, v]) => v === value)?.[0] ?? String(value)

function lookup<T extends Record<string, number>>(table: T, value: string, what: string): T[keyof T] {
  const v = table[value.toLowerCase().replace(/_/g, '-') as keyof T]
  if (v === undefined)
    throw new UsageError(`${what} must be one of ${Object.keys(table).join(', ')}, got ${value}`)
  return v
}

interface AclFlags extends Flags {
  allowPrincipal?: string[]
  denyPrincipal?: string[]
  principal?: string
  host?: string
  operation?: string[]
  topic?: string
  group?: string
  cluster?: boolean
  transactionalId?: string
  resourcePatternType: string
  permission?: string
}

function resource(f: AclFlags, forFilter: boolean): { resourceType: number; resourceName: string | null } {
  const given = [
    f.topic !== undefined && { resourceType: RESOURCE.topic, resourceName: f.topic },
    f.group !== undefined && { resourceType: RESOURCE.group, resourceName: f.group },
    f.cluster === true && { resourceType: RESOURCE.cluster, resourceName: 'kafka-cluster' },
    f.transactionalId !== undefined && {
      resourceType: RESOURCE['transactional-id'],
      resourceName: f.transactionalId
    }
  ].filter((r): r is { resourceType: 2 | 3 | 4 | 5; resourceName: string } => r !== false)
  if (given.length > 1) throw new UsageError('give one of --topic, --group, --cluster, --transactional-id')
  if (given.length === 0) {
    if (!forFilter) throw new UsageError('give a resource: --topic, --group, --cluster or --transactional-id')
    return { resourceType: RESOURCE.any, resourceName: null }
  }
  return given[0]!
}

function withResourceOptions(cmd: Command, patternDefault: string): Command {
  return cmd
    .option('--topic <name>', 'topic resource (* for all)')
    .option('--group <name>', 'group resource (* for all)')
    .option('--cluster', 'the cluster resource')
    .option('--transactional-id <id>', 'transactional id resource')
    .option(
      '--resource-pattern-type <type>',
      'literal, prefixed (create); any, match also for list/delete',
      patternDefault
    )
    .option('--operation <op>', `operation, repeatable: ${Object.keys(OPERATION).join(', ')}`, collect)
    .option('--host <host>', 'client host')
}

function filterOf(f: AclFlags): AclFilter[] {
  const r = resource(f, true)
  const ops = (f.operation ?? ['any']).map((o) => lookup(OPERATION, o, '--operation'))
  return ops.map((operation) => ({
    resourceType: r.resourceType as AclFilter['resourceType'],
    resourceName: r.resourceName,
    resourcePatternType: lookup(PATTERN, f.resourcePatternType, '--resource-pattern-type'),
    principal: f.principal ?? null,
    host: f.host ?? null,
    operation,
    permissionType: lookup(PERMISSION, f.permission ?? 'any', '--permission')
  }))
}

const aclRow = (a: Acl) => ({
  principal: a.principal,
  host: a.host,
  resourceType: nameOf(RESOURCE, a.resourceType),
  resourceName: a.resourceName,
  patternType: nameOf(PATTERN, a.resourcePatternType),
  operation: nameOf(OPERATION, a.operation),
  permission: nameOf(PERMISSION, a.permissionType)
})

export function registerAcl(program: Command): void {
  const acl = program.command('acl').description('create, list and delete ACLs')

  withResourceOptions(leaf(acl, 'create', 'create ACLs: principals x operations on one resource'), 'literal')
    .option('--allow-principal <principal>', 'User:name to allow, repeatable', collect)
    .option('--deny-principal <principal>', 'User:name to deny, repeatable', collect)
    .action(async (flags: AclFlags) => {
      const format = formatOf(flags)
      const r = resource(flags, false)
      const pattern = lookup(PATTERN, flags.resourcePatternType, '--resource-pattern-type')
      if (pattern !== PATTERN.literal && pattern !== PATTERN.prefixed)
        throw new UsageError('--resource-pattern-type for create is literal or prefixed')
      if (!flags.operation?.length) throw new UsageError('give at least one --operation')
      const principals = [
        ...(flags.allowPrincipal ?? []).map((p) => [p, PERMISSION.allow] as const),
        ...(flags.denyPrincipal ?? []).map((p) => [p, PERMISSION.deny] as const)
      ]
      if (principals.length === 0) throw new UsageError('give --allow-principal or --deny-principal')
      const creations: Acl[] = principals.flatMap(([principal, permissionType]) =>
        flags.operation!.map((o) => ({
          resourceType: r.resourceType as Acl['resourceType'],
          resourceName: r.resourceName!,
          resourcePatternType: pattern,
          principal,
          host: flags.host ?? '*',
          operation: lookup(OPERATION, o, '--operation'),
          permissionType
        }))
      )
      await withAdmin(flags, (admin) => admin.createAcls({ creations }))
      printRows(format, creations.map(aclRow))
    })

  withResourceOptions(leaf(acl, 'list', 'list ACLs matching a filter'), 'any')
    .option('--principal <principal>', 'only this principal')
    .option('--permission <permission>', 'allow, deny or any', 'any')
    .action(async (flags: AclFlags) => {
      const format = formatOf(flags)
      const [filter] = filterOf({ ...flags, operation: flags.operation?.slice(0, 1) })
      const resources = await withAdmin(flags, (admin) => admin.describeAcls({ filter: filter! }))
      const rows = resources.flatMap((res) =>
        res.acls.map((a) =>
          aclRow({
            resourceType: res.resourceType,
            resourceName: res.resourceName,
            resourcePatternType: res.resourcePatternType,
            ...a
          })
        )
      )
      printRows(format, rows)
    })

  withResourceOptions(leaf(acl, 'delete', 'delete the ACLs matching a filter'), 'literal')
    .option('--principal <principal>', 'only this principal')
    .option('--permission <permission>', 'allow, deny or any', 'any')
    .action(async (flags: AclFlags) => {
      const format = formatOf(flags)
      const deleted = await withAdmin(flags, (admin) => admin.deleteAcls({ filters: filterOf(flags) }))
      printRows(format, deleted.map(aclRow))
    })
}
