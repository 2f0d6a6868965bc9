/** Shared fixtures for the replication unit tests: a hand-driven clock and leader partitions on real logs. */

import type { PartitionRegistration } from '../../src/cluster/metadata-store.js'
import type { PurgatoryTimer } from '../../src/replica/delayed-operation-purgatory.js'
import { type AlterIsr, Partition } from '../../src/replica/partition.js'
import type { UnifiedLog } from '../../src/storage/unified-log.js'
import { makeBatch, withTempDir } from '../storage/batch-fixtures.js'
import { openLog, TP } from '../storage/log-helpers.js'

interface PendingTimer {
  id: number
  at: number
  fn: () => void
}

/** Time moves only when a test advances it; due timers fire in deadline order, each at its own deadline. */
export class ManualClock {
  private current: number
  private nextId = 0
  private readonly timers = new Map<number, PendingTimer>()

  constructor(start = 1_700_000_000_000) {
    this.current = start
  }

  readonly now = (): number => this.current

  /** The purgatory's timer, driven by this clock. */
  readonly timer: PurgatoryTimer = {
    set: (delayMs, fn) => {
      const id = this.nextId++
      this.timers.set(id, { id, at: this.current + Math.max(0, delayMs), fn })
      return id
    },
    clear: (handle) => {
      this.timers.delete(handle as number)
    }
  }

  advance(ms: number): void {
    const target = this.current + ms
    // A timer that keeps re-arming itself without progress would spin here for ever: fail instead.
    for (let fired = 0; ; fired++) {
      if (fired > 10_000) throw new Error('timers keep firing without time moving on')
      let next: PendingTimer | undefined
      for (const t of this.timers.values())
        if (t.at <= target && (next === undefined || t.at < next.at)) next = t
      if (next === undefined) break
      this.timers.delete(next.id)
      this.current = next.at
      next.fn()
    }
    this.current = target
  }

  get pendingTimers(): number {
    return this.timers.size
  }
}

export const LEADER = 1

const openLogs = new Map<string, UnifiedLog[]>()

/** A temp dir for leaderPartition(dir); the logs opened in it are closed before it is removed. */
export function withLeaderDir<T>(fn: (dir: string) => Promise<T>): Promise<T> {
  return withTempDir(async (dir) => {
    try {
      return await fn(dir)
    } finally {
      for (const log of openLogs.get(dir) ?? []) await log.close()
      openLogs.delete(dir)
    }
  })
}

/** AlterPartition as the leader sends it, with each proposal's answer settled by the test. */
export class AlterIsrRecorder {
  readonly proposals: { isr: number[]; resolve: () => void; reject: (err: unknown) => void }[] = []

  readonly alterIsr: AlterIsr = (_partition, newIsr) =>
    new Promise<void>((resolve, reject) => {
      this.proposals.push({ isr: [...newIsr], resolve, reject })
    })

  get proposedIsrs(): number[][] {
    return this.proposals.map((p) => p.isr)
  }
}

export interface LeaderFixture {
  partition: Partition
  log: UnifiedLog
  clock: ManualClock
  alter: AlterIsrRecorder
  /** How many times the high watermark moved (the replica manager wakes its purgatories then). */
  hwChanges: number[]
}

/**
 * Broker 1 leading orders-0 on a real log in `dir`, with `replicas` and `isr` at leader epoch 5 and the
 * injected clock; `onHighWatermarkChange` runs after each high watermark move.
 */
export async function leaderPartition(
  dir: string,
  opts: {
    replicas?: number[]
    isr?: number[]
    logProps?: Record<string, string | number>
    onHighWatermarkChange?: (p: Partition) => void
  } = {}
): Promise<LeaderFixture> {
  const log = await openLog(dir, opts.logProps ?? {})
  openLogs.set(dir, [...(openLogs.get(dir) ?? []), log])
  const clock = new ManualClock()
  const alter = new AlterIsrRecorder()
  const hwChanges: number[] = []
  const replicas = opts.replicas ?? [1, 2, 3]
  const registration: PartitionRegistration = {
    partitionIndex: TP.partition,
    replicas,
    isr: opts.isr ?? replicas,
    leader: LEADER,
    leaderEpoch: 5,
    partitionEpoch: 7
  }
  const partition = new Partition(
    TP.topic,
    'AAAAAAAAAAAAAAAAAAAAAQ',
    LEADER,
    log,
    registration,
    (p) => {
      hwChanges.push(p.highWatermark)
      opts.onHighWatermarkChange?.(p)
    },
    alter.alterIsr,
    clock.now
  )
  return { partition, log, clock, alter, hwChanges }
}

/** Appends `count` one-record batches as leader (acks=1); returns the log end offset. */
export async function appendAsLeader(partition: Partition, count: number, acks = 1): Promise<number> {
  for (let i = 0; i < count; i++) await partition.appendRecordsToLeader(await makeBatch([`v${i}`]), acks)
  return partition.log.logEndOffset
}

/** The registration after a committed change: the controller bumps the partition epoch. */
export function committed(
  partition: Partition,
  change: Partial<PartitionRegistration>
): PartitionRegistration {
  const current = partition.registration
  return { ...current, ...change, partitionEpoch: current.partitionEpoch + 1 }
}

/** Lets settled promises' callbacks run (an AlterPartition answer), without waiting for any time. */
export function flushMicrotasks(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve))
}
