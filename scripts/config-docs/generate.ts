/** Writes docs/configuration.md (see config-docs.ts). Run from the repository root after a build. */

import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { CONFIGURATION_DOC, renderConfigDocs } from './config-docs.js'

const root = fileURLToPath(new URL('../../../', import.meta.url))
writeFileSync(join(root, CONFIGURATION_DOC), renderConfigDocs())
process.stdout.write(`wrote ${CONFIGURATION_DOC}\n`)
