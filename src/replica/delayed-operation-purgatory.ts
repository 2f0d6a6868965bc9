/**
 * Requests that wait for something to happen on a partition (a fetch waiting for min.bytes), Kafka's
 * DelayedOperationPurgatory. An operation is completed by whichever comes first: a watched key reports
 * progress (`checkAndComplete`), or its deadline passes. Deadlines share one timer for the whole purgatory,
 * armed for the earliest deadline, rather than one timer per request.
 *
 * Ownership: one event loop. `tryComplete` must be cheap and synchronous; `onComplete` runs exactly once.
 */
export interface DelayedOperation {
  readonly deadline: number
  /** Returns true when the operation can complete now (it is then completed). */
  tryComplete(): boolean
  /** Called once, on completion or expiry. */
  onComplete(expired: boolean): void
}

/** The purgatory's one expiry timer: Node's setTimeout by default, a hand-driven one in tests. */
export interface PurgatoryTimer {
  set(delayMs: number, fn: () => void): unknown
  clear(handle: unknown): void
}

const NODE_TIMER: PurgatoryTimer = {
  set: (delayMs, fn) => setTimeout(fn, delayMs),
  clear: (handle) => clearTimeout(handle as NodeJS.Timeout)
}

interface Entry {
  op: DelayedOperation
  keys: readonly string[]
  done: boolean
}

export class DelayedOperationPurgatory {
  private readonly watchers = new Map<string, Set<Entry>>()
  private readonly pending = new Set<Entry>()
  private timer: unknown = null
  private timerDeadline = Number.POSITIVE_INFINITY

  constructor(
    private readonly now: () => number = Date.now,
    private readonly timers: PurgatoryTimer = NODE_TIMER
  ) {}

  get size(): number {
    return this.pending.size
  }

  /** Watch entries over all keys (Kafka's `watched`): an operation counts once per key until it completes. */
  get watched(): number {
    let n = 0
    for (const set of this.watchers.values()) n += set.size
    return n
  }

  /** Completes the operation now if it can; otherwise watches it under `keys` until it can or expires. */
  tryCompleteElseWatch(op: DelayedOperation, keys: readonly string[]): void {
    if (op.tryComplete()) {
      op.onComplete(false)
      return
    }
    const entry: Entry = { op, keys, done: false }
    this.pending.add(entry)
    for (const key of keys) {
      let set = this.watchers.get(key)
      if (set === undefined) {
        set = new Set()
        this.watchers.set(key, set)
      }
      set.add(entry)
    }
    this.armTimer(op.deadline)
  }

  /** Something changed under `key`: completes every watching operation that can now complete. */
  checkAndComplete(key: string): void {
    const set = this.watchers.get(key)
    if (set === undefined) return
    for (const entry of [...set]) {
      if (!entry.done && entry.op.tryComplete()) this.finish(entry, false)
    }
  }

  /** Completes everything still waiting, as expired (used at shutdown). */
  shutdown(): void {
    for (const entry of [...this.pending]) this.finish(entry, true)
    if (this.timer !== null) this.timers.clear(this.timer)
    this.timer = null
  }

  private finish(entry: Entry, expired: boolean): void {
    if (entry.done) return
    entry.done = true
    this.pending.delete(entry)
    for (const key of entry.keys) {
      const set = this.watchers.get(key)
      if (set === undefined) continue
      set.delete(entry)
      if (set.size === 0) this.watchers.delete(key)
    }
    entry.op.onComplete(expired)
  }

  private armTimer(deadline: number): void {
    if (deadline >= this.timerDeadline) return
    if (this.timer !== null) this.timers.clear(this.timer)
    this.timerDeadline = deadline
    this.timer = this.timers.set(Math.max(0, deadline - this.now()), () => this.expire())
  }

  private expire(): void {
    this.timer = null
    this.timerDeadline = Number.POSITIVE_INFINITY
    const now = this.now()
    let next = Number.POSITIVE_INFINITY
    for (const entry of [...this.pending]) {
      if (entry.op.deadline <= now) this.finish(entry, true)
      else next = Math.min(next, entry.op.deadline)
    }
    if (next !== Number.POSITIVE_INFINITY) this.armTimer(next)
  }
}
