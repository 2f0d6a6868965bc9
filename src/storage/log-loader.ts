import { mkdir, readdir, unlink } from 'node:fs/promises'
import { join } from 'node:path'
import { syncDirectory } from '../common/atomic-file.js'
import type { BatchEntry } from './file-records.js'
import { completeInterruptedCleaning } from './log-cleaner-recovery.js'
import {
  CLEAN_SHUTDOWN_FILE,
  DELETED_FILE_SUFFIX,
  INDEX_FILE_SUFFIX,
  LOG_FILE_SUFFIX,
  offsetFileStem,
  parseLogFileName,
  TIME_INDEX_FILE_SUFFIX
} from './log-file-names.js'
import { LogSegment, type LogSegmentOptions } from './log-segment.js'

export interface LoadedSegments {
  segments: LogSegment[]
  hadCleanShutdown: boolean
  /** True when at least one segment was re-scanned. */
  recovered: boolean
  /** Bytes cut off by recovery (torn or corrupt tail, and any segments after it). */
  truncatedBytes: number
  /** Base offset of the first re-scanned segment: derived state (producers, txn index) is rebuilt from it. */
  firstRecoveredBaseOffset: number | undefined
}

async function removeQuietly(path: string): Promise<void> {
  await unlink(path).catch((err: NodeJS.ErrnoException) => {
    if (err.code !== 'ENOENT') throw err
  })
}

/**
 * Opens the segments of one partition directory, as Kafka's LogLoader does. Leftovers of interrupted
 * deletions (`.deleted`, `.tmp`) and index files without a log are removed. After a clean shutdown the
 * index files are trusted (and rebuilt only if they fail their sanity check); otherwise every segment that
 * may hold offsets at or above `recoveryPoint` is re-scanned batch by batch, the first invalid batch and
 * everything after it (including later segments) is removed, and the indexes are rebuilt.
 * `onRecoveredBatch` sees each batch that recovery re-validated.
 *
 * Runs once per log at open time, before the log is shared, so it may take its time.
 */
export async function loadSegments(
  dir: string,
  opts: LogSegmentOptions,
  recoveryPoint: number,
  onRecoveredBatch: (b: BatchEntry) => void
): Promise<LoadedSegments> {
  await mkdir(dir, { recursive: true })
  const swapped = await completeInterruptedCleaning(dir)
  const names = await readdir(dir)
  const hadCleanShutdown = names.includes(CLEAN_SHUTDOWN_FILE)
  const bases: number[] = []
  for (const name of names) {
    const base = parseLogFileName(name)
    if (base !== undefined) bases.push(base)
    else if (name.endsWith(DELETED_FILE_SUFFIX) || name.endsWith('.tmp')) await removeQuietly(join(dir, name))
  }
  bases.sort((a, b) => a - b)
  const known = new Set(bases.map(offsetFileStem))
  for (const name of names) {
    const m = /^(\d{20})\.(index|timeindex|txnindex)$/.exec(name)
    if (m && !known.has(m[1]!)) await removeQuietly(join(dir, name))
  }

  const segments: LogSegment[] = []
  let recovered = false
  let truncatedBytes = 0
  let firstRecoveredBaseOffset: number | undefined
  for (let i = 0; i < bases.length; i++) {
    const base = bases[i]!
    const segment = await LogSegment.open(dir, base, opts, false)
    const nextBase = bases[i + 1]
    const mayHoldUnflushed = nextBase === undefined || nextBase > recoveryPoint
    const trusted =
      !swapped.has(base) && (hadCleanShutdown || !mayHoldUnflushed) && (await segment.loadIndexes())
    if (!trusted) {
      recovered = true
      firstRecoveredBaseOffset ??= base
      const cut = await segment.recover(onRecoveredBatch)
      truncatedBytes += cut
      if (cut > 0) {
        // Everything after a corrupt point is unreliable: drop the later segments outright.
        segments.push(segment)
        for (const later of bases.slice(i + 1)) {
          const stem = join(dir, offsetFileStem(later))
          for (const suffix of [LOG_FILE_SUFFIX, INDEX_FILE_SUFFIX, TIME_INDEX_FILE_SUFFIX]) {
            await removeQuietly(stem + suffix)
          }
        }
        break
      }
    }
    segments.push(segment)
  }
  if (hadCleanShutdown) await removeQuietly(join(dir, CLEAN_SHUTDOWN_FILE))
  return { segments, hadCleanShutdown, recovered, truncatedBytes, firstRecoveredBaseOffset }
}

export interface LoadedLog {
  /** Never empty; the last one is the active segment. */
  segments: LogSegment[]
  recoveryPoint: number
  /** A segment file was created whose directory entry is not fsynced yet. */
  dirNeedsSync: boolean
  firstRecoveredBaseOffset: number | undefined
  hadCleanShutdown: boolean
  recovered: boolean
  truncatedBytes: number
}

/**
 * loadSegments, then what Kafka's LogLoader.load settles before a log is built: an empty directory gets its
 * first segment at the log start offset, segments that end before the log start are replaced by one empty
 * segment starting there, and after recovery the files are fsynced and the recovery point moves to the log
 * end (after a clean shutdown it is the log end too; otherwise the checkpointed one, capped at the end).
 */
export async function loadLog(
  dir: string,
  segmentOptions: () => LogSegmentOptions,
  recoveryPoint: number,
  logStartOffset: number,
  onRecoveredBatch: (b: BatchEntry) => void
): Promise<LoadedLog> {
  const loaded = await loadSegments(dir, segmentOptions(), recoveryPoint, onRecoveredBatch)
  let segments = loaded.segments
  let dirNeedsSync = false
  if (segments.length === 0) {
    segments = [await LogSegment.open(dir, logStartOffset, segmentOptions(), true)]
    dirNeedsSync = true
  }
  let nextOffset = segments[segments.length - 1]!.nextOffset
  const startOffset = Math.max(logStartOffset, segments[0]!.baseOffset)
  if (startOffset > nextOffset) {
    // The checkpointed start is past what survived recovery: nothing below it may be served.
    for (const s of segments) await s.deleteFiles()
    segments = [await LogSegment.open(dir, startOffset, segmentOptions(), true)]
    nextOffset = startOffset
  }
  let recoveredTo: number
  if (loaded.recovered) {
    for (const s of segments) await s.flush()
    await syncDirectory(dir)
    recoveredTo = nextOffset
  } else {
    recoveredTo = loaded.hadCleanShutdown ? nextOffset : Math.min(recoveryPoint, nextOffset)
  }
  return {
    segments,
    recoveryPoint: recoveredTo,
    dirNeedsSync,
    firstRecoveredBaseOffset: loaded.firstRecoveredBaseOffset,
    hadCleanShutdown: loaded.hadCleanShutdown,
    recovered: loaded.recovered,
    truncatedBytes: loaded.truncatedBytes
  }
}
