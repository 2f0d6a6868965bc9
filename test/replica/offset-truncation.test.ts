import assert from 'node:assert/strict'
import { test } from 'node:test'
import { offsetTruncationState } from '../../src/replica/offset-truncation.js'
import { LeaderEpochFileCache } from '../../src/storage/leader-epoch-file-cache.js'
import { withTempDir } from '../storage/batch-fixtures.js'

/** A follower whose log holds epoch 1 from 0, epoch 3 from 10 and epoch 5 from 20, ending at 30. */
async function followerCache(dir: string): Promise<LeaderEpochFileCache> {
  const cache = new LeaderEpochFileCache(dir)
  await cache.assign(1, 0)
  await cache.assign(3, 10)
  await cache.assign(5, 20)
  return cache
}

test('the same epoch on both sides: cut at the smaller end, done', async () => {
  await withTempDir(async (dir) => {
    const cache = await followerCache(dir)
    // The leader's epoch 3 ended at 15, the follower's at 20: the follower's 15..19 diverge.
    assert.deepEqual(offsetTruncationState({ leaderEpoch: 3, endOffset: 15 }, cache, 30, 12), {
      offset: 15,
      truncationCompleted: true
    })
    // The leader's latest epoch is the follower's latest: it has everything, nothing to cut.
    assert.deepEqual(offsetTruncationState({ leaderEpoch: 5, endOffset: 40 }, cache, 30, 12), {
      offset: 30,
      truncationCompleted: true
    })
  })
})

test('an epoch the follower never had: cut to its own older epoch end and ask again', async () => {
  await withTempDir(async (dir) => {
    const cache = await followerCache(dir)
    // The leader knows epoch 4 (not the follower): the follower keeps epoch 3 up to 20 and asks again.
    assert.deepEqual(offsetTruncationState({ leaderEpoch: 4, endOffset: 25 }, cache, 30, 12), {
      offset: 20,
      truncationCompleted: false
    })
  })
})

test('unknown answers: the high watermark, or the leader offset alone', async () => {
  await withTempDir(async (dir) => {
    const cache = await followerCache(dir)
    assert.deepEqual(offsetTruncationState({ leaderEpoch: -1, endOffset: -1 }, cache, 30, 12), {
      offset: 12,
      truncationCompleted: true
    })
    assert.deepEqual(offsetTruncationState({ leaderEpoch: -1, endOffset: 8 }, cache, 30, 12), {
      offset: 8,
      truncationCompleted: true
    })
    const empty = new LeaderEpochFileCache(`${dir}/empty`)
    assert.deepEqual(offsetTruncationState({ leaderEpoch: 2, endOffset: 6 }, empty, 9, 0), {
      offset: 6,
      truncationCompleted: true
    })
  })
})

test('an epoch below every epoch the follower tracks: the leader offset, capped at the log end', async () => {
  await withTempDir(async (dir) => {
    const cache = new LeaderEpochFileCache(dir)
    await cache.assign(4, 10)
    // Kafka's cache answers (requested epoch, start of the first epoch) here: the same epoch, so min of both.
    assert.deepEqual(offsetTruncationState({ leaderEpoch: 2, endOffset: 7 }, cache, 30, 0), {
      offset: 7,
      truncationCompleted: true
    })
  })
})
