import { randomUUID } from 'node:crypto'
import { mkdir, readdir, rename, rm } from 'node:fs/promises'
import { join } from 'node:path'
import { syncDirectory } from '../common/atomic-file.js'
import { CheckpointFile, type PartitionOffset, partitionOffsetFormatter } from './checkpoint-file.js'
import { LogCleaner } from './log-cleaner.js'
import { LogConfig } from './log-config.js'
import type { LogEventListener } from './log-events.js'
import {
  DELETE_DIR_SUFFIX,
  LOG_START_OFFSET_CHECKPOINT_FILE,
  parsePartitionDirName,
  partitionDirName,
  RECOVERY_POINT_CHECKPOINT_FILE,
  REPLICATION_OFFSET_CHECKPOINT_FILE,
  type TopicPartition,
  topicPartitionKey
} from './log-file-names.js'
import { UnifiedLog } from './unified-log.js'

export interface LogManagerOptions {
  /** log.dirs */
  logDirs: readonly string[]
  /** Broker-wide defaults for every topic. */
  defaultConfig?: LogConfig
  /** Per-topic config (defaults plus topic overrides); defaultConfig when absent. */
  topicConfig?: (topic: string) => LogConfig
  /** log.retention.check.interval.ms, default 300000. */
  retentionCheckIntervalMs?: number
  /** log.flush.scheduler.interval.ms: how often flush.ms is checked. Default 1000. */
  flushCheckIntervalMs?: number
  /** log.flush.offset.checkpoint.interval.ms, default 60000. */
  checkpointIntervalMs?: number
  /** Logs opened (and possibly recovered) at once per log dir at startup. Default 4. */
  recoveryConcurrencyPerDir?: number
  time?: () => number
  /** producer.id.expiration.ms: idle producer ids are forgotten after this long. Default one day. */
  producerIdExpirationMs?: number
  /** producer.id.expiration.check.interval.ms, default 600000. */
  producerIdExpirationCheckIntervalMs?: number
  /** log.cleaner.enable: run the LogCleaner for compacted topics. Default false. */
  cleanerEnable?: boolean
  /** log.cleaner.backoff.ms, default 15000. */
  cleanerBackoffMs?: number
  /** log.cleaner.dedupe.buffer.size, default 128 MiB. */
  cleanerDedupeBufferSize?: number
  /** Logs loaded and recovered, retention and compaction runs: what an operator wants to read about. */
  onEvent?: LogEventListener
}

interface DirCheckpoints {
  recoveryPoint: CheckpointFile<PartitionOffset>
  highWatermark: CheckpointFile<PartitionOffset>
  logStartOffset: CheckpointFile<PartitionOffset>
}

interface ManagedLog {
  log: UnifiedLog
  logDir: string
}

/** Runs `tasks` with at most `limit` in flight. */
async function runBounded(tasks: (() => Promise<void>)[], limit: number): Promise<void> {
  let next = 0
  const worker = async () => {
    while (next < tasks.length) await tasks[next++]!()
  }
  await Promise.all(Array.from({ length: Math.min(limit, tasks.length) }, worker))
}

/**
 * Owns every partition log in `log.dirs`: opens them on startup (in parallel, bounded per dir), creates and
 * deletes logs, and runs the periodic retention check, flush check and offset checkpoints. Per log dir it
 * keeps Kafka's recovery-point-offset-checkpoint, replication-offset-checkpoint (high watermarks) and
 * log-start-offset-checkpoint, written atomically on every interval and at shutdown.
 *
 * Ownership: one instance per broker process, on its event loop. Creation of one partition is deduplicated
 * so concurrent callers get the same log.
 */
export class LogManager {
  private readonly logs = new Map<string, ManagedLog>()
  private readonly creating = new Map<string, Promise<UnifiedLog>>()
  private readonly checkpoints = new Map<string, DirCheckpoints>()
  private readonly timers: NodeJS.Timeout[] = []
  private readonly busy = new Set<string>()
  private readonly deletions = new Set<Promise<void>>()
  private readonly defaultConfig: LogConfig
  private readonly time: () => number
  private started = false
  private cleaner: LogCleaner | undefined

  constructor(private readonly opts: LogManagerOptions) {
    if (opts.logDirs.length === 0) throw new Error('log.dirs must name at least one directory')
    this.defaultConfig = opts.defaultConfig ?? new LogConfig()
    this.time = opts.time ?? Date.now
    for (const dir of opts.logDirs) {
      this.checkpoints.set(dir, {
        recoveryPoint: new CheckpointFile(
          join(dir, RECOVERY_POINT_CHECKPOINT_FILE),
          0,
          partitionOffsetFormatter
        ),
        highWatermark: new CheckpointFile(
          join(dir, REPLICATION_OFFSET_CHECKPOINT_FILE),
          0,
          partitionOffsetFormatter
        ),
        logStartOffset: new CheckpointFile(
          join(dir, LOG_START_OFFSET_CHECKPOINT_FILE),
          0,
          partitionOffsetFormatter
        )
      })
    }
  }

  private configFor(topic: string): LogConfig {
    return this.opts.topicConfig?.(topic) ?? this.defaultConfig
  }

  /** Opens every partition directory found in log.dirs, then starts the background tasks. */
  async startup(): Promise<void> {
    for (const dir of this.opts.logDirs) await this.loadDir(dir)
    this.started = true
    this.every(this.opts.retentionCheckIntervalMs ?? 300_000, 'retention', () => this.cleanupLogs())
    this.every(this.opts.flushCheckIntervalMs ?? 1000, 'flush', () => this.flushDirtyLogs())
    this.every(this.opts.checkpointIntervalMs ?? 60_000, 'checkpoint', () => this.checkpointAll())
    this.every(this.opts.producerIdExpirationCheckIntervalMs ?? 600_000, 'producer-expiration', () =>
      this.removeExpiredProducers()
    )
    if (this.opts.cleanerEnable) {
      this.cleaner = new LogCleaner({
        logs: () => this.allLogs,
        time: this.time,
        onCleaned: (log, stats, durationMs) =>
          this.opts.onEvent?.({
            type: 'compaction',
            topicPartition: log.topicPartition,
            segmentsCleaned: stats.segmentsCleaned,
            recordsRemoved: stats.recordsRemoved,
            recordsRetained: stats.recordsRetained,
            bytesRead: stats.bytesRead,
            bytesWritten: stats.bytesWritten,
            durationMs
          }),
        ...(this.opts.cleanerBackoffMs !== undefined ? { backoffMs: this.opts.cleanerBackoffMs } : {}),
        ...(this.opts.cleanerDedupeBufferSize !== undefined
          ? { dedupeBufferSize: this.opts.cleanerDedupeBufferSize }
          : {})
      })
      this.cleaner.startup()
    }
  }

  /** A periodic task that never overlaps itself and never keeps the process alive. */
  private every(intervalMs: number, name: string, task: () => Promise<unknown>): void {
    const timer = setInterval(() => {
      if (this.busy.has(name)) return
      this.busy.add(name)
      // Failures surface where they matter: an offline log refuses its next request.
      task()
        .catch(() => undefined)
        .finally(() => this.busy.delete(name))
    }, intervalMs)
    timer.unref()
    this.timers.push(timer)
  }

  private async loadDir(dir: string): Promise<void> {
    const startedAt = this.time()
    const loadedBefore = this.logs.size
    await mkdir(dir, { recursive: true })
    const cp = this.checkpoints.get(dir)!
    const asMap = (entries: PartitionOffset[]) =>
      new Map(entries.map((e) => [topicPartitionKey(e), e.offset]))
    const recoveryPoints = asMap(await cp.recoveryPoint.read())
    const highWatermarks = asMap(await cp.highWatermark.read())
    const logStarts = asMap(await cp.logStartOffset.read())
    const tasks: (() => Promise<void>)[] = []
    const seen = new Set<string>()
    for (const entry of await readdir(dir, { withFileTypes: true })) {
      if (!entry.isDirectory()) continue
      if (entry.name.endsWith(DELETE_DIR_SUFFIX)) {
        // A deletion interrupted by a restart: finish it.
        tasks.push(() => rm(join(dir, entry.name), { recursive: true, force: true }))
        continue
      }
      const tp = parsePartitionDirName(entry.name)
      if (!tp) continue
      const key = topicPartitionKey(tp)
      if (this.logs.has(key) || seen.has(key)) throw new Error(`duplicate log directories for ${key}`)
      seen.add(key)
      tasks.push(async () => {
        const log = await UnifiedLog.open({
          dir: join(dir, entry.name),
          topicPartition: tp,
          config: this.configFor(tp.topic),
          recoveryPoint: recoveryPoints.get(key) ?? 0,
          highWatermark: highWatermarks.get(key) ?? 0,
          logStartOffset: logStarts.get(key) ?? 0,
          time: this.time,
          ...this.producerStateOptions()
        })
        this.logs.set(key, { log, logDir: dir })
        this.opts.onEvent?.({
          type: 'log-loaded',
          topicPartition: tp,
          logEndOffset: log.logEndOffset,
          ...log.loadSummary
        })
      })
    }
    await runBounded(tasks, this.opts.recoveryConcurrencyPerDir ?? 4)
    const loaded = [...this.logs.values()].filter((m) => m.logDir === dir).map((m) => m.log.loadSummary)
    this.opts.onEvent?.({
      type: 'logs-loaded',
      logDir: dir,
      logs: this.logs.size - loadedBefore,
      recoveredLogs: loaded.filter((l) => l.recovered).length,
      segments: loaded.reduce((n, l) => n + l.segments, 0),
      truncatedBytes: loaded.reduce((n, l) => n + l.truncatedBytes, 0),
      durationMs: this.time() - startedAt
    })
  }

  getLog(topic: string, partition: number): UnifiedLog | undefined {
    return this.logs.get(topicPartitionKey({ topic, partition }))?.log
  }

  get allLogs(): UnifiedLog[] {
    return [...this.logs.values()].map((m) => m.log)
  }

  /** The existing log, or a new one in the log dir holding the fewest partitions. */
  async getOrCreateLog(topic: string, partition: number, config?: LogConfig): Promise<UnifiedLog> {
    const tp: TopicPartition = { topic, partition }
    const key = topicPartitionKey(tp)
    const existing = this.logs.get(key)?.log
    if (existing) return existing
    const pending = this.creating.get(key)
    if (pending) return pending
    const creation = this.createLog(tp, config ?? this.configFor(topic))
    this.creating.set(key, creation)
    try {
      return await creation
    } finally {
      this.creating.delete(key)
    }
  }

  private async createLog(tp: TopicPartition, config: LogConfig): Promise<UnifiedLog> {
    const counts = new Map(this.opts.logDirs.map((d) => [d, 0]))
    for (const m of this.logs.values()) counts.set(m.logDir, (counts.get(m.logDir) ?? 0) + 1)
    const logDir = [...counts].sort((a, b) => a[1] - b[1])[0]![0]
    await mkdir(logDir, { recursive: true })
    const log = await UnifiedLog.open({
      dir: join(logDir, partitionDirName(tp)),
      topicPartition: tp,
      config,
      time: this.time,
      ...this.producerStateOptions()
    })
    await syncDirectory(logDir)
    this.logs.set(topicPartitionKey(tp), { log, logDir })
    return log
  }

  /**
   * Removes a partition: its directory is renamed to `<topic>-<partition>.<uuid>-delete` at once (so a
   * restart never reopens it) and removed in the background. Returns false when there was no such log.
   */
  async deleteLog(topic: string, partition: number): Promise<boolean> {
    const key = topicPartitionKey({ topic, partition })
    const managed = this.logs.get(key)
    if (!managed) return false
    this.logs.delete(key)
    await managed.log.closeHandles()
    const doomed = `${managed.log.dir}.${randomUUID().replaceAll('-', '')}${DELETE_DIR_SUFFIX}`
    await rename(managed.log.dir, doomed)
    await syncDirectory(managed.logDir)
    const removal = rm(doomed, { recursive: true, force: true }).catch(() => undefined)
    this.deletions.add(removal)
    removal.finally(() => this.deletions.delete(removal))
    return true
  }

  /** One retention pass over every log (log.retention.check.interval.ms). */
  async cleanupLogs(): Promise<number> {
    let deleted = 0
    for (const log of this.allLogs) {
      if (log.isOffline) continue
      const dropped = await log.deleteOldSegments().catch(() => 0)
      if (dropped > 0) {
        this.opts.onEvent?.({
          type: 'retention',
          topicPartition: log.topicPartition,
          segmentsDeleted: dropped,
          logStartOffset: log.logStartOffset
        })
      }
      deleted += dropped
    }
    return deleted
  }

  private producerStateOptions(): { producerIdExpirationMs?: number } {
    const ms = this.opts.producerIdExpirationMs
    return ms === undefined ? {} : { producerIdExpirationMs: ms }
  }

  /** One producer.id.expiration.check.interval.ms pass over every log. */
  async removeExpiredProducers(): Promise<void> {
    for (const log of this.allLogs)
      if (!log.isOffline) await log.removeExpiredProducers().catch(() => undefined)
  }

  /** One flush.ms pass over every log. */
  async flushDirtyLogs(): Promise<void> {
    for (const log of this.allLogs) if (!log.isOffline) await log.flushIfDue().catch(() => undefined)
  }

  /** Writes the three offset checkpoints of every log dir. */
  async checkpointAll(): Promise<void> {
    for (const dir of this.opts.logDirs) {
      const inDir = [...this.logs.values()].filter((m) => m.logDir === dir && !m.log.isOffline)
      const lines = (pick: (log: UnifiedLog) => number) =>
        inDir.map((m) => ({ ...m.log.topicPartition, offset: pick(m.log) }))
      const cp = this.checkpoints.get(dir)!
      await cp.recoveryPoint.write(lines((l) => l.recoveryPoint))
      await cp.highWatermark.write(lines((l) => l.highWatermark))
      await cp.logStartOffset.write(lines((l) => l.logStartOffset))
    }
  }

  /** Stops the background tasks, closes every log cleanly and writes the checkpoints. */
  async shutdown(): Promise<void> {
    for (const t of this.timers) clearInterval(t)
    this.timers.length = 0
    await this.cleaner?.shutdown()
    if (!this.started && this.logs.size === 0) return
    for (const m of this.logs.values()) {
      // An offline log gets no clean-shutdown marker, so its next open re-checks it.
      if (m.log.isOffline) await m.log.closeHandles()
      else await m.log.close()
    }
    await this.checkpointAll()
    this.logs.clear()
    await Promise.all([...this.deletions])
  }
}
