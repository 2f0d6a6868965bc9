/**
 * Cluster metadata behind narrow interfaces. A single broker is a cluster of one: it still has brokers,
 * topics with ids, and partitions with replicas, an ISR, a leader and epochs. The embedded implementation
 * (file-metadata-store.ts) persists to the data directory; a multi-broker implementation on etcd fits the same
 * shape: every write is a conditional update (compare-and-swap on an expected epoch, count or absence), every
 * committed change is published as a delta carrying a monotonically increasing metadata version (etcd's
 * revision), and readers take an image at some version and then follow deltas instead of polling.
 *
 * Writers: only the controller calls the mutating methods. Readers: brokers keep a MetadataCache.
 */

/** Kafka Uuid in its base64url text form (see kafka-uuid.ts). */
export type TopicId = string

export interface BrokerEndpoint {
  /** Listener name, e.g. PLAINTEXT. */
  readonly name: string
  readonly host: string
  readonly port: number
  /** Kafka's SecurityProtocol id: 0 PLAINTEXT, 1 SSL, 2 SASL_PLAINTEXT, 3 SASL_SSL. */
  readonly securityProtocol: number
}

export interface BrokerRegistration {
  readonly nodeId: number
  /** Advertised host and port of the inter-broker listener (what other brokers and the controller dial). */
  readonly host: string
  readonly port: number
  readonly rack: string | null
  readonly listeners: readonly BrokerEndpoint[]
  /** Bumped on every registration, so a restarted broker is told apart from its previous life. */
  readonly brokerEpoch: bigint
  /** Fenced brokers are known but not live: they lead nothing and get no new replicas. */
  readonly fenced: boolean
}

export interface PartitionRegistration {
  readonly partitionIndex: number
  /** The assignment; replicas[0] is the preferred leader. */
  readonly replicas: readonly number[]
  readonly isr: readonly number[]
  /** -1 when no replica can lead (offline partition). */
  readonly leader: number
  /** Bumped on every leader change; fences zombie leaders and followers. */
  readonly leaderEpoch: number
  /** Bumped on every change of this registration; AlterPartition's optimistic-concurrency token. */
  readonly partitionEpoch: number
  /** An ongoing reassignment (Kafka's PartitionRecord): replicas joining; absent when none. */
  readonly addingReplicas?: readonly number[]
  /** An ongoing reassignment: replicas leaving once the target replicas are all in the ISR. */
  readonly removingReplicas?: readonly number[]
}

export interface TopicRegistration {
  readonly name: string
  readonly topicId: TopicId
  /** Indexed by partition index (0..n-1, no gaps). */
  readonly partitions: readonly PartitionRegistration[]
}

/** Topic config overrides: only what was set explicitly; defaults live in the broker config. */
export type TopicConfigs = Readonly<Record<string, string>>

/** A consistent view of the whole metadata at `version`. */
export interface MetadataImage {
  readonly clusterId: string
  readonly version: bigint
  readonly brokers: ReadonlyMap<number, BrokerRegistration>
  readonly topics: ReadonlyMap<TopicId, TopicRegistration>
  readonly topicConfigs: ReadonlyMap<TopicId, TopicConfigs>
}

/** Committed changes, in commit order; `version` is the metadata version the change produced. */
export type MetadataDelta =
  | { readonly type: 'broker-registered'; readonly version: bigint; readonly broker: BrokerRegistration }
  | { readonly type: 'broker-fenced'; readonly version: bigint; readonly broker: BrokerRegistration }
  | {
      readonly type: 'topic-created'
      readonly version: bigint
      readonly topic: TopicRegistration
      readonly configs: TopicConfigs
    }
  | {
      readonly type: 'topic-deleted'
      readonly version: bigint
      readonly topicId: TopicId
      readonly name: string
    }
  | {
      readonly type: 'partitions-created'
      readonly version: bigint
      readonly topicId: TopicId
      readonly partitions: readonly PartitionRegistration[]
    }
  | {
      readonly type: 'partition-changed'
      readonly version: bigint
      readonly topicId: TopicId
      readonly partition: PartitionRegistration
    }
  | {
      readonly type: 'topic-configs-changed'
      readonly version: bigint
      readonly topicId: TopicId
      readonly configs: TopicConfigs
    }

export type MetadataListener = (delta: MetadataDelta) => void
export type Unsubscribe = () => void

/** Change notifications. Listeners run synchronously after a change is durable, in version order. */
export interface MetadataChangeStream {
  subscribe(listener: MetadataListener): Unsubscribe
}

export interface NewTopic {
  readonly name: string
  readonly topicId: TopicId
  readonly partitions: readonly NewPartition[]
  readonly configs: TopicConfigs
}

/** A partition as the controller places it; it starts at leaderEpoch 0 and partitionEpoch 0. */
export interface NewPartition {
  readonly replicas: readonly number[]
  readonly isr: readonly number[]
  readonly leader: number
}

/** A leader/ISR (or reassignment) change; omitted fields keep their value. */
export interface PartitionChange {
  readonly leader?: number
  readonly isr?: readonly number[]
  readonly replicas?: readonly number[]
  /** Replaces the ongoing reassignment's replica sets; [] ends it. Kept as they are when absent. */
  readonly addingReplicas?: readonly number[]
  readonly removingReplicas?: readonly number[]
}

export interface BrokerRegistrationRequest {
  readonly nodeId: number
  readonly host: string
  readonly port: number
  readonly rack: string | null
  readonly listeners: readonly BrokerEndpoint[]
}

/**
 * A stored registration's endpoints. Registrations written before brokers registered every listener carry
 * only host and port (of their one PLAINTEXT listener); they read as that single endpoint.
 */
export function registeredListeners(stored: {
  readonly host: string
  readonly port: number
  readonly listeners?: readonly BrokerEndpoint[] | null
}): BrokerEndpoint[] {
  if (stored.listeners && stored.listeners.length > 0) return stored.listeners.map((l) => ({ ...l }))
  return [{ name: 'PLAINTEXT', host: stored.host, port: stored.port, securityProtocol: 0 }]
}

/** Brokers: registration makes a broker live; fencing (or, on etcd, an expired lease) takes it out. */
export interface BrokerRegistry {
  registerBroker(request: BrokerRegistrationRequest): Promise<BrokerRegistration>
  fenceBroker(nodeId: number): Promise<void>
}

/**
 * Topics and partitions. Failures are KafkaErrors with Kafka's codes: TOPIC_ALREADY_EXISTS when the name is
 * taken, UNKNOWN_TOPIC_ID when the id is gone, INVALID_PARTITIONS when the partition count moved under the
 * caller, INVALID_UPDATE_VERSION when the expected partition epoch is stale.
 */
export interface TopicStore {
  createTopic(topic: NewTopic): Promise<TopicRegistration>
  deleteTopic(topicId: TopicId): Promise<void>
  /** Appends partitions; conditional on the topic still having `expectedPartitionCount` partitions. */
  createPartitions(
    topicId: TopicId,
    expectedPartitionCount: number,
    partitions: readonly NewPartition[]
  ): Promise<readonly PartitionRegistration[]>
  /**
   * Compare-and-swap on the partition epoch. The store bumps partitionEpoch, and leaderEpoch too when the
   * leader changes, so two controllers racing on the same partition cannot both win.
   */
  alterPartition(
    topicId: TopicId,
    partitionIndex: number,
    expectedPartitionEpoch: number,
    change: PartitionChange
  ): Promise<PartitionRegistration>
}

export interface TopicConfigStore {
  /**
   * Sets (string) or removes (null) overrides, key by key, as IncrementalAlterConfigs does; keys not named
   * keep their value, so concurrent changes to different keys do not conflict. Returns the new overrides.
   */
  alterTopicConfigs(topicId: TopicId, changes: Readonly<Record<string, string | null>>): Promise<TopicConfigs>
}

export interface MetadataStore
  extends BrokerRegistry,
    TopicStore,
    TopicConfigStore,
    MetadataChangeStream,
    UserScramCredentialRecordStore {
  readonly clusterId: string
  /** The current image; a reader then applies deltas with a greater version. */
  image(): Promise<MetadataImage>
  close(): Promise<void>
}

// ---------------------------------------------------------------------------------------------------------
// SCRAM credentials (KIP-554): users and their salted credentials, one per user and mechanism, known to every
// broker. Kafka keeps them in its metadata log as UserScramCredentialRecord; here they are one more part of
// the metadata store, with their own change stream so readers of topics and brokers never see them.
// ---------------------------------------------------------------------------------------------------------

/** The SCRAM mechanisms Kafka supports, by their SASL names. */
export type ScramMechanismName = 'SCRAM-SHA-256' | 'SCRAM-SHA-512'

/**
 * What the broker keeps of a password (RFC 5802): never the password nor the salted password, only what
 * verifies a client proof (storedKey) and signs the server's answer (serverKey).
 */
export interface ScramCredentialRecord {
  readonly salt: Buffer
  readonly storedKey: Buffer
  readonly serverKey: Buffer
  readonly iterations: number
}

export interface UserScramCredential {
  readonly user: string
  readonly mechanism: ScramMechanismName
  readonly credential: ScramCredentialRecord
}

/** One change: a credential set (added or replaced), or removed (null). */
export interface ScramCredentialAlteration {
  readonly user: string
  readonly mechanism: ScramMechanismName
  readonly credential: ScramCredentialRecord | null
}

/** Every credential at one metadata version. */
export interface UserScramCredentialsImage {
  readonly version: bigint
  readonly credentials: readonly UserScramCredential[]
}

/** The changes one write committed, in commit order; versions share the metadata's version sequence. */
export interface ScramCredentialsDelta {
  readonly version: bigint
  readonly changes: readonly ScramCredentialAlteration[]
}

export type ScramCredentialsListener = (delta: ScramCredentialsDelta) => void

export interface UserScramCredentialRecordStore {
  /** The current credentials; a reader then applies deltas with a greater version. */
  userScramCredentials(): Promise<UserScramCredentialsImage>
  /** Applies the changes as one write. Only the controller calls it (NOT_CONTROLLER on etcd otherwise). */
  alterUserScramCredentials(changes: readonly ScramCredentialAlteration[]): Promise<void>
  /**
   * Adds credentials where the user has none for the mechanism yet, without a controller: the first admin
   * user of `samsa storage format --add-scram`, written before any broker runs. Returns those left as they
   * were because a credential already existed.
   */
  bootstrapUserScramCredentials(
    credentials: readonly UserScramCredential[]
  ): Promise<readonly UserScramCredential[]>
  /** Listeners run synchronously after a change is durable, in version order. */
  subscribeUserScramCredentials(listener: ScramCredentialsListener): Unsubscribe
}

// AWS access keys (AWS_MSK_IAM): access key id -> user and secret access key, the credentials that IAM
// clients sign their Connect request with (SigV4 needs the secret itself, so it is kept, not a hash of it).
// They are managed with `samsa iam` beside the broker, not by the controller, and have their own change
// stream so readers of topics and brokers never see them. Secrets must never be logged.
// ---------------------------------------------------------------------------------------------------------

export interface AwsAccessKey {
  /** AWS's form: 20 upper-case letters and digits (AKIA...). */
  readonly accessKeyId: string
  /** The principal's name: User:<user>. */
  readonly user: string
  readonly secretAccessKey: string
  /** When the key was created, in ms since the epoch. */
  readonly createdMs: number
}

/** Every access key at one version; versions increase with every change to the keys. */
export interface AwsAccessKeysImage {
  readonly version: bigint
  readonly keys: readonly AwsAccessKey[]
}

/** Gets the whole set of keys: once as soon as it is known after subscribing, then after every change. */
export type AwsAccessKeysListener = (image: AwsAccessKeysImage) => void

export interface AwsAccessKeyRecordStore {
  /** A fresh read of the keys. */
  awsAccessKeys(): Promise<AwsAccessKeysImage>
  /** Adds a key; rejects when the access key id is taken. Needs no controller (the CLI writes it). */
  createAwsAccessKey(key: AwsAccessKey): Promise<void>
  /** Removes a key; false when there was none with that id. */
  deleteAwsAccessKey(accessKeyId: string): Promise<boolean>
  subscribeAwsAccessKeys(listener: AwsAccessKeysListener): Unsubscribe
}

/** A rejected createAwsAccessKey: the id exists already. */
export class AwsAccessKeyExistsError extends Error {
  override readonly name = 'AwsAccessKeyExistsError'
}

// Declaration merging adds the access keys to the MetadataStore without touching its declaration above.
export interface MetadataStore extends AwsAccessKeyRecordStore {}

// ---------------------------------------------------------------------------------------------------------
// Dynamic configs of non-topic resources (KIP-226 and Kafka 4's GROUP and CLIENT_METRICS resources): what
// AlterConfigs and IncrementalAlterConfigs set on a BROKER (a node id, or '' for the cluster-wide default),
// a GROUP or a CLIENT_METRICS resource. Kafka keeps them as ConfigRecords in its metadata log; here they are
// one more part of the metadata store with their own change stream. Any broker writes them (no controller):
// each resource is one record, changed key by key.
// ---------------------------------------------------------------------------------------------------------

/** One resource's configs; `resourceType` is Kafka's ConfigResource.Type id (4 BROKER, 16 CLIENT_METRICS, 32 GROUP). */
export interface DynamicConfigResource {
  readonly resourceType: number
  readonly resourceName: string
  readonly configs: Readonly<Record<string, string>>
}

/** Every resource with configs at one version; versions increase with every change. */
export interface DynamicConfigsImage {
  readonly version: bigint
  readonly resources: readonly DynamicConfigResource[]
}

/** Gets the whole set: once as soon as it is known after subscribing, then after every change. */
export type DynamicConfigsListener = (image: DynamicConfigsImage) => void

export interface DynamicConfigRecordStore {
  /** A fresh read of every resource's configs. */
  dynamicConfigs(): Promise<DynamicConfigsImage>
  /**
   * Sets (string) or removes (null) keys of one resource; with `replace`, keys not named are removed too
   * (AlterConfigs replaces a resource's whole set). Returns the resource's configs after the change.
   */
  alterDynamicConfigs(
    resourceType: number,
    resourceName: string,
    changes: Readonly<Record<string, string | null>>,
    replace: boolean
  ): Promise<Readonly<Record<string, string>>>
  subscribeDynamicConfigs(listener: DynamicConfigsListener): Unsubscribe
}

/** A resource's configs after `changes` (see alterDynamicConfigs), shared by the stores. */
export function applyDynamicConfigChanges(
  current: Readonly<Record<string, string>>,
  changes: Readonly<Record<string, string | null>>,
  replace: boolean
): Record<string, string> {
  const next: Record<string, string> = replace ? {} : { ...current }
  for (const [k, v] of Object.entries(changes)) {
    if (v === null) delete next[k]
    else next[k] = v
  }
  return next
}

// Declaration merging adds the dynamic configs to the MetadataStore without touching its declaration above.
export interface MetadataStore extends DynamicConfigRecordStore {}

// ---------------------------------------------------------------------------------------------------------
// Client quotas (KIP-546): quota values per entity (user, client-id, user + client-id, ip), each part either
// named or the default entity of its type (`<default>`, null on the wire). Kafka keeps them as
// ClientQuotaRecords in its metadata log; here they are one more part of the store with a change stream of
// their own, so every broker applies the same quotas.
// ---------------------------------------------------------------------------------------------------------

export type ClientQuotaEntityType = 'user' | 'client-id' | 'ip'

/** The parts an entity names: a name, or null for the default entity of that type. */
export type ClientQuotaEntity = Readonly<Partial<Record<ClientQuotaEntityType, string | null>>>

export interface ClientQuotaRecord {
  readonly entity: ClientQuotaEntity
  /** Quota key (producer_byte_rate, ...) to its value. */
  readonly values: Readonly<Record<string, number>>
}

/** Sets (a number) or removes (null) quota keys of one entity; keys not named keep their value. */
export interface ClientQuotaAlteration {
  readonly entity: ClientQuotaEntity
  readonly ops: Readonly<Record<string, number | null>>
}

export interface ClientQuotasImage {
  readonly version: bigint
  readonly quotas: readonly ClientQuotaRecord[]
}

/** Gets the whole set of quotas: once as soon as it is known after subscribing, then after every change. */
export type ClientQuotasListener = (image: ClientQuotasImage) => void

export interface ClientQuotaRecordStore {
  clientQuotas(): Promise<ClientQuotasImage>
  /**
   * Applies the alterations as one write; an entity left with no key is removed. Resolves with the version
   * of the write, which subscribers see in the image that includes it.
   */
  alterClientQuotas(alterations: readonly ClientQuotaAlteration[]): Promise<bigint>
  subscribeClientQuotas(listener: ClientQuotasListener): Unsubscribe
}

const QUOTA_ENTITY_TYPES: readonly ClientQuotaEntityType[] = ['user', 'client-id', 'ip']

/** A canonical string for an entity (the same parts give the same key, in any order). */
export function clientQuotaEntityKey(entity: ClientQuotaEntity): string {
  const parts: (string | null)[][] = []
  for (const type of QUOTA_ENTITY_TYPES) {
    const name = entity[type]
    if (name !== undefined) parts.push([type, name])
  }
  return JSON.stringify(parts)
}

/** The inverse of clientQuotaEntityKey; null for a string that is not one. */
export function parseClientQuotaEntityKey(key: string): ClientQuotaEntity | null {
  let parts: unknown
  try {
    parts = JSON.parse(key)
  } catch {
    return null
  }
  if (!Array.isArray(parts)) return null
  const entity: Partial<Record<ClientQuotaEntityType, string | null>> = {}
  for (const part of parts) {
    if (!Array.isArray(part) || part.length !== 2) return null
    const [type, name] = part as [unknown, unknown]
    if (!QUOTA_ENTITY_TYPES.includes(type as ClientQuotaEntityType)) return null
    if (name !== null && typeof name !== 'string') return null
    entity[type as ClientQuotaEntityType] = name
  }
  return entity
}

/** Applies alterations to a map of quotas by entity key; returns the new map (the input is not changed). */
export function applyClientQuotaAlterations(
  quotas: ReadonlyMap<string, ClientQuotaRecord>,
  alterations: readonly ClientQuotaAlteration[]
): Map<string, ClientQuotaRecord> {
  const next = new Map(quotas)
  for (const { entity, ops } of alterations) {
    const key = clientQuotaEntityKey(entity)
    const values: Record<string, number> = { ...(next.get(key)?.values ?? {}) }
    for (const [name, value] of Object.entries(ops)) {
      if (value === null) delete values[name]
      else values[name] = value
    }
    if (Object.keys(values).length === 0) next.delete(key)
    else next.set(key, { entity: { ...entity }, values })
  }
  return next
}

// Declaration merging adds client quotas to the MetadataStore without touching its declaration above.
export interface MetadataStore extends ClientQuotaRecordStore {}

// ---------------------------------------------------------------------------------------------------------
// ACLs (Kafka's AccessControlEntryRecord): the bindings the authorizer enforces, known to every broker. Each
// has an id (as Kafka's records do) so a deletion names exactly what it removes. Written by the controller
// (CreateAcls and DeleteAcls are forwarded to it); every broker follows them through their own change stream.
// ---------------------------------------------------------------------------------------------------------

/** One binding, with Kafka's codes (ResourceType, PatternType, AclOperation, AclPermissionType). */
export interface AclRecord {
  /** A KafkaUuid-style id, unique in the cluster. */
  readonly id: string
  readonly resourceType: number
  readonly resourceName: string
  readonly patternType: number
  readonly principal: string
  readonly host: string
  readonly operation: number
  readonly permissionType: number
}

/** Every ACL at one version; versions increase with every change to the ACLs. */
export interface AclsImage {
  readonly version: bigint
  readonly acls: readonly AclRecord[]
}

/** Gets the whole set of ACLs: once as soon as it is known after subscribing, then after every change. */
export type AclsListener = (image: AclsImage) => void

export interface AclRecordStore {
  /** A fresh read of the ACLs. */
  acls(): Promise<AclsImage>
  /** Adds and removes (by id) in one write; ids of ACLs that do not exist are ignored. */
  alterAcls(create: readonly AclRecord[], deleteIds: readonly string[]): Promise<void>
  subscribeAcls(listener: AclsListener): Unsubscribe
}

// Declaration merging adds the ACLs to the MetadataStore without touching its declaration above.
export interface MetadataStore extends AclRecordStore {}
