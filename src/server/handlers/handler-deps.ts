import type { Controller } from '../../cluster/controller.js'
import type { ControllerChannel } from '../../cluster/controller-channel.js'
import type { MetadataCache } from '../../cluster/metadata-cache.js'
import type { ReplicaManager } from '../../cluster/replica-manager.js'
import type { EndPoint } from '../../config/end-point.js'
import type { KafkaConfig } from '../../config/kafka-config.js'

/**
 * What the data-plane and admin handlers are built with. Each handler takes only what it uses; this is
 * the set the broker assembles once (see src/server/broker.ts).
 */
export interface HandlerDeps {
  readonly config: KafkaConfig
  readonly metadataCache: MetadataCache
  readonly replicaManager: ReplicaManager
  readonly controller: Controller
  /** Whether this broker is the active controller, who is, and forwarding of controller requests to it. */
  readonly controllerChannel: ControllerChannel
  /** This broker's endpoints as clients should reach them (bound ports filled in). */
  readonly advertisedEndPoints: () => readonly EndPoint[]
}

/** "Not requested" for authorized-operations fields (Integer.MIN_VALUE). */
export const AUTHORIZED_OPERATIONS_OMITTED = -2147483648
