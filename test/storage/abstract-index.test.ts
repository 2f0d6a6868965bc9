import assert from 'node:assert/strict'
import { join } from 'node:path'
import { test } from 'node:test'
import { lastIndexBelow } from '../../src/storage/abstract-index.js'
import { OffsetIndex } from '../../src/storage/offset-index.js'
import { TimeIndex } from '../../src/storage/time-index.js'
import { withTempDir } from './batch-fixtures.js'

test('lastIndexBelow: the last key strictly below the bound among the first `count`, or -1', () => {
  const keys = new Int32Array([1, 3, 3, 7, 99])
  assert.equal(lastIndexBelow(keys, 4, 0), -1)
  assert.equal(lastIndexBelow(keys, 4, 1), -1)
  assert.equal(lastIndexBelow(keys, 4, 2), 0)
  assert.equal(lastIndexBelow(keys, 4, 3), 0)
  assert.equal(lastIndexBelow(keys, 4, 4), 2)
  assert.equal(lastIndexBelow(keys, 4, 1000), 3, 'entries past count are ignored')
  assert.equal(lastIndexBelow(new Float64Array([1.5, 2.5]), 2, 2), 0)
  assert.equal(lastIndexBelow(keys, 0, 1000), -1)
})

test('both indexes grow past their initial capacity, up to maxEntries, keeping every entry', () => {
  const n = 5000
  const offsets = new OffsetIndex('/nonexistent', 1000, n)
  const times = new TimeIndex('/nonexistent', 1000, n)
  for (let i = 0; i < n; i++) {
    offsets.append(1000 + 2 * i, 10 * i)
    times.maybeAppend(1_700_000_000_000 + i, 1000 + 2 * i)
  }
  assert.equal(offsets.entries, n)
  assert.equal(times.entries, n)
  assert.ok(offsets.isFull && times.isFull)
  times.maybeAppend(1_800_000_000_000, 1000 + 2 * n)
  assert.equal(times.entries, n, 'a full time index takes no more entries')
  for (const i of [0, 1023, 1024, 2047, 2048, 4999]) {
    assert.deepEqual(offsets.entry(i), { offset: 1000 + 2 * i, position: 10 * i })
    assert.deepEqual(times.entry(i), { timestamp: 1_700_000_000_000 + i, offset: 1000 + 2 * i })
    assert.deepEqual(offsets.lookup(1000 + 2 * i + 1), { offset: 1000 + 2 * i, position: 10 * i })
    assert.deepEqual(times.lookupBelow(1_700_000_000_000 + i + 1), times.entry(i))
  }
})

test('truncateTo removes every entry at or above an offset, in both indexes', () => {
  const offsets = new OffsetIndex('/nonexistent', 0, 100)
  const times = new TimeIndex('/nonexistent', 0, 100)
  for (const [ts, o] of [
    [10, 5],
    [20, 9],
    [30, 9],
    [40, 15]
  ] as const) {
    times.maybeAppend(ts, o)
  }
  for (const o of [5, 9, 15]) offsets.append(o, o * 100)
  times.truncateTo(16)
  assert.equal(times.entries, 4)
  times.truncateTo(15)
  assert.equal(times.entries, 3)
  times.truncateTo(9)
  assert.equal(times.entries, 1, 'entries sharing an offset go together')
  assert.deepEqual(times.lastEntry(), { timestamp: 10, offset: 5 })
  times.truncateTo(0)
  assert.deepEqual(times.lastEntry(), { timestamp: -1, offset: 0 })
  offsets.truncateTo(10)
  assert.deepEqual(offsets.lastEntry(), { offset: 9, position: 900 })
  offsets.truncateTo(5)
  assert.equal(offsets.entries, 0)
})

test('a truncated index flushes as a shorter file and loads back what is left', async () => {
  await withTempDir(async (dir) => {
    const idx = new OffsetIndex(join(dir, 'x.index'), 0, 100)
    for (let o = 1; o <= 10; o++) idx.append(o, o * 10)
    await idx.flush()
    idx.truncateTo(4)
    await idx.flush()
    await idx.file.close()
    const again = new OffsetIndex(join(dir, 'x.index'), 0, 100)
    assert.equal(await again.load(1000), true)
    assert.equal(again.entries, 3)
    assert.deepEqual(again.lastEntry(), { offset: 3, position: 30 })
    const tooSmall = new OffsetIndex(join(dir, 'x.index'), 0, 2)
    assert.equal(await tooSmall.load(1000), false, 'more entries than maxEntries do not check out')
    assert.equal(tooSmall.entries, 0)
    await again.file.close()
    await tooSmall.file.close()
  })
})
