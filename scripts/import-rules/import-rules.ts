/**
 * The folder rules of docs/DESIGN.md, read from its import-rules table and checked against the import graph.
 * The table is the single statement of the rules: the document a reader trusts is the one the build enforces.
 */

import type { ImportGraph } from './import-graph.js'

export interface FolderRule {
  /** A folder under the repo root, e.g. `src/coordinator/runtime`; the most specific folder's rule applies. */
  readonly folder: string
  /** Folders its files may import besides their own folder; `*` allows any folder not forbidden. */
  readonly mayImport: readonly string[]
}

export interface Violation {
  readonly from: string
  readonly to: string
  readonly rule: string
}

const START = '<!-- import-rules:start -->'
const END = '<!-- import-rules:end -->'

/**
 * Rows of the table between the markers: `| \`src/x\` | \`src/a\`, \`src/b\` | ... |`. The second column
 * lists what the folder may import; `nothing` allows no other folder, `everything` every folder.
 */
export function parseRules(markdown: string): FolderRule[] {
  const start = markdown.indexOf(START)
  const end = markdown.indexOf(END)
  if (start < 0 || end < start) throw new Error(`no import-rules table between ${START} and ${END}`)
  const rules: FolderRule[] = []
  for (const line of markdown.slice(start + START.length, end).split('\n')) {
    const cells = line.split('|').map((c) => c.trim())
    if (cells.length < 4) continue
    const folder = /^`([^`]+)`$/.exec(cells[1] ?? '')?.[1]
    if (folder === undefined) continue
    const allowed = cells[2] ?? ''
    const mayImport =
      allowed === 'everything' ? ['*'] : [...allowed.matchAll(/`([^`]+)`/g)].map((m) => stripSlash(m[1]!))
    rules.push({ folder: stripSlash(folder), mayImport })
  }
  if (rules.length === 0) throw new Error('the import-rules table has no rows')
  return rules
}

/** The most specific rule whose folder holds `file`. */
export function ruleFor(rules: readonly FolderRule[], file: string): FolderRule | undefined {
  let best: FolderRule | undefined
  for (const r of rules) {
    if (!file.startsWith(`${r.folder}/`)) continue
    if (best === undefined || r.folder.length > best.folder.length) best = r
  }
  return best
}

/** Imports that leave a file's folder for a folder its rule does not allow, and files no rule covers. */
export function findViolations(graph: ImportGraph, rules: readonly FolderRule[]): Violation[] {
  const out: Violation[] = []
  for (const [from, targets] of graph) {
    const rule = ruleFor(rules, from)
    if (rule === undefined) {
      out.push({ from, to: '', rule: 'no folder rule covers this file' })
      continue
    }
    for (const to of targets) {
      // Its own folder, but not a subfolder with a rule of its own (those are separate rooms).
      const target = ruleFor(rules, to)?.folder
      if (target === rule.folder) continue
      if (rule.mayImport.includes('*')) continue
      const allowed = rule.mayImport.some((f) => to.startsWith(`${f}/`))
      if (!allowed) {
        out.push({
          from,
          to,
          rule: `${rule.folder} may import ${rule.mayImport.join(', ') || 'nothing else'}`
        })
      }
    }
  }
  return out
}

function stripSlash(folder: string): string {
  return folder.endsWith('/') ? folder.slice(0, -1) : folder
}
