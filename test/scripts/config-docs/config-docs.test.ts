import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, it } from 'node:test'
import { fileURLToPath } from 'node:url'
import { CONFIGURATION_DOC, renderConfigDocs } from '../../../scripts/config-docs/config-docs.js'
import { BROKER_CONFIG_KEYS } from '../../../src/config/broker-config-keys.js'
import { TOPIC_CONFIG_DEFS } from '../../../src/storage/log-config.js'

const ROOT = fileURLToPath(new URL('../../../../', import.meta.url))

describe('docs/configuration.md', () => {
  it('is what the generator makes of the current definitions (regenerate: node dist/scripts/config-docs/generate.js)', () => {
    const onDisk = readFileSync(join(ROOT, CONFIGURATION_DOC), 'utf8')
    assert.equal(onDisk, renderConfigDocs(), `${CONFIGURATION_DOC} is stale`)
  })

  it('has one row per broker and topic key, with its default, and says which are accepted without effect', () => {
    const doc = renderConfigDocs()
    for (const key of [...BROKER_CONFIG_KEYS, ...TOPIC_CONFIG_DEFS]) {
      const rows = doc.split('\n').filter((l) => l.startsWith(`| \`${key.name}\` |`))
      assert.ok(rows.length >= 1, `no row for ${key.name}`)
      const cells = rows[0]!.split(' | ')
      assert.equal(
        cells[2],
        key.default === null ? '(none)' : key.default === '' ? '""' : `\`${key.default}\``
      )
      assert.match(rows[0]!, key.ignored ? /accepted, no effect \|$/ : /\| yes \|$/)
    }
    assert.match(
      doc,
      /\| `process\.roles` \| list \| "" \| {2}\| no: restart the broker \| accepted, no effect \|/
    )
    assert.match(
      doc,
      /\| `cleanup\.policy` \| list \| `delete` \| `delete`, `compact` \| yes \(AlterConfigs, topic resource\) \| yes \|/
    )
    assert.match(doc, /\| `remote\.storage\.enable` \|.*accepted, no effect \|/)
  })

  it('reports dynamic broker keys (KIP-226) as changeable at run time, and static ones as not', () => {
    const doc = renderConfigDocs(
      [
        { name: 'log.retention.ms', type: 'long', default: null },
        { name: 'num.io.threads', type: 'int', default: '8' },
        { name: 'log.dirs', type: 'list', default: null }
      ],
      []
    )
    assert.match(doc, /\| `log\.retention\.ms` \|.*\| yes \(per broker or cluster default\) \| yes \|/)
    assert.match(
      doc,
      /\| `num\.io\.threads` \|.*\| accepted and stored \(per broker or cluster default\), not acted on yet \|/
    )
    assert.match(doc, /\| `log\.dirs` \|.*\| no: restart the broker \|/)
  })
})
