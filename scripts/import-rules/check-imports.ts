/**
 * `node dist/scripts/import-rules/check-imports.js`: fails (exit 1) on any import that breaks a folder rule
 * of docs/DESIGN.md, on any import cycle in src/, and on a hand-written source file of more than 750 lines. Run by the test command before the tests.
 */

import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { buildImportGraph, findCycles } from './import-graph.js'
import { findViolations, parseRules } from './import-rules.js'

const root = process.cwd()
const rules = parseRules(readFileSync('docs/DESIGN.md', 'utf8'))
const graph = buildImportGraph(root)
const violations = findViolations(graph, rules)
const cycles = findCycles(graph)
for (const v of violations) console.error(`import rule broken: ${v.from} -> ${v.to || '?'} (${v.rule})`)
for (const c of cycles) console.error(`import cycle among: ${c.join(', ')}`)
// Small files with one responsibility: a hand-written file past this has grown two (generated code is exempt).
const MAX_LINES = 750
const oversized = [...graph.keys()].filter((f) => {
  if (f.startsWith('src/protocol/messages/')) return false
  return readFileSync(join(root, f), 'utf8').split('\n').length > MAX_LINES
})
for (const f of oversized) console.error(`file too large: ${f} has more than ${MAX_LINES} lines; split it`)
if (violations.length > 0 || cycles.length > 0 || oversized.length > 0) process.exit(1)
console.log(
  `imports: ${graph.size} files in src/ follow the ${rules.length} folder rules of docs/DESIGN.md, no cycles`
)
