import { mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { generate } from './generate.js'
import { DEFAULT_SCHEMA_DIR, loadSchemas } from './schema.js'

/** Regenerates src/protocol/messages/ from Kafka's schemas. Run from the repository root. */
export const OUTPUT_DIR = join('src', 'protocol', 'messages')

const files = generate(loadSchemas(process.argv[2] ?? DEFAULT_SCHEMA_DIR))
mkdirSync(OUTPUT_DIR, { recursive: true })
for (const f of readdirSync(OUTPUT_DIR)) rmSync(join(OUTPUT_DIR, f))
for (const f of files) writeFileSync(join(OUTPUT_DIR, f.name), f.text)
console.log(`generated ${files.length} files in ${OUTPUT_DIR}`)
