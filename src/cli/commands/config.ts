/** `samsa config describe|alter broker|topic NAME`: DescribeConfigs and IncrementalAlterConfigs, as kafka-configs. */

import type { Command } from 'commander'
import { UsageError } from '../cli-errors.js'
import { withAdmin } from '../kafka-session.js'
import { print, printRows } from '../output.js'
import { collect, type Flags, formatOf, keyValues, leaf } from './command-kit.js'

const RESOURCE_TYPES: Record<string, 2 | 4> = { topic: 2, broker: 4 }
const SOURCES = [
  'UNKNOWN',
  'TOPIC_CONFIG',
  'DYNAMIC_BROKER_CONFIG',
  'DYNAMIC_DEFAULT_BROKER_CONFIG',
  'STATIC_BROKER_CONFIG',
  'DEFAULT_CONFIG',
  'DYNAMIC_BROKER_LOGGER_CONFIG',
  'CLIENT_METRICS_CONFIG',
  'GROUP_CONFIG'
]

function resourceType(type: string): 2 | 4 {
  const t = RESOURCE_TYPES[type]
  if (t === undefined) throw new UsageError(`resource type must be broker or topic, got ${type}`)
  return t
}

export function registerConfig(program: Command): void {
  const config = program.command('config').description('describe and alter broker and topic configs')

  leaf(config, 'describe <type> [name]', 'configs of a broker (by id; none: the cluster default) or a topic')
    .option('-a, --all', 'include configs left at their defaults')
    .action(async (type: string, name: string | undefined, flags: Flags & { all?: boolean }) => {
      const format = formatOf(flags)
      const resType = resourceType(type)
      if (resType === 2 && name === undefined)
        throw new UsageError('config describe topic needs a topic name')
      const [described] = await withAdmin(flags, (admin) =>
        admin.describeConfigs({ resources: [{ resourceType: resType, resourceName: name ?? '' }] })
      )
      const rows = (described?.configs ?? [])
        .filter((c) => flags.all || (c.configSource !== 5 && c.configSource !== 4) || resType === 4)
        .map((c) => ({
          name: c.name,
          value: c.isSensitive ? null : c.value,
          source: SOURCES[c.configSource] ?? String(c.configSource),
          readOnly: c.readOnly,
          sensitive: c.isSensitive
        }))
        .sort((a, b) => a.name.localeCompare(b.name))
      print(format, {
        data: { type, name: name ?? '', configs: rows },
        tables: [{ rows, columns: ['name', 'value', 'source', 'readOnly'] }]
      })
    })

  leaf(
    config,
    'alter <type> [name]',
    'set or delete configs of a broker (none: the cluster default) or a topic'
  )
    .option('-s, --set <key=value>', 'config to set, repeatable', collect)
    .option('-d, --delete <key>', 'config to remove, repeatable', collect)
    .action(
      async (
        type: string,
        name: string | undefined,
        flags: Flags & { set?: string[]; delete?: string[] }
      ) => {
        const format = formatOf(flags)
        const resType = resourceType(type)
        if (resType === 2 && name === undefined) throw new UsageError('config alter topic needs a topic name')
        const sets = keyValues(flags.set, '--set')
        if (sets.length === 0 && (flags.delete ?? []).length === 0)
          throw new UsageError('give --set or --delete')
        await withAdmin(flags, (admin) =>
          admin.incrementalAlterConfigs({
            resources: [
              {
                resourceType: resType,
                resourceName: name ?? '',
                configs: [
                  ...sets.map(([n, value]) => ({ name: n, value, configOperation: 0 as const })),
                  ...(flags.delete ?? []).map((n) => ({ name: n, configOperation: 1 as const }))
                ]
              }
            ]
          })
        )
        printRows(format, [
          ...sets.map(([key, value]) => ({ type, name: name ?? '', key, value, status: 'set' })),
          ...(flags.delete ?? []).map((key) => ({
            type,
            name: name ?? '',
            key,
            value: null,
            status: 'deleted'
          }))
        ])
      }
    )
}
