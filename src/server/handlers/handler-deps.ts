import type { Controller } from '../../cluster/controller/controller.js'
import type { ControllerChannel } from '../../cluster/controller-channel.js'
import type { MetadataCache } from '../../cluster/metadata-cache.js'
import type { EndPoint } from '../../config/end-point.js'
import type { KafkaConfig } from '../../config/kafka-config.js'
import type { ReplicaManager } from '../../replica/replica-manager.js'
import type { DynamicConfigServices } from '../admin/dynamic-config-alteration.js'

/**
 * What the data-plane and admin handlers are built with. Each handler takes only what it uses; this is
 * the set the broker assembles once (see src/broker/broker.ts).
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
  /** Dynamic configs of BROKER, GROUP and CLIENT_METRICS resources (KIP-226); absent in unit tests. */
  readonly dynamicConfigs?: DynamicConfigServices
}

/** "Not requested" for authorized-operations fields (Integer.MIN_VALUE). */
export const AUTHORIZED_OPERATIONS_OMITTED = -2147483648

const bits = (ops: readonly number[]): number => ops.reduce((acc, op) => acc | (1 << op), 0)
/**
 * Without ACLs every operation a resource type supports is allowed (Kafka's AclOperation codes).
 * Topic: READ, WRITE, CREATE, DELETE, ALTER, DESCRIBE, DESCRIBE_CONFIGS, ALTER_CONFIGS.
 */
export const ALL_TOPIC_OPERATIONS = bits([3, 4, 5, 6, 7, 8, 10, 11])
/** Cluster: CREATE, ALTER, DESCRIBE, CLUSTER_ACTION, DESCRIBE_CONFIGS, ALTER_CONFIGS, IDEMPOTENT_WRITE. */
export const ALL_CLUSTER_OPERATIONS = bits([5, 7, 8, 9, 10, 11, 12])
