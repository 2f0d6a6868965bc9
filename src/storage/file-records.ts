import { write } from 'node:fs'
import { type FileHandle, open, rename } from 'node:fs/promises'
import type { BufferPool } from '../common/buffer-pool.js'
import {
  BATCH_LENGTH_OFFSET,
  LAST_OFFSET_DELTA_OFFSET,
  LOG_OVERHEAD,
  MAX_TIMESTAMP_OFFSET,
  PARTITION_LEADER_EPOCH_OFFSET,
  RECORD_BATCH_OVERHEAD
} from '../protocol/records/record-batch-header.js'

/** What the log needs to know about a stored batch without decoding its records. */
export interface BatchEntry {
  /** Byte position of the batch in the file (or buffer) it was read from. */
  position: number
  /** Whole batch size, LOG_OVERHEAD included. */
  size: number
  baseOffset: number
  lastOffset: number
  maxTimestamp: number
  partitionLeaderEpoch: number
}

/** Header fields of the batch at `pos` in `buf`; the caller has checked that RECORD_BATCH_OVERHEAD bytes exist. */
export function batchEntryAt(buf: Buffer, pos: number, filePosition = pos): BatchEntry {
  const baseOffset = Number(buf.readBigInt64BE(pos))
  return {
    position: filePosition,
    size: buf.readInt32BE(pos + BATCH_LENGTH_OFFSET) + LOG_OVERHEAD,
    baseOffset,
    lastOffset: baseOffset + buf.readInt32BE(pos + LAST_OFFSET_DELTA_OFFSET),
    maxTimestamp: Number(buf.readBigInt64BE(pos + MAX_TIMESTAMP_OFFSET)),
    partitionLeaderEpoch: buf.readInt32BE(pos + PARTITION_LEADER_EPOCH_OFFSET)
  }
}

const READ_CHUNK = 64 * 1024

/**
 * The `.log` file of one segment: appends at the end, positional reads, truncation, and batch-header scans
 * that read the file in chunks rather than one syscall per header.
 *
 * Ownership: one LogSegment on one event loop. Appends, truncation and flushes are serialised by the owning
 * log; reads may run concurrently with appends because they only read below a size captured beforehand.
 */
export class FileRecords {
  private constructor(
    public path: string,
    private readonly handle: FileHandle,
    private size: number
  ) {}

  static async open(path: string, create: boolean): Promise<FileRecords> {
    // A new segment starts empty even if a stale file of the same name was left behind.
    const handle = await open(path, create ? 'w+' : 'r+')
    const { size } = await handle.stat()
    return new FileRecords(path, handle, size)
  }

  get sizeInBytes(): number {
    return this.size
  }

  /**
   * Appends all of `data`; on failure the file is cut back so no partial write remains. The write goes
   * through the callback API on the handle's descriptor: FileHandle.write's promise bookkeeping cost about a
   * quarter of an append's CPU for small batches (1,000 partitions). Safe because appends, truncation and
   * close are serialised by the owning log, so the descriptor cannot close under a pending write.
   */
  async append(data: Buffer): Promise<number> {
    const start = this.size
    try {
      let written = 0
      while (written < data.length) {
        written += await writeAt(this.handle.fd, data, written, start + written)
      }
    } catch (err) {
      await this.handle.truncate(start).catch(() => undefined)
      throw err
    }
    this.size = start + data.length
    return start
  }

  /**
   * Reads up to `length` bytes at `position`; shorter only at the end of the file. With a pool, the bytes
   * land in a leased buffer that the caller must eventually release (or drop) as a whole.
   */
  async read(position: number, length: number, pool?: BufferPool): Promise<Buffer> {
    const size = Math.max(0, length)
    const buf = pool ? pool.acquire(size) : Buffer.allocUnsafe(size)
    let got = 0
    while (got < length) {
      const { bytesRead } = await this.handle.read(buf, got, length - got, position + got)
      if (bytesRead === 0) break
      got += bytesRead
    }
    return got === length ? buf : buf.subarray(0, got)
  }

  /**
   * Yields the headers of whole batches from `start` up to `end`, stopping silently at a batch that does not
   * fit or whose length is impossible; use recovery (LogSegment.recover) to detect and cut such tails.
   */
  async *batches(start = 0, end = this.size): AsyncGenerator<BatchEntry> {
    let window: Buffer = Buffer.alloc(0)
    let windowStart = start
    let pos = start
    while (pos + RECORD_BATCH_OVERHEAD <= end) {
      if (pos + RECORD_BATCH_OVERHEAD > windowStart + window.length) {
        window = await this.read(pos, Math.min(READ_CHUNK, end - pos))
        windowStart = pos
        if (window.length < RECORD_BATCH_OVERHEAD) return
      }
      const entry = batchEntryAt(window, pos - windowStart, pos)
      if (entry.size < RECORD_BATCH_OVERHEAD || pos + entry.size > end) return
      yield entry
      pos += entry.size
    }
  }

  async truncateTo(size: number): Promise<number> {
    if (size >= this.size) return 0
    const removed = this.size - size
    await this.handle.truncate(size)
    this.size = size
    return removed
  }

  async flush(): Promise<void> {
    await this.handle.sync()
  }

  async renameTo(path: string): Promise<void> {
    await rename(this.path, path)
    this.path = path
  }

  async close(): Promise<void> {
    await this.handle.close()
  }
}

/** One positional write of `data` from `offset` to its end; resolves with the bytes written. */
function writeAt(fd: number, data: Buffer, offset: number, position: number): Promise<number> {
  return new Promise((resolve, reject) => {
    write(fd, data, offset, data.length - offset, position, (err, n) => (err ? reject(err) : resolve(n)))
  })
}
