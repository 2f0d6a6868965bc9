import type { BrokerEndpoint, PartitionRegistration, TopicConfigs, TopicId } from '../metadata-store.js'

/**
 * The key layout of one Samsa cluster in etcd, relative to its prefix `/samsa/<cluster>/` (the store works in
 * an etcd3 namespace, so these are the keys it reads and writes):
 *
 *   brokers/<nodeId>          the last registration (JSON; its mod revision is the broker epoch); no lease,
 *                             so a dead broker stays known, fenced
 *   live/<nodeId>             bound to the broker's lease: present while the broker is live and unfenced
 *   topics/<topicId>          name and partition count (JSON)
 *   topic_names/<name>        the topic id holding a name; makes "name taken" one compare in a txn
 *   partitions/<topicId>/<p>  one partition registration (JSON), so partitions change independently
 *   configs/<topicId>         topic config overrides (JSON)
 *   controller                the active controller, bound to its lease (JSON: nodeId, epoch)
 *   controller_epoch          the last controller epoch (decimal); every controller write compares on it
 *   cluster_id                the Kafka cluster id (plain text), set once by the first store to open
 *
 * Every value is JSON except controller_epoch. Topic ids are base64url (22 chars, no '/'), so the prefix
 * `partitions/<topicId>/` never matches another topic's partitions.
 */

export const CONTROLLER_KEY = 'controller'
export const CONTROLLER_EPOCH_KEY = 'controller_epoch'
export const CLUSTER_ID_KEY = 'cluster_id'

export const brokerKey = (nodeId: number): string => `brokers/${nodeId}`
export const liveKey = (nodeId: number): string => `live/${nodeId}`
export const topicKey = (topicId: TopicId): string => `topics/${topicId}`
export const topicNameKey = (name: string): string => `topic_names/${name}`
export const partitionsPrefix = (topicId: TopicId): string => `partitions/${topicId}/`
export const partitionKey = (topicId: TopicId, index: number): string => `partitions/${topicId}/${index}`
export const configsKey = (topicId: TopicId): string => `configs/${topicId}`

/** The etcd key prefix of a cluster; clusters sharing one etcd never see each other's keys. */
export const clusterPrefix = (clusterName: string): string => `/samsa/${clusterName}/`

export interface StoredBroker {
  readonly nodeId: number
  readonly host: string
  readonly port: number
  readonly rack: string | null
  /** Absent in registrations written before every listener was registered (see registeredListeners). */
  readonly listeners?: readonly BrokerEndpoint[]
}

export interface StoredTopic {
  readonly name: string
  readonly topicId: TopicId
  readonly partitionCount: number
}

export type StoredPartition = Omit<PartitionRegistration, 'partitionIndex'>

export interface StoredController {
  readonly nodeId: number
  readonly epoch: number
}

/** A key of the layout, parsed; null for keys Samsa does not own. */
export type ParsedKey =
  | { readonly kind: 'broker' | 'live'; readonly nodeId: number }
  | { readonly kind: 'topic' | 'configs'; readonly topicId: TopicId }
  | { readonly kind: 'topic-name'; readonly name: string }
  | { readonly kind: 'partition'; readonly topicId: TopicId; readonly partitionIndex: number }
  | { readonly kind: 'controller' | 'controller-epoch' }

export function parseKey(key: string): ParsedKey | null {
  if (key === CONTROLLER_KEY) return { kind: 'controller' }
  if (key === CONTROLLER_EPOCH_KEY) return { kind: 'controller-epoch' }
  const slash = key.indexOf('/')
  if (slash < 0) return null
  const head = key.slice(0, slash)
  const rest = key.slice(slash + 1)
  switch (head) {
    case 'brokers':
    case 'live': {
      const nodeId = Number(rest)
      return Number.isInteger(nodeId) ? { kind: head === 'brokers' ? 'broker' : 'live', nodeId } : null
    }
    case 'topics':
      return { kind: 'topic', topicId: rest }
    case 'configs':
      return { kind: 'configs', topicId: rest }
    case 'topic_names':
      return { kind: 'topic-name', name: rest }
    case 'partitions': {
      const [topicId, index] = rest.split('/')
      const partitionIndex = Number(index)
      if (!topicId || !Number.isInteger(partitionIndex)) return null
      return { kind: 'partition', topicId, partitionIndex }
    }
    default:
      return null
  }
}

export const encodeJson = (value: unknown): string => JSON.stringify(value)

export function decodeJson<T>(value: Buffer | string): T {
  return JSON.parse(value.toString()) as T
}

export function storedConfigs(value: Buffer | string): TopicConfigs {
  return decodeJson<TopicConfigs>(value)
}
