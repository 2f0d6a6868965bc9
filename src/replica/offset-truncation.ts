import type { LeaderEpochFileCache } from '../storage/leader-epoch-file-cache.js'

/** Where a follower cuts its log, and whether the leader must be asked again afterwards. */
export interface OffsetTruncationState {
  offset: number
  /** False when the follower lacks the leader's epoch: after cutting, it asks again with an older epoch. */
  truncationCompleted: boolean
}

/** The leader's answer about the follower's epoch: OffsetForLeaderEpoch, or a Fetch's divergingEpoch. */
export interface LeaderEpochEndOffset {
  leaderEpoch: number
  endOffset: number
}

/**
 * How far a follower truncates, given the leader's end offset for the largest epoch it shares with the
 * follower (Kafka's AbstractFetcherThread.getOffsetTruncationState). An unknown end offset keeps only what
 * was committed (the high watermark); when the follower does not know the leader's epoch it cuts to the
 * end of its own largest older epoch and asks again, so that the search walks down the epochs until both
 * logs agree.
 */
export function offsetTruncationState(
  leader: LeaderEpochEndOffset,
  cache: LeaderEpochFileCache,
  logEndOffset: number,
  highWatermark: number
): OffsetTruncationState {
  if (leader.endOffset < 0) {
    return { offset: Math.min(highWatermark, logEndOffset), truncationCompleted: true }
  }
  if (leader.leaderEpoch < 0) {
    return { offset: Math.min(leader.endOffset, logEndOffset), truncationCompleted: true }
  }
  const own = cache.endOffsetFor(leader.leaderEpoch, logEndOffset)
  if (own.epoch < 0 || own.endOffset < 0) {
    // The follower tracks no epoch at or below the leader's: the leader's offset is all there is to go by.
    return { offset: Math.min(leader.endOffset, logEndOffset), truncationCompleted: true }
  }
  if (own.epoch !== leader.leaderEpoch) {
    return { offset: Math.min(own.endOffset, logEndOffset), truncationCompleted: false }
  }
  return { offset: Math.min(own.endOffset, leader.endOffset, logEndOffset), truncationCompleted: true }
}
