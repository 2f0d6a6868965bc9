import assert from 'node:assert/strict'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { ConfigError } from '../../src/config/config-error.js'
import { loadKafkaConfig, parseOverride } from '../../src/config/load-config.js'

describe('loadKafkaConfig', () => {
  let dir = ''
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'samsa-config-'))
  })
  after(async () => {
    await rm(dir, { recursive: true, force: true })
  })

  it('reads a properties file and lets later overrides win', async () => {
    const path = join(dir, 'server.properties')
    await writeFile(path, 'num.partitions=3\nlog.retention.hours=1\n')
    const c = await loadKafkaConfig(path, ['num.partitions=4', 'num.partitions=5', 'log.dirs=/x=y'])
    assert.equal(c.numPartitions, 5)
    assert.equal(c.logRetentionMs, 3_600_000)
    assert.deepEqual(c.logDirs, ['/x=y'])
  })

  it('works without a file', async () => {
    assert.equal((await loadKafkaConfig(undefined)).numPartitions, 1)
  })

  it('reports a missing file as a ConfigError naming it', async () => {
    await assert.rejects(loadKafkaConfig(join(dir, 'missing.properties')), (err: unknown) => {
      return err instanceof ConfigError && err.message.includes('missing.properties')
    })
  })

  it('rejects an override without =', () => {
    assert.throws(() => parseOverride('num.partitions'), ConfigError)
    assert.deepEqual(parseOverride('a=b=c'), ['a', 'b=c'])
  })
})
