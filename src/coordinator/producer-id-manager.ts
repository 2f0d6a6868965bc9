import { mkdir, readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { removeStaleTempFiles, writeFileAtomically } from '../common/atomic-file.js'
import { ErrorCode, KafkaError } from '../protocol/error-codes.js'

/** Kafka's block size (ProducerIdsBlock.PRODUCER_ID_BLOCK_SIZE). */
export const PRODUCER_ID_BLOCK_SIZE = 1000
export const PRODUCER_ID_BLOCK_FILE = 'producer-id-block'
const MAX_PRODUCER_ID = (1n << 63n) - 1n
/** Fetch the next block once this share of the current one is used, so callers rarely wait for a write. */
const PREFETCH_RATIO = 0.9

/** A range of ids reserved for one broker, as in AllocateProducerIds' response. */
export interface ProducerIdBlock {
  readonly firstProducerId: bigint
  readonly size: number
}

/**
 * Where blocks come from. The embedded broker reserves them in a file; a cluster must get them from the
 * controller (AllocateProducerIds), which alone can keep brokers from handing out the same ids.
 */
export interface ProducerIdBlockSource {
  /** Returns a block that was never returned before, by this process or an earlier one. */
  allocateBlock(): Promise<ProducerIdBlock>
}

/**
 * Reserves blocks in `<dir>/producer-id-block`, a small JSON file holding the first id not yet reserved.
 * A block is handed out only after the file saying it is taken is durable (temp file + fsync + rename), so
 * ids never repeat across restarts, even after SIGKILL or power loss; a crash merely skips the unused rest
 * of the block. A file that cannot be parsed is an error rather than a restart from 0, which would repeat ids.
 */
export class FileProducerIdBlockSource implements ProducerIdBlockSource {
  private readonly dir: string
  private readonly file: string
  private readonly blockSize: number
  private nextBlockStart: bigint | undefined
  private chain: Promise<unknown> = Promise.resolve()

  constructor(dir: string, blockSize = PRODUCER_ID_BLOCK_SIZE) {
    if (!Number.isInteger(blockSize) || blockSize < 1) throw new RangeError(`invalid block size ${blockSize}`)
    this.dir = dir
    this.file = join(dir, PRODUCER_ID_BLOCK_FILE)
    this.blockSize = blockSize
  }

  allocateBlock(): Promise<ProducerIdBlock> {
    const run = this.chain.then(() => this.allocateNow())
    this.chain = run.catch(() => undefined)
    return run
  }

  private async allocateNow(): Promise<ProducerIdBlock> {
    const start = this.nextBlockStart ?? (await this.readNextBlockStart())
    const end = start + BigInt(this.blockSize)
    if (end - 1n > MAX_PRODUCER_ID) {
      throw new KafkaError(ErrorCode.UNKNOWN_SERVER_ERROR, 'producer ids are exhausted')
    }
    await writeFileAtomically(
      this.file,
      `${JSON.stringify({ version: 1, nextBlockStart: end.toString() })}\n`
    )
    this.nextBlockStart = end
    return { firstProducerId: start, size: this.blockSize }
  }

  private async readNextBlockStart(): Promise<bigint> {
    await mkdir(this.dir, { recursive: true })
    await removeStaleTempFiles(this.dir, PRODUCER_ID_BLOCK_FILE)
    let text: string
    try {
      text = await readFile(this.file, 'utf8')
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return 0n
      throw err
    }
    const parsed: unknown = JSON.parse(text)
    const value = (parsed as { version?: unknown; nextBlockStart?: unknown } | null) ?? {}
    if (
      value.version !== 1 ||
      typeof value.nextBlockStart !== 'string' ||
      !/^\d+$/.test(value.nextBlockStart)
    ) {
      throw new Error(`${this.file} is not a version 1 producer id block file`)
    }
    return BigInt(value.nextBlockStart)
  }
}

export interface ProducerIdManagerOptions {
  source: ProducerIdBlockSource
}

/**
 * Hands out producer ids for InitProducerId requests without a transactional id (and, later, for new
 * transactional ids): strictly increasing within a process and never repeated across restarts, because
 * every id comes from a block the source reserved durably. The next block is fetched in the background
 * when 90% of the current one is used, as Kafka's RPCProducerIdManager does.
 *
 * Ownership: one per broker, on its event loop; concurrent calls are fine (each gets a distinct id).
 */
export class ProducerIdManager {
  private readonly source: ProducerIdBlockSource
  private current: ProducerIdBlock | undefined
  private nextId = 0n
  private nextBlock: ProducerIdBlock | undefined
  private pending: Promise<void> | undefined
  private lastError: unknown

  constructor(opts: ProducerIdManagerOptions) {
    this.source = opts.source
  }

  /** A manager reserving blocks in `dir` (e.g. `<metadata log dir>/__cluster_metadata`). */
  static forDirectory(dir: string, blockSize = PRODUCER_ID_BLOCK_SIZE): ProducerIdManager {
    return new ProducerIdManager({ source: new FileProducerIdBlockSource(dir, blockSize) })
  }

  async generateProducerId(): Promise<bigint> {
    for (;;) {
      const block = this.current
      if (block && this.nextId < block.firstProducerId + BigInt(block.size)) {
        const id = this.nextId
        this.nextId += 1n
        const used = Number(this.nextId - block.firstProducerId)
        if (used >= block.size * PREFETCH_RATIO) this.prefetch()
        return id
      }
      if (this.nextBlock) {
        this.current = this.nextBlock
        this.nextBlock = undefined
        this.nextId = this.current.firstProducerId
        continue
      }
      this.lastError = undefined
      await this.prefetch()
      if (!this.nextBlock && this.lastError !== undefined) {
        throw new KafkaError(
          ErrorCode.COORDINATOR_LOAD_IN_PROGRESS,
          'no producer id block is available yet',
          {
            cause: this.lastError
          }
        )
      }
    }
  }

  /** Starts fetching the next block unless one is fetched or in flight; never rejects. */
  private prefetch(): Promise<void> {
    if (this.nextBlock) return Promise.resolve()
    this.pending ??= this.source
      .allocateBlock()
      .then(
        (b) => {
          // A source must move forward; a block at or below ids already handed out would repeat them.
          if (this.current && b.firstProducerId < this.current.firstProducerId + BigInt(this.current.size)) {
            throw new Error(`producer id block at ${b.firstProducerId} overlaps the current block`)
          }
          this.nextBlock = b
        },
        (err: unknown) => {
          this.lastError = err
        }
      )
      .catch((err: unknown) => {
        this.lastError = err
      })
      .finally(() => {
        this.pending = undefined
      })
    return this.pending
  }
}
