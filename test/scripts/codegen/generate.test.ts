import assert from 'node:assert/strict'
import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { test } from 'node:test'
import { GENERATED_HEADER, generate } from '../../../scripts/codegen/generate.js'
import { loadSchemas } from '../../../scripts/codegen/schema.js'

const OUTPUT_DIR = join('src', 'protocol', 'messages')

test('the committed protocol code is exactly what the generator produces from the schemas', () => {
  const files = generate(loadSchemas())
  const onDisk = readdirSync(OUTPUT_DIR).sort()
  assert.deepStrictEqual(onDisk, files.map((f) => f.name).sort(), 'same set of files')
  for (const f of files) {
    const committed = readFileSync(join(OUTPUT_DIR, f.name), 'utf8')
    assert.ok(committed === f.text, `${f.name} differs from the generator's output: run npm run codegen`)
  }
})

test('generated files carry the DO-NOT-EDIT header and no schema prose', () => {
  const schemaAbouts = new Set<string>()
  for (const spec of loadSchemas()) {
    const walk = (fields: Array<{ about?: string; fields?: unknown[] }>): void => {
      for (const f of fields) {
        if (typeof f.about === 'string' && f.about.length > 30) schemaAbouts.add(f.about)
        if (Array.isArray(f.fields)) walk(f.fields as typeof fields)
      }
    }
    walk(spec.fields as Array<{ about?: string }>)
  }
  for (const f of generate(loadSchemas())) {
    assert.ok(f.text.startsWith(GENERATED_HEADER), `${f.name} header`)
    for (const about of schemaAbouts) assert.ok(!f.text.includes(about), `${f.name} contains schema text`)
  }
})

test('every API gets its own file', () => {
  const names = generate(loadSchemas()).map((f) => f.name)
  for (const expected of ['produce.ts', 'fetch.ts', 'api-versions.ts', 'request-header.ts', 'index.ts']) {
    assert.ok(names.includes(expected), expected)
  }
})
