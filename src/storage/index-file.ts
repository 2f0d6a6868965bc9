import { type FileHandle, open, readFile, rename, unlink } from 'node:fs/promises'

/**
 * Persistence for a sparse index of fixed-size entries. The in-memory index is authoritative; its file is
 * append-only: entries not yet on disk are appended on flush, and truncation cuts the file. Unlike Kafka we
 * neither preallocate nor mmap, so a file on disk is always exactly its valid entries (after a clean close)
 * or a prefix of them (after a crash), and recovery rebuilds it from the log when it does not check out.
 *
 * Ownership: used by one LogSegment on one event loop; calls are not reentrant, the segment serialises them.
 */
export class IndexFile {
  private handle: FileHandle | undefined
  /** Number of entries known to be in the file. */
  private persisted = 0

  constructor(
    public path: string,
    private readonly entrySize: number
  ) {}

  /** Reads the whole file; an absent file reads as empty. */
  async load(): Promise<Buffer> {
    try {
      const data = await readFile(this.path)
      const whole = data.length - (data.length % this.entrySize)
      this.persisted = whole / this.entrySize
      return data.subarray(0, whole)
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return Buffer.alloc(0)
      throw err
    }
  }

  private async file(): Promise<FileHandle> {
    if (!this.handle) {
      try {
        this.handle = await open(this.path, 'r+')
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err
        this.handle = await open(this.path, 'w+')
      }
    }
    return this.handle
  }

  /** Appends entries [persisted, count), each serialised by `encode`, then optionally fsyncs. */
  async flush(
    count: number,
    encode: (i: number, into: Buffer, at: number) => void,
    sync = true
  ): Promise<void> {
    const fh = await this.file()
    if (count < this.persisted) {
      await fh.truncate(count * this.entrySize)
      this.persisted = count
    }
    if (count > this.persisted) {
      const buf = Buffer.allocUnsafe((count - this.persisted) * this.entrySize)
      for (let i = this.persisted; i < count; i++) encode(i, buf, (i - this.persisted) * this.entrySize)
      await fh.write(buf, 0, buf.length, this.persisted * this.entrySize)
      this.persisted = count
    }
    if (sync) await fh.sync()
  }

  /** Drops entries from the file when the index is truncated below what was persisted. */
  async truncate(count: number): Promise<void> {
    if (count >= this.persisted) return
    const fh = await this.file()
    await fh.truncate(count * this.entrySize)
    this.persisted = count
  }

  /** Empties the file regardless of what is known about it, before an index is rebuilt. */
  async clear(): Promise<void> {
    const fh = await this.file()
    await fh.truncate(0)
    this.persisted = 0
  }

  async renameTo(path: string): Promise<void> {
    try {
      await rename(this.path, path)
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err
    }
    this.path = path
  }

  async close(): Promise<void> {
    const h = this.handle
    this.handle = undefined
    await h?.close()
  }

  async delete(): Promise<void> {
    await this.close()
    await unlink(this.path).catch((err: NodeJS.ErrnoException) => {
      if (err.code !== 'ENOENT') throw err
    })
  }
}
