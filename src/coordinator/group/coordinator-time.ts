/**
 * The coordinator's clock and timers, injected so that tests can drive time by hand. KeyedTimer keeps at most
 * one pending timer per key (Kafka's coordinator timer semantics): scheduling a key again replaces it, which
 * is what bounds the timers to one per member plus a join and a sync timer per group.
 */

export interface TimerHandle {
  readonly id: unknown
}

export interface CoordinatorTime {
  now(): number
  setTimer(delayMs: number, fn: () => void): TimerHandle
  clearTimer(handle: TimerHandle): void
}

/** Wall clock and Node timers; unref'd so that pending session timeouts never keep the process alive. */
export const SYSTEM_TIME: CoordinatorTime = {
  now: () => Date.now(),
  setTimer(delayMs, fn) {
    const t = setTimeout(fn, Math.max(0, delayMs))
    t.unref()
    return { id: t }
  },
  clearTimer(handle) {
    clearTimeout(handle.id as NodeJS.Timeout)
  }
}

export class KeyedTimer {
  private readonly timers = new Map<string, TimerHandle>()

  constructor(private readonly time: CoordinatorTime) {}

  schedule(key: string, delayMs: number, fn: () => void): void {
    this.cancel(key)
    const handle = this.time.setTimer(delayMs, () => {
      // Only the latest schedule for a key may fire; a replaced handle is already cleared.
      if (this.timers.get(key) !== handle) return
      this.timers.delete(key)
      fn()
    })
    this.timers.set(key, handle)
  }

  cancel(key: string): void {
    const handle = this.timers.get(key)
    if (handle === undefined) return
    this.time.clearTimer(handle)
    this.timers.delete(key)
  }

  isScheduled(key: string): boolean {
    return this.timers.has(key)
  }

  get size(): number {
    return this.timers.size
  }

  cancelAll(): void {
    for (const handle of this.timers.values()) this.time.clearTimer(handle)
    this.timers.clear()
  }
}
