/**
 * The broker's side of client quotas: the quota managers built from the quota windows of the configuration,
 * a component that applies the metadata store's quotas (and every later change) to them, and the
 * DescribeClientQuotas and AlterClientQuotas handlers.
 */

import type { MetadataCache } from '../cluster/metadata-cache.js'
import type { MetadataStore, Unsubscribe } from '../cluster/metadata-store.js'
import type { KafkaConfig } from '../config/kafka-config.js'
import { CreatePartitionsApi } from '../protocol/messages/create-partitions.js'
import { CreateTopicsApi } from '../protocol/messages/create-topics.js'
import { DeleteTopicsApi } from '../protocol/messages/delete-topics.js'
import type { ApiHandler } from '../server/api-registry.js'
import { createAlterClientQuotasHandler } from '../server/handlers/alter-client-quotas.js'
import { createDescribeClientQuotasHandler } from '../server/handlers/describe-client-quotas.js'
import type { BrokerComponent } from '../server/kafka-server.js'
import { ClientQuotas } from '../server/quota/client-quotas.js'
import {
  type MutationTopicLookup,
  withCreatePartitionsMutationQuota,
  withCreateTopicsMutationQuota,
  withDeleteTopicsMutationQuota
} from '../server/quota/controller-mutation-quota.js'

/** How long AlterClientQuotas waits for this broker to see its own write before answering anyway. */
const APPLY_WAIT_MS = 5000

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
    createAlterClientQuotasHandler({
      store,
      applied: (version) => quotas.whenApplied(version, APPLY_WAIT_MS)
    })
  ] as ApiHandler[]
}

/** Puts controller_mutation_rate (KIP-599) in front of CreateTopics, CreatePartitions and DeleteTopics. */
export function withControllerMutationQuotas(
  handlers: readonly ApiHandler[],
  quotas: ClientQuotas,
  config: KafkaConfig,
  cache: () => MetadataCache
): ApiHandler[] {
  const topics: MutationTopicLookup = {
    partitionCount: (t) => {
      const topic = t.name
        ? cache().topicByName(t.name)
        : t.topicId
          ? cache().topicById(t.topicId)
          : undefined
      return topic?.partitions.length
    },
    defaultNumPartitions: config.numPartitions
  }
  const quota = quotas.controllerMutation
  // The casts only widen each handler back to the registry's type; the api key picks the right wrapper.
  return handlers.map((h): ApiHandler => {
    switch (h.api.apiKey) {
      case CreateTopicsApi.apiKey:
        return withCreateTopicsMutationQuota(h as never, quota, topics) as unknown as ApiHandler
      case CreatePartitionsApi.apiKey:
        return withCreatePartitionsMutationQuota(h as never, quota, topics) as unknown as ApiHandler
      case DeleteTopicsApi.apiKey:
        return withDeleteTopicsMutationQuota(h as never, quota, topics) as unknown as ApiHandler
      default:
        return h
    }
  })
}
