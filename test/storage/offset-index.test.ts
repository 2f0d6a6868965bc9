import assert from 'node:assert/strict'
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { test } from 'node:test'
import { OffsetIndex } from '../../src/storage/offset-index.js'
import { withTempDir } from './batch-fixtures.js'

test('lookup returns the largest entry at or below the target, or the base', () => {
  const idx = new OffsetIndex('/nonexistent', 100, 1000)
  idx.append(110, 4096)
  idx.append(120, 8192)
  idx.append(130, 12288)
  assert.deepEqual(idx.lookup(99), { offset: 100, position: 0 })
  assert.deepEqual(idx.lookup(109), { offset: 100, position: 0 })
  assert.deepEqual(idx.lookup(110), { offset: 110, position: 4096 })
  assert.deepEqual(idx.lookup(125), { offset: 120, position: 8192 })
  assert.deepEqual(idx.lookup(1_000_000), { offset: 130, position: 12288 })
})

test('appends must increase and the index reports full at its cap', () => {
  const idx = new OffsetIndex('/nonexistent', 0, 2)
  idx.append(5, 10)
  assert.throws(() => idx.append(5, 20))
  idx.append(6, 20)
  assert.equal(idx.isFull, true)
})

test('truncateTo drops entries at or above the offset', () => {
  const idx = new OffsetIndex('/nonexistent', 0, 100)
  for (let i = 1; i <= 10; i++) idx.append(i * 10, i * 100)
  idx.truncateTo(50)
  assert.equal(idx.entries, 4)
  assert.deepEqual(idx.lastEntry(), { offset: 40, position: 400 })
  idx.truncateTo(41)
  assert.equal(idx.entries, 4)
})

test('entries survive a flush and load, and a bad file is rejected', async () => {
  await withTempDir(async (dir) => {
    const path = join(dir, '00000000000000000000.index')
    const idx = new OffsetIndex(path, 0, 100)
    idx.append(10, 100)
    idx.append(20, 200)
    await idx.flush()
    idx.append(30, 300)
    await idx.flush()
    assert.equal((await readFile(path)).length, 24)
    idx.truncateTo(25)
    await idx.flush()
    assert.equal((await readFile(path)).length, 16)
    await idx.file.close()

    const again = new OffsetIndex(path, 0, 100)
    assert.equal(await again.load(1000), true)
    assert.deepEqual(again.lookup(25), { offset: 20, position: 200 })
    const tooShortLog = new OffsetIndex(path, 0, 100)
    assert.equal(await tooShortLog.load(150), false, 'a position past the log end fails the sanity check')
    assert.equal(tooShortLog.entries, 0)
  })
})
