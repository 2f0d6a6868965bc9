/**
 * Other Node.js runtimes for the tests (22, 24), installed by scripts/install-node-runtime.sh into
 * $SAMSA_NODE_RUNTIMES or node_modules/.cache/node-runtimes. A test that needs one skips (fails under CI,
 * see test-peers.ts) when it is not installed.
 */

import { execFileSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { requirePeer } from './test-peers.js'

const ROOT = fileURLToPath(new URL('../../../', import.meta.url))

/** The node binary of `major`, or the skip reason. */
export function nodeRuntime(major: number): { bin: string; skip: false } | { bin: null; skip: string } {
  const dir = process.env.SAMSA_NODE_RUNTIMES ?? join(ROOT, 'node_modules/.cache/node-runtimes')
  const bin = join(dir, String(major), 'node_modules/.bin/node')
  let version = ''
  if (existsSync(bin)) {
    try {
      version = execFileSync(bin, ['-p', 'process.versions.node'], { encoding: 'utf8' }).trim()
    } catch {
      version = ''
    }
  }
  const ok = version.split('.')[0] === String(major)
  const skip = requirePeer(
    `Node.js ${major}`,
    ok,
    `bash scripts/install-node-runtime.sh ${major}`,
    ok ? undefined : `no Node.js ${major} at ${bin}`
  )
  return skip === false ? { bin, skip: false } : { bin: null, skip }
}
