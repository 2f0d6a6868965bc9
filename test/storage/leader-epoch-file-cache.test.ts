import assert from 'node:assert/strict'
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { test } from 'node:test'
import { LeaderEpochFileCache } from '../../src/storage/leader-epoch-file-cache.js'
import { withTempDir } from './batch-fixtures.js'

test('assign keeps epochs and start offsets strictly increasing and persists Kafka format', async () => {
  await withTempDir(async (dir) => {
    const cache = new LeaderEpochFileCache(dir)
    await cache.assign(1, 0)
    assert.equal(cache.assign(1, 5), undefined, 'same epoch later is not news')
    await cache.assign(3, 10)
    await cache.assign(5, 20)
    await cache.flush()
    assert.equal(await readFile(join(dir, 'leader-epoch-checkpoint'), 'utf8'), '0\n3\n1 0\n3 10\n5 20\n')
    await cache.assign(4, 15)
    await cache.flush()
    assert.deepEqual(cache.epochEntries, [
      { epoch: 1, startOffset: 0 },
      { epoch: 3, startOffset: 10 },
      { epoch: 4, startOffset: 15 }
    ])
    const reloaded = new LeaderEpochFileCache(dir)
    await reloaded.load()
    assert.deepEqual(reloaded.epochEntries, cache.epochEntries)
  })
})

test('assign changes memory only; flush writes the checkpoint once', async () => {
  await withTempDir(async (dir) => {
    const path = join(dir, 'leader-epoch-checkpoint')
    const cache = new LeaderEpochFileCache(dir)
    cache.assign(2, 0)
    cache.assign(3, 40)
    assert.deepEqual(cache.epochEntries, [
      { epoch: 2, startOffset: 0 },
      { epoch: 3, startOffset: 40 }
    ])
    assert.ok(cache.needsFlush)
    await assert.rejects(readFile(path, 'utf8'), { code: 'ENOENT' }, 'no file write on the append path')
    await cache.flush()
    assert.ok(!cache.needsFlush)
    assert.equal(await readFile(path, 'utf8'), '0\n2\n2 0\n3 40\n')
    assert.equal(cache.flush(), undefined, 'nothing new to write')
  })
})

test('endOffsetFor follows Kafka, including its edge cases', async () => {
  await withTempDir(async (dir) => {
    const cache = new LeaderEpochFileCache(dir)
    assert.deepEqual(cache.endOffsetFor(0, 100), { epoch: -1, endOffset: -1 })
    await cache.assign(2, 10)
    await cache.assign(4, 20)
    await cache.assign(6, 30)
    assert.deepEqual(cache.endOffsetFor(6, 100), { epoch: 6, endOffset: 100 })
    assert.deepEqual(cache.endOffsetFor(4, 100), { epoch: 4, endOffset: 30 })
    assert.deepEqual(cache.endOffsetFor(5, 100), { epoch: 4, endOffset: 30 })
    assert.deepEqual(cache.endOffsetFor(1, 100), { epoch: 1, endOffset: 10 })
    assert.deepEqual(cache.endOffsetFor(7, 100), { epoch: -1, endOffset: -1 })
    assert.deepEqual(cache.endOffsetFor(-1, 100), { epoch: -1, endOffset: -1 })
  })
})

test('truncateFromEnd and truncateFromStart', async () => {
  await withTempDir(async (dir) => {
    const cache = new LeaderEpochFileCache(dir)
    await cache.assign(2, 10)
    await cache.assign(4, 20)
    await cache.assign(6, 30)
    await cache.truncateFromEnd(25)
    assert.deepEqual(cache.epochEntries, [
      { epoch: 2, startOffset: 10 },
      { epoch: 4, startOffset: 20 }
    ])
    await cache.truncateFromStart(22)
    assert.deepEqual(cache.epochEntries, [{ epoch: 4, startOffset: 22 }])
    assert.equal(cache.epochForOffset(21), undefined)
    assert.equal(cache.epochForOffset(100), 4)
    const reloaded = new LeaderEpochFileCache(dir)
    await reloaded.load()
    assert.deepEqual(reloaded.epochEntries, [{ epoch: 4, startOffset: 22 }])
  })
})
