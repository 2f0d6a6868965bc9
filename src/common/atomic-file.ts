import { randomBytes } from 'node:crypto'
import { open, readdir, rename, rm } from 'node:fs/promises'
import { basename, dirname, join } from 'node:path'

/**
 * Crash-safe file replacement: write a temp file beside the target, fsync it, rename it over the target,
 * then fsync the directory so the rename itself is durable. After a crash (even SIGKILL or power loss) the
 * target holds either the old or the new content, never a mix; at worst a stray temp file is left behind.
 */
export const TEMP_SUFFIX = '.tmp'

export async function writeFileAtomically(
  path: string,
  data: string | Uint8Array,
  /** The file's permissions from its creation on (0o600 for secrets: never readable by others, not even briefly). */
  mode = 0o644
): Promise<void> {
  const tmp = `${path}.${process.pid}-${randomBytes(4).toString('hex')}${TEMP_SUFFIX}`
  try {
    const file = await open(tmp, 'w', mode)
    try {
      await file.writeFile(data)
      await file.sync()
    } finally {
      await file.close()
    }
    await rename(tmp, path)
  } catch (err) {
    await rm(tmp, { force: true })
    throw err
  }
  await syncDirectory(dirname(path))
}

export async function syncDirectory(dir: string): Promise<void> {
  const handle = await open(dir, 'r')
  try {
    await handle.sync()
  } finally {
    await handle.close()
  }
}

/** Deletes temp files that writes of `fileName` in `dir` left behind when the process died mid-write. */
export async function removeStaleTempFiles(dir: string, fileName: string): Promise<string[]> {
  const prefix = `${basename(fileName)}.`
  const stale = (await readdir(dir)).filter((f) => f.startsWith(prefix) && f.endsWith(TEMP_SUFFIX))
  await Promise.all(stale.map((f) => rm(join(dir, f), { force: true })))
  return stale
}
