import { open, readFile, rename } from 'node:fs/promises'
import { dirname } from 'node:path'
import { syncDirectory } from '../common/atomic-file.js'

/** How one entry of a checkpoint file maps to a text line. */
export interface EntryFormatter<T> {
  toLine(entry: T): string
  /** Undefined when the line is malformed. */
  fromLine(line: string): T | undefined
}

/**
 * Kafka's checkpoint text format: a version line, a count line, then one line per entry. Writes go to a
 * `.tmp` file that is fsynced and renamed over the old one (then the directory is fsynced), so a crash leaves
 * either the old or the new content, never a mix.
 *
 * Ownership: one writer per file on one event loop; concurrent write() calls are queued, not interleaved.
 */
export class CheckpointFile<T> {
  private chain: Promise<unknown> = Promise.resolve()

  constructor(
    readonly path: string,
    private readonly version: number,
    private readonly formatter: EntryFormatter<T>
  ) {}

  write(entries: readonly T[]): Promise<void> {
    const run = this.chain.then(() => this.writeNow(entries))
    this.chain = run.catch(() => undefined)
    return run
  }

  private async writeNow(entries: readonly T[]): Promise<void> {
    const lines = [
      String(this.version),
      String(entries.length),
      ...entries.map((e) => this.formatter.toLine(e))
    ]
    const tmp = `${this.path}.tmp`
    const fh = await open(tmp, 'w')
    try {
      await fh.writeFile(`${lines.join('\n')}\n`)
      await fh.sync()
    } finally {
      await fh.close()
    }
    await rename(tmp, this.path)
    await syncDirectory(dirname(this.path))
  }

  /** Entries in file order; an absent file reads as none. Throws on a malformed file. */
  async read(): Promise<T[]> {
    let text: string
    try {
      text = await readFile(this.path, 'utf8')
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return []
      throw err
    }
    const lines = text.split('\n').filter((l) => l.length > 0)
    const fail = (why: string) => new Error(`malformed checkpoint file ${this.path}: ${why}`)
    if (lines[0] !== String(this.version)) throw fail(`unsupported version ${lines[0]}`)
    const count = Number(lines[1])
    if (!Number.isInteger(count) || count !== lines.length - 2) throw fail(`expected ${lines[1]} entries`)
    return lines.slice(2).map((line) => {
      const entry = this.formatter.fromLine(line)
      if (entry === undefined) throw fail(`bad line '${line}'`)
      return entry
    })
  }
}

export interface PartitionOffset {
  topic: string
  partition: number
  offset: number
}

/** Lines `topic partition offset`, as in recovery-point-offset-checkpoint and its siblings. */
export const partitionOffsetFormatter: EntryFormatter<PartitionOffset> = {
  toLine: (e) => `${e.topic} ${e.partition} ${e.offset}`,
  fromLine: (line) => {
    const parts = line.split(' ')
    if (parts.length !== 3) return undefined
    const partition = Number(parts[1])
    const offset = Number(parts[2])
    if (!Number.isInteger(partition) || !Number.isSafeInteger(offset)) return undefined
    return { topic: parts[0]!, partition, offset }
  }
}
