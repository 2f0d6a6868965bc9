/** `samsa version`: the package version and the Node.js running it. */

import { readFileSync } from 'node:fs'
import type { Command } from 'commander'
import { addFormatOption, print } from '../output.js'
import { formatOf } from './command-kit.js'

export function samsaVersion(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../../../package.json', import.meta.url), 'utf8')) as {
    version: string
  }
  return pkg.version
}

export function registerVersion(program: Command): void {
  addFormatOption(program.command('version').description('print the samsa version')).action(
    (flags: { format?: string }) => {
      const data = { version: samsaVersion(), node: process.version }
      print(formatOf(flags), { data, tables: [{ rows: [data] }] })
    }
  )
}
