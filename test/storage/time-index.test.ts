import assert from 'node:assert/strict'
import { join } from 'node:path'
import { test } from 'node:test'
import { TimeIndex } from '../../src/storage/time-index.js'
import { withTempDir } from './batch-fixtures.js'

test('maybeAppend only keeps strictly increasing timestamps', () => {
  const idx = new TimeIndex('/nonexistent', 0, 100)
  idx.maybeAppend(1000, 5)
  idx.maybeAppend(1000, 6)
  idx.maybeAppend(900, 7)
  idx.maybeAppend(2000, 8)
  assert.equal(idx.entries, 2)
  assert.deepEqual(idx.lastEntry(), { timestamp: 2000, offset: 8 })
})

test('lookupBelow finds the last entry strictly before the target', () => {
  const idx = new TimeIndex('/nonexistent', 10, 100)
  idx.maybeAppend(1000, 15)
  idx.maybeAppend(2000, 25)
  idx.maybeAppend(3000, 35)
  assert.deepEqual(idx.lookupBelow(500), { timestamp: -1, offset: 10 })
  assert.deepEqual(idx.lookupBelow(1000), { timestamp: -1, offset: 10 })
  assert.deepEqual(idx.lookupBelow(2500), { timestamp: 2000, offset: 25 })
  assert.deepEqual(idx.lookupBelow(9999), { timestamp: 3000, offset: 35 })
  idx.truncateTo(25)
  assert.deepEqual(idx.lastEntry(), { timestamp: 1000, offset: 15 })
})

test('entries round-trip through the file and are checked against the next offset', async () => {
  await withTempDir(async (dir) => {
    const path = join(dir, '00000000000000000000.timeindex')
    const idx = new TimeIndex(path, 0, 100)
    idx.maybeAppend(1_700_000_000_000, 3)
    idx.maybeAppend(1_700_000_000_500, 9)
    await idx.flush()
    await idx.file.close()
    const again = new TimeIndex(path, 0, 100)
    assert.equal(await again.load(10), true)
    assert.deepEqual(again.lastEntry(), { timestamp: 1_700_000_000_500, offset: 9 })
    assert.equal(await new TimeIndex(path, 0, 100).load(9), false)
  })
})
