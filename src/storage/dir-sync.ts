import { open } from 'node:fs/promises'

/** fsyncs a directory so that file creations, renames and deletions in it survive a crash. */
export async function fsyncDirectory(dir: string): Promise<void> {
  const fh = await open(dir, 'r')
  try {
    await fh.sync()
  } finally {
    await fh.close()
  }
}
