import type { Controller } from './controller.js'

export interface LeaderRebalancerOptions {
  readonly controller: Controller
  /** Only the active controller rebalances; other brokers' timers do nothing. */
  readonly isController: () => boolean
  /** leader.imbalance.check.interval.seconds, in ms. */
  readonly checkIntervalMs: number
  /** leader.imbalance.per.broker.percentage */
  readonly imbalancePercentage: number
  readonly onError: (err: unknown) => void
}

/**
 * Automatic preferred leader election (auto.leader.rebalance.enable): every check interval, the active
 * controller moves leadership back to preferred replicas of brokers whose imbalance exceeds the allowed
 * percentage, so a broker that came back after a failure or a controlled shutdown leads its share again.
 *
 * Event loop: an unref'd timer; a check that is still running when the next tick fires is not doubled.
 */
export class LeaderRebalancer {
  private timer: NodeJS.Timeout | undefined
  private running = false

  constructor(private readonly options: LeaderRebalancerOptions) {}

  start(): void {
    this.timer = setInterval(() => this.check(), this.options.checkIntervalMs)
    this.timer.unref()
  }

  close(): void {
    clearInterval(this.timer)
    this.timer = undefined
  }

  private check(): void {
    if (this.running || !this.options.isController()) return
    this.running = true
    this.options.controller
      .rebalanceLeaders(this.options.imbalancePercentage)
      .catch((err: unknown) => {
        if (this.options.isController()) this.options.onError(err)
      })
      .finally(() => {
        this.running = false
      })
  }
}
