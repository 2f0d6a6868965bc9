/**
 * Prints the top self-time functions of a V8 CPU profile (from `BENCH_CPU_PROF=<dir> npm run bench`).
 * Usage: node dist/bench/profile-top.js <file.cpuprofile> [count]
 */

import { readFileSync } from 'node:fs'

interface ProfileNode {
  id: number
  callFrame: { functionName: string; url: string; lineNumber: number }
}

interface CpuProfile {
  nodes: ProfileNode[]
  samples: number[]
  timeDeltas: number[]
}

const [file, countArg] = process.argv.slice(2)
if (!file) throw new Error('usage: profile-top <file.cpuprofile> [count]')
const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile
const byId = new Map(profile.nodes.map((n) => [n.id, n]))
const self = new Map<string, number>()
let total = 0
profile.samples.forEach((id, i) => {
  const frame = byId.get(id)?.callFrame
  const dt = profile.timeDeltas[i] ?? 0
  total += dt
  if (!frame) return
  const where = frame.url
    ? `${frame.url.replace(/^.*\/(dist|node_modules)\//, '$1/')}:${frame.lineNumber + 1}`
    : ''
  const key = `${frame.functionName || '(anonymous)'} ${where}`.trim()
  self.set(key, (self.get(key) ?? 0) + dt)
})
const rows = [...self.entries()].sort((a, b) => b[1] - a[1]).slice(0, Number(countArg ?? 20))
for (const [name, us] of rows)
  console.log(
    `${((us / total) * 100).toFixed(1).padStart(5)}%  ${(us / 1000).toFixed(0).padStart(6)} ms  ${name}`
  )
