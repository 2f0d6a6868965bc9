import { readdir, rename, unlink } from 'node:fs/promises'
import { join } from 'node:path'
import { FileRecords } from './file-records.js'
import {
  INDEX_FILE_SUFFIX,
  LOG_FILE_SUFFIX,
  offsetFileStem,
  TIME_INDEX_FILE_SUFFIX
} from './log-file-names.js'

/** A segment the cleaner is still writing. Never part of the log: removed on the next open. */
export const CLEANED_FILE_SUFFIX = '.cleaned'
/** A cleaned segment that is complete and fsynced: it replaces the segments it overlaps, even after a crash. */
export const SWAP_FILE_SUFFIX = '.swap'

const SEGMENT_FILE = /^(\d{20})\.(log|index|timeindex)$/
const SWAP_LOG_FILE = /^(\d{20})\.log\.swap$/

async function removeQuietly(path: string): Promise<void> {
  await unlink(path).catch((err: NodeJS.ErrnoException) => {
    if (err.code !== 'ENOENT') throw err
  })
}

/**
 * Finishes what an interrupted cleaner left in a partition directory, before the loader lists segments (as
 * Kafka's LogLoader does): `.cleaned` files are incomplete and removed; a `.log.swap` file was complete when
 * renamed, so the segments whose base offsets fall in [swap base, swap next offset) are the ones it replaces
 * and are removed, and the swap becomes the segment. Segments of the cleaned group above the swap's last
 * offset may survive; they hold only records the cleaner had removed as superseded, so the log stays
 * consistent and a later cleaning removes them again.
 *
 * Returns the base offsets of swapped-in segments, whose indexes must be rebuilt by recovery.
 */
export async function completeInterruptedCleaning(dir: string): Promise<Set<number>> {
  const swapped = new Set<number>()
  let names = await readdir(dir)
  for (const name of names) {
    if (name.endsWith(CLEANED_FILE_SUFFIX)) await removeQuietly(join(dir, name))
    else if (name.endsWith(SWAP_FILE_SUFFIX) && !SWAP_LOG_FILE.test(name))
      await removeQuietly(join(dir, name))
  }
  names = await readdir(dir)
  for (const name of names) {
    const m = SWAP_LOG_FILE.exec(name)
    if (!m) continue
    const base = Number(m[1])
    const swapPath = join(dir, name)
    const records = await FileRecords.open(swapPath, false)
    let next = base + 1
    try {
      for await (const b of records.batches()) next = Math.max(next, b.lastOffset + 1)
    } finally {
      await records.close()
    }
    for (const other of names) {
      const s = SEGMENT_FILE.exec(other)
      if (!s) continue
      const offset = Number(s[1])
      if (offset >= base && offset < next) await removeQuietly(join(dir, other))
    }
    const stem = join(dir, offsetFileStem(base))
    await removeQuietly(stem + INDEX_FILE_SUFFIX)
    await removeQuietly(stem + TIME_INDEX_FILE_SUFFIX)
    await rename(swapPath, stem + LOG_FILE_SUFFIX)
    swapped.add(base)
  }
  return swapped
}
