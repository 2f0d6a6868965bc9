/**
 * Compiles the C load drivers (bench/driver/) and the librdkafka mock daemon into bench/.build with the
 * system `cc`, against Debian's -dev packages (scripts/install-bench-peers.sh installs them). A driver
 * whose library is missing is reported as unavailable rather than failing the whole run.
 */

import { execFileSync } from 'node:child_process'
import { existsSync, mkdirSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'

export const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url))
export const BUILD_DIR = join(REPO_ROOT, 'bench/.build')
const DRIVER_DIR = join(REPO_ROOT, 'bench/driver')
const MOCK_SOURCE = join(REPO_ROOT, '../shared/peers/librdkafka-mock/mockd.c')

export interface Binaries {
  kafkaDriver?: string
  redisDriver?: string
  natsDriver?: string
  mockd?: string
  /** Why a binary is missing, by name. */
  missing: Record<string, string>
}

function pkgFlags(pkg: string): string[] {
  return execFileSync('pkg-config', ['--cflags', '--libs', pkg], { encoding: 'utf8' }).trim().split(/\s+/)
}

function compile(source: string, out: string, pkg: string): void {
  execFileSync('cc', ['-O2', '-Wall', '-o', out, source, ...pkgFlags(pkg), '-lpthread'], { stdio: 'pipe' })
}

export function buildBinaries(): Binaries {
  mkdirSync(BUILD_DIR, { recursive: true })
  const result: Binaries = { missing: {} }
  const jobs: [keyof Omit<Binaries, 'missing'>, string, string][] = [
    ['kafkaDriver', join(DRIVER_DIR, 'kafka-driver.c'), 'rdkafka'],
    ['redisDriver', join(DRIVER_DIR, 'redis-driver.c'), 'hiredis'],
    ['natsDriver', join(DRIVER_DIR, 'nats-driver.c'), 'libnats'],
    ['mockd', MOCK_SOURCE, 'rdkafka']
  ]
  for (const [name, source, pkg] of jobs) {
    const out = join(BUILD_DIR, name)
    try {
      if (!existsSync(source)) throw new Error(`${source} not found`)
      compile(source, out, pkg)
      result[name] = out
    } catch (err) {
      const e = err as { stderr?: Buffer; message: string }
      result.missing[name] = (e.stderr?.toString() || e.message).split('\n')[0] ?? 'build failed'
    }
  }
  return result
}
