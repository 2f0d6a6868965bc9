/** A hand-driven clock for the coordinator's timers: time moves only when a test advances it. */

import type { CoordinatorTime, TimerHandle } from '../../../src/coordinator/group/coordinator-time.js'

interface Pending {
  id: number
  at: number
  fn: () => void
}

export class ManualTime implements CoordinatorTime {
  private current: number
  private nextId = 0
  private readonly pending = new Map<number, Pending>()

  constructor(start = 1_700_000_000_000) {
    this.current = start
  }

  now(): number {
    return this.current
  }

  setTimer(delayMs: number, fn: () => void): TimerHandle {
    const id = this.nextId++
    this.pending.set(id, { id, at: this.current + Math.max(0, delayMs), fn })
    return { id }
  }

  clearTimer(handle: TimerHandle): void {
    this.pending.delete(handle.id as number)
  }

  /** Moves time forward, firing due timers in deadline order at their own deadlines. */
  advance(ms: number): void {
    const target = this.current + ms
    for (;;) {
      let next: Pending | undefined
      for (const p of this.pending.values())
        if (p.at <= target && (next === undefined || p.at < next.at)) next = p
      if (next === undefined) break
      this.pending.delete(next.id)
      this.current = next.at
      next.fn()
    }
    this.current = target
  }

  get pendingCount(): number {
    return this.pending.size
  }
}
