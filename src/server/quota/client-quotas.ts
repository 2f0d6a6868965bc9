/**
 * The broker's client quota managers, fed by the metadata store's quota stream (so every broker applies the
 * same quotas): produce and fetch bandwidth, request handling time and controller mutations.
 */

import type { ClientQuotasImage } from '../../cluster/metadata-store.js'
import { ClientQuotaManager } from './client-quota-manager.js'
import type { QuotaWindow } from './sampled-rate.js'

export class ClientQuotas {
  readonly produce: ClientQuotaManager
  readonly fetch: ClientQuotaManager
  readonly request: ClientQuotaManager
  readonly controllerMutation: ClientQuotaManager
  /** Whether any produce, fetch or request quota is configured: the request path's only check otherwise. */
  active = false
  /** The quotas last applied, as DescribeClientQuotas reads them. */
  image: ClientQuotasImage = { version: 0n, quotas: [] }

  constructor(window: QuotaWindow, controllerWindow: QuotaWindow, clock: () => number = Date.now) {
    this.produce = new ClientQuotaManager('producer_byte_rate', window, clock)
    this.fetch = new ClientQuotaManager('consumer_byte_rate', window, clock)
    this.request = new ClientQuotaManager('request_percentage', window, clock)
    this.controllerMutation = new ClientQuotaManager('controller_mutation_rate', controllerWindow, clock)
  }

  private readonly listeners = new Set<(image: ClientQuotasImage) => void>()

  /** Also told of every image applied (the connection quotas take the ip entities' rates). */
  onApply(listener: (image: ClientQuotasImage) => void): void {
    this.listeners.add(listener)
    listener(this.image)
  }

  /** Resolves once an image of at least `version` is applied, or after `timeoutMs` (the quotas lag behind). */
  whenApplied(version: bigint, timeoutMs: number): Promise<void> {
    if (this.image.version >= version) return Promise.resolve()
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer)
        this.waiters.delete(waiter)
        resolve()
      }
      const waiter = { version, done }
      const timer = setTimeout(done, timeoutMs)
      this.waiters.add(waiter)
    })
  }

  private readonly waiters = new Set<{ readonly version: bigint; readonly done: () => void }>()

  apply(image: ClientQuotasImage): void {
    this.image = image
    for (const listener of this.listeners) listener(image)
    for (const waiter of this.waiters) if (image.version >= waiter.version) waiter.done()
    for (const m of [this.produce, this.fetch, this.request, this.controllerMutation]) m.update(image.quotas)
    this.active = this.produce.enabled || this.fetch.enabled || this.request.enabled
  }
}
