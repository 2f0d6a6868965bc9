/**
 * The broker's side of client quotas: the quota managers built from the quota windows of the configuration,
 * a component that applies the metadata store's quotas (and every later change) to them, and the
 * DescribeClientQuotas and AlterClientQuotas handlers.
 */

import type { MetadataStore, Unsubscribe } from '../cluster/metadata-store.js'
import type { KafkaConfig } from '../config/kafka-config.js'
import type { ApiHandler } from '../server/api-registry.js'
import { createAlterClientQuotasHandler } from '../server/handlers/alter-client-quotas.js'
import { createDescribeClientQuotasHandler } from '../server/handlers/describe-client-quotas.js'
import type { BrokerComponent } from '../server/kafka-server.js'
import { ClientQuotas } from '../server/quota/client-quotas.js'

export function clientQuotasFor(config: KafkaConfig): ClientQuotas {
  return new ClientQuotas(
    {
      samples: config.getNumber('quota.window.num'),
      windowMs: config.getNumber('quota.window.size.seconds') * 1000
    },
    {
      samples: config.getNumber('controller.quota.window.num'),
      windowMs: config.getNumber('controller.quota.window.size.seconds') * 1000
    }
  )
}

/** Starts after the metadata component: follows the store's quotas until shutdown. */
export function clientQuotaComponent(quotas: ClientQuotas, store: () => MetadataStore): BrokerComponent {
  let unsubscribe: Unsubscribe | null = null
  return {
    name: 'client-quotas',
    async startup() {
      const s = store()
      quotas.apply(await s.clientQuotas())
      unsubscribe = s.subscribeClientQuotas((image) => {
        if (image.version >= quotas.image.version) quotas.apply(image)
      })
    },
    async shutdown() {
      unsubscribe?.()
    }
  }
}

export function clientQuotaHandlers(quotas: ClientQuotas, store: () => MetadataStore): ApiHandler[] {
  return [
    createDescribeClientQuotasHandler({ quotas: () => quotas.image }),
    createAlterClientQuotasHandler({ store })
  ] as ApiHandler[]
}
