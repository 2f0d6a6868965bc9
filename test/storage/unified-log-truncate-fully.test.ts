import assert from 'node:assert/strict'
import { test } from 'node:test'
import { withTempDir } from './batch-fixtures.js'
import { batchOffsets, openLog, produce } from './log-helpers.js'

test('truncateFullyAndStartAt drops every segment and starts empty at the new offset, across a reopen', async () => {
  await withTempDir(async (dir) => {
    const log = await openLog(dir, { 'segment.bytes': 1024 })
    await produce(log, 30, { valueBytes: 100, leaderEpoch: 2 })
    assert.ok(log.segments.length > 1)
    log.highWatermark = 30
    await log.truncateFullyAndStartAt(100)
    assert.equal(log.logStartOffset, 100)
    assert.equal(log.logEndOffset, 100)
    assert.equal(log.highWatermark, 100)
    assert.equal(log.segments.length, 1)
    assert.equal(log.segments[0]!.baseOffset, 100)
    assert.deepEqual(log.leaderEpochCache.epochEntries, [])
    await assert.rejects(log.read(50, 1 << 20), /outside/)
    await produce(log, 2, { leaderEpoch: 3 })
    assert.equal(log.logEndOffset, 102)
    assert.deepEqual(log.leaderEpochCache.epochEntries, [{ epoch: 3, startOffset: 100 }])
    await log.close()

    const reopened = await openLog(dir, { 'segment.bytes': 1024 })
    try {
      assert.equal(reopened.logStartOffset, 100)
      assert.equal(reopened.logEndOffset, 102)
      assert.deepEqual(batchOffsets((await reopened.read(100, 1 << 20)).records), [100, 101])
    } finally {
      await reopened.close()
    }
  })
})
