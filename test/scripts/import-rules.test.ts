import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { test } from 'node:test'
import { findCycles, type ImportGraph, importsOf } from '../../scripts/import-rules/import-graph.js'
import { findViolations, parseRules } from '../../scripts/import-rules/import-rules.js'

const TABLE = `
intro text
<!-- import-rules:start -->
| folder | may import | must never import |
|---|---|---|
| \`src/protocol\` | nothing | anything |
| \`src/storage\` | \`src/protocol\` | sockets |
| \`src/coordinator\` | \`src/protocol\` | storage |
| \`src/coordinator/runtime\` | \`src/coordinator\`, \`src/storage\` | handlers |
| \`src/cli\` | everything | — |
<!-- import-rules:end -->
| \`src/ignored\` | nothing | outside the markers |
`

function graphOf(edges: Record<string, string[]>): ImportGraph {
  return new Map(Object.entries(edges).map(([from, to]) => [from, new Set(to)]))
}

test('the rules are read from the table between the markers only', () => {
  const rules = parseRules(TABLE)
  assert.deepEqual(
    rules.map((r) => [r.folder, r.mayImport]),
    [
      ['src/protocol', []],
      ['src/storage', ['src/protocol']],
      ['src/coordinator', ['src/protocol']],
      ['src/coordinator/runtime', ['src/coordinator', 'src/storage']],
      ['src/cli', ['*']]
    ]
  )
  assert.throws(() => parseRules('no table here'), /no import-rules table/)
})

test('an import into a folder the rule does not name is a violation; allowed ones are not', () => {
  const rules = parseRules(TABLE)
  const graph = graphOf({
    'src/storage/log.ts': ['src/protocol/reader.ts', 'src/storage/segment.ts'],
    'src/protocol/reader.ts': ['src/storage/log.ts'],
    'src/cli/main.ts': ['src/coordinator/runtime/x.ts', 'src/storage/log.ts'],
    'src/storage/segment.ts': []
  })
  const v = findViolations(graph, rules)
  assert.deepEqual(
    v.map((x) => [x.from, x.to]),
    [['src/protocol/reader.ts', 'src/storage/log.ts']]
  )
  assert.match(v[0]!.rule, /src\/protocol may import nothing else/)
})

test('a subfolder with a rule of its own is a separate room for its parent', () => {
  const rules = parseRules(TABLE)
  const graph = graphOf({
    // The runtime may use the state machines and storage...
    'src/coordinator/runtime/store.ts': ['src/coordinator/group.ts', 'src/storage/log.ts'],
    // ...but the state machines may not reach into the runtime, nor into storage.
    'src/coordinator/group.ts': ['src/coordinator/runtime/store.ts', 'src/storage/log.ts']
  })
  assert.deepEqual(
    findViolations(graph, rules).map((x) => [x.from, x.to]),
    [
      ['src/coordinator/group.ts', 'src/coordinator/runtime/store.ts'],
      ['src/coordinator/group.ts', 'src/storage/log.ts']
    ]
  )
})

test('a file no rule covers is reported', () => {
  const v = findViolations(graphOf({ 'src/elsewhere/a.ts': [] }), parseRules(TABLE))
  assert.equal(v.length, 1)
  assert.match(v[0]!.rule, /no folder rule/)
})

test('imports are resolved from .js specifiers, type-only and dynamic imports included', () => {
  const text = [
    "import { a } from './a.js'",
    "import type { B } from '../b/b.js'",
    "export { c } from './c.js'",
    "const d = await import('./d.js')",
    "import { pino } from 'pino'"
  ].join('\n')
  assert.deepEqual([...importsOf('src/x/main.ts', text)].sort(), [
    'src/b/b.ts',
    'src/x/a.ts',
    'src/x/c.ts',
    'src/x/d.ts'
  ])
})

test('cycles are found, including long ones and a file importing itself; a DAG has none', () => {
  const cyclic = graphOf({
    'a.ts': ['b.ts'],
    'b.ts': ['c.ts'],
    'c.ts': ['a.ts', 'd.ts'],
    'd.ts': [],
    'e.ts': ['e.ts']
  })
  assert.deepEqual(findCycles(cyclic).sort(), [['a.ts', 'b.ts', 'c.ts'], ['e.ts']])
  assert.deepEqual(findCycles(graphOf({ 'a.ts': ['b.ts', 'c.ts'], 'b.ts': ['c.ts'], 'c.ts': [] })), [])
})

test('docs/DESIGN.md holds a rule for every top-level folder of src/', () => {
  const rules = parseRules(readFileSync('docs/DESIGN.md', 'utf8'))
  const folders = new Set(rules.map((r) => r.folder))
  for (const f of [
    'protocol',
    'common',
    'config',
    'storage',
    'network',
    'cluster',
    'replica',
    'coordinator',
    'server',
    'broker',
    'cli'
  ]) {
    assert.ok(folders.has(`src/${f}`), `DESIGN.md has no rule for src/${f}`)
  }
})
