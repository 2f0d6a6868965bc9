/**
 * The `.lock` file of a log directory: one broker process per directory, as Kafka's LogManager ensures.
 *
 * Kafka holds an OS file lock (FileChannel.tryLock) on `<dir>/.lock`. Node has no flock/fcntl lock in its
 * standard library, and a native module only for this is not worth its weight, so the lock is a file created
 * with O_CREAT|O_EXCL ('wx') holding the owner's pid and its start time. Creation is atomic on a local file
 * system, so of two brokers racing only one gets the file. A lock left by a process that died (kill -9, a
 * crash, a power cut) is stale: its pid no longer runs, or runs but started at another time (the pid was
 * reused, as it always is in a container where the broker is pid 1). A stale lock is removed and taken
 * over; a clean shutdown removes the file. Without /proc (not Linux) the start time is unknown and pid
 * liveness alone decides.
 * The pid means something on this host only: two hosts sharing a directory over a network file system are
 * not told apart (Kafka's OS lock is not reliable there either).
 */

import { readFileSync } from 'node:fs'
import { mkdir, open, readFile, stat, unlink } from 'node:fs/promises'
import { dirname, join, resolve } from 'node:path'

export const LOCK_FILE = '.lock'

export class LogDirError extends Error {
  override readonly name = 'LogDirError'
}

/** The start time of `pid` in clock ticks since boot (field 22 of /proc/<pid>/stat), or null if unknown. */
export function processStartTime(pid: number): string | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    // "pid (comm) state ppid ...": comm may contain spaces and parentheses, the fields follow the last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
    return fields[19] ?? null
  } catch {
    return null
  }
}

function processRuns(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (err) {
    // EPERM: it runs, as another user.
    return (err as NodeJS.ErrnoException).code === 'EPERM'
  }
}

interface LockOwner {
  readonly pid: number
  readonly startTime: string | null
}

function parseOwner(text: string): LockOwner | null {
  const match = /^pid=(\d+)\s+start=(\S+)/m.exec(text)
  if (!match) return null
  return { pid: Number(match[1]), startTime: match[2] === 'unknown' ? null : match[2]! }
}

/** Whether the process that wrote the lock still runs (the same process, not a reuse of its pid). */
function ownerRuns(owner: LockOwner): boolean {
  if (!processRuns(owner.pid)) return false
  if (owner.startTime === null) return true
  const now = processStartTime(owner.pid)
  return now === null || now === owner.startTime
}

/**
 * Creates `dir` if needed without `mkdir -p`: Node's recursive mkdir spins forever (and the process with
 * it) on some paths, e.g. under /proc, so each missing level is created on its own and each failure names
 * the level that failed.
 */
export async function createLogDir(dir: string): Promise<void> {
  const path = resolve(dir)
  const missing: string[] = []
  let existing = path
  for (;;) {
    try {
      const s = await stat(existing)
      if (!s.isDirectory())
        throw new LogDirError(`log dir ${dir} is unusable: ${existing} exists and is not a directory`)
      break
    } catch (err) {
      if (err instanceof LogDirError) throw err
      const code = (err as NodeJS.ErrnoException).code
      // ENOTDIR: an ancestor is a file, which the walk up finds and names.
      if (code !== 'ENOENT' && code !== 'ENOTDIR')
        throw new LogDirError(`log dir ${dir} is unusable: ${existing}: ${(err as Error).message}`)
      const parent = dirname(existing)
      if (parent === existing) throw new LogDirError(`log dir ${dir} is unusable: no root`)
      missing.unshift(existing)
      existing = parent
    }
  }
  for (const level of missing) {
    try {
      await mkdir(level)
    } catch (err) {
      const e = err as NodeJS.ErrnoException
      if (e.code === 'EEXIST') continue
      throw new LogDirError(`log dir ${dir} could not be created: ${e.message}`)
    }
  }
}

/** A held `.lock`; release() removes it if it is still ours. */
export class LogDirLock {
  private constructor(
    readonly dir: string,
    private readonly content: string
  ) {}

  /**
   * Creates `dir` when missing and locks it. Throws LogDirError when the directory is unusable, not writable
   * or locked by another running process.
   */
  static async acquire(dir: string): Promise<LogDirLock> {
    await createLogDir(dir)
    const path = join(dir, LOCK_FILE)
    const content = `pid=${process.pid} start=${processStartTime(process.pid) ?? 'unknown'}\n`
    // Two attempts: the second follows the removal of a stale lock.
    for (let attempt = 0; attempt < 2; attempt++) {
      try {
        const handle = await open(path, 'wx', 0o644)
        try {
          await handle.writeFile(content)
          await handle.sync()
        } catch (err) {
          // A full disk: leave no empty lock behind to block the next start.
          await handle.close().catch(() => {})
          await unlink(path).catch(() => {})
          throw new LogDirError(`log dir ${dir} is unusable: ${(err as Error).message}`)
        }
        await handle.close()
        return new LogDirLock(dir, content)
      } catch (err) {
        if (err instanceof LogDirError) throw err
        const code = (err as NodeJS.ErrnoException).code
        if (code !== 'EEXIST') {
          const reason =
            code === 'EACCES' || code === 'EPERM' || code === 'EROFS' ? 'is not writable' : 'is unusable'
          throw new LogDirError(`log dir ${dir} ${reason}: ${(err as Error).message}`)
        }
      }
      const owner = await readOwner(path)
      // An empty or unreadable file is either a crash between create and write, or a broker writing it
      // right now: only an old one is stale.
      const busy = owner === null ? await isRecent(path) : owner !== undefined && ownerRuns(owner)
      if (busy) {
        throw new LogDirError(
          `Failed to acquire lock on file ${LOCK_FILE} in ${dir}: another broker process` +
            `${owner ? ` (pid ${owner.pid})` : ''} is using this directory`
        )
      }
      // Stale (or unreadable garbage left by a crash mid-write): take it over.
      await unlink(path).catch(() => {})
    }
    throw new LogDirError(
      `Failed to acquire lock on file ${LOCK_FILE} in ${dir}: another process keeps taking it`
    )
  }

  /** Removes the lock file unless another process has taken it over since. */
  async release(): Promise<void> {
    const path = join(this.dir, LOCK_FILE)
    try {
      if ((await readFile(path, 'utf8')) === this.content) await unlink(path)
    } catch {
      // Already gone, or the directory went away: nothing to release.
    }
  }
}

/** The lock's owner; null for an unparsable file; undefined when the file vanished meanwhile. */
async function readOwner(path: string): Promise<LockOwner | null | undefined> {
  try {
    return parseOwner(await readFile(path, 'utf8'))
  } catch {
    return undefined
  }
}

async function isRecent(path: string): Promise<boolean> {
  try {
    return Date.now() - (await stat(path)).mtimeMs < 10_000
  } catch {
    return false
  }
}
