/** Samsa's version, from the package.json beside the build (dist/src/admin -> the package root). */

import { readFileSync } from 'node:fs'

let cached: string | undefined

export function samsaVersion(): string {
  if (cached !== undefined) return cached
  try {
    const pkg = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as {
      version?: string
    }
    cached = pkg.version ?? 'unknown'
  } catch {
    cached = 'unknown'
  }
  return cached
}
