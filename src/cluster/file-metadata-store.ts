import { mkdir, readFile } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import { removeStaleTempFiles, writeFileAtomically } from '../common/atomic-file.js'
import { ErrorCode, KafkaError } from '../protocol/error-codes.js'
import { ACLS_FILE, FileAcls } from './file-acls.js'
import { AWS_ACCESS_KEYS_FILE, FileAwsAccessKeys } from './file-aws-access-keys.js'
import { CLIENT_QUOTAS_FILE, FileClientQuotas } from './file-client-quotas.js'
import { DYNAMIC_CONFIGS_FILE, FileDynamicConfigs } from './file-dynamic-configs.js'
import { ensureMetaProperties } from './meta-properties.js'
import type {
  AclRecord,
  AclsImage,
  AclsListener,
  AwsAccessKey,
  AwsAccessKeysImage,
  AwsAccessKeysListener,
  BrokerRegistration,
  BrokerRegistrationRequest,
  ClientQuotaAlteration,
  ClientQuotasImage,
  ClientQuotasListener,
  DynamicConfigsImage,
  DynamicConfigsListener,
  MetadataDelta,
  MetadataImage,
  MetadataListener,
  MetadataStore,
  NewPartition,
  NewTopic,
  PartitionChange,
  PartitionRegistration,
  ScramCredentialAlteration,
  ScramCredentialRecord,
  ScramCredentialsDelta,
  ScramCredentialsListener,
  ScramMechanismName,
  TopicConfigs,
  TopicId,
  TopicRegistration,
  Unsubscribe,
  UserScramCredential,
  UserScramCredentialsImage
} from './metadata-store.js'
import { registeredListeners } from './metadata-store.js'
import { reassignmentFieldsAfter } from './partition-reassignment.js'

/**
 * The embedded MetadataStore of a single broker: the whole image is one JSON file in
 * `<metadata log dir>/__cluster_metadata/`, replaced atomically on every change. The directory name is the one
 * Kafka gives its KRaft metadata log, so operators recognise it; without a "-<partition>" suffix it can never
 * be mistaken for (or collide with) a topic partition directory, which the log manager must skip.
 *
 * Event loop: all methods are async and never block on I/O. Changes are serialised through one queue, and
 * each change is durable (fsynced and renamed into place) before it is applied in memory and published, so
 * a listener never sees state that a crash could take back.
 */
export const METADATA_DIR = '__cluster_metadata'
export const METADATA_FILE = 'metadata.json'
const FORMAT_VERSION = 1

export interface FileMetadataStoreOptions {
  /** log.dirs; every one gets a meta.properties. */
  readonly logDirs: readonly string[]
  /** Where the metadata lives; defaults to the first log dir (Kafka's metadata.log.dir default). */
  readonly metadataLogDir?: string
  readonly nodeId: number
  /** A configured cluster id; without one, the stored one is used, or a new one is made on first start. */
  readonly clusterId?: string
}

interface State {
  readonly version: bigint
  readonly lastBrokerEpoch: bigint
  readonly brokers: ReadonlyMap<number, BrokerRegistration>
  readonly topics: ReadonlyMap<TopicId, TopicRegistration>
  readonly topicConfigs: ReadonlyMap<TopicId, TopicConfigs>
  /** SCRAM credentials by scramKey(user, mechanism). */
  readonly scramCredentials: ReadonlyMap<string, UserScramCredential>
}

export class FileMetadataStore implements MetadataStore {
  private state: State
  private queue: Promise<unknown> = Promise.resolve()
  private readonly listeners = new Set<MetadataListener>()
  private readonly scramListeners = new Set<ScramCredentialsListener>()
  private closed = false

  private constructor(
    readonly clusterId: string,
    private readonly file: string,
    state: State
  ) {
    this.state = state
  }

  static async open(options: FileMetadataStoreOptions): Promise<FileMetadataStore> {
    const clusterId = await ensureMetaProperties(options.logDirs, options.nodeId, options.clusterId)
    const dir = join(options.metadataLogDir ?? options.logDirs[0]!, METADATA_DIR)
    await mkdir(dir, { recursive: true })
    // A temp file is a write that died before its rename: it was never committed, so it is dropped.
    await removeStaleTempFiles(dir, METADATA_FILE)
    const file = join(dir, METADATA_FILE)
    let state = await loadState(file, clusterId)
    if (state === null) {
      state = {
        version: 0n,
        lastBrokerEpoch: 0n,
        brokers: new Map(),
        topics: new Map(),
        topicConfigs: new Map(),
        scramCredentials: new Map()
      }
      await writeFileAtomically(file, serialize(clusterId, state))
    }
    return new FileMetadataStore(clusterId, file, state)
  }

  async image(): Promise<MetadataImage> {
    const { version, brokers, topics, topicConfigs } = this.state
    return { clusterId: this.clusterId, version, brokers, topics, topicConfigs }
  }

  subscribe(listener: MetadataListener): Unsubscribe {
    this.listeners.add(listener)
    return () => {
      this.listeners.delete(listener)
    }
  }

  registerBroker(request: BrokerRegistrationRequest): Promise<BrokerRegistration> {
    return this.commit((s, version) => {
      const broker: BrokerRegistration = {
        nodeId: request.nodeId,
        host: request.host,
        port: request.port,
        rack: request.rack,
        listeners: request.listeners.map((l) => ({ ...l })),
        brokerEpoch: s.lastBrokerEpoch + 1n,
        fenced: false
      }
      const brokers = new Map(s.brokers).set(broker.nodeId, broker)
      return {
        state: { ...s, version, lastBrokerEpoch: broker.brokerEpoch, brokers },
        delta: { type: 'broker-registered', version, broker },
        result: broker
      }
    })
  }

  fenceBroker(nodeId: number): Promise<void> {
    return this.commit((s, version) => {
      const current = s.brokers.get(nodeId)
      if (!current)
        throw new KafkaError(ErrorCode.BROKER_NOT_AVAILABLE, `Broker ${nodeId} is not registered.`)
      if (current.fenced) return null
      const broker = { ...current, fenced: true }
      return {
        state: { ...s, version, brokers: new Map(s.brokers).set(nodeId, broker) },
        delta: { type: 'broker-fenced', version, broker },
        result: undefined
      }
    })
  }

  createTopic(topic: NewTopic): Promise<TopicRegistration> {
    return this.commit((s, version) => {
      for (const existing of s.topics.values()) {
        if (existing.name === topic.name) {
          throw new KafkaError(ErrorCode.TOPIC_ALREADY_EXISTS, `Topic '${topic.name}' already exists.`)
        }
      }
      if (s.topics.has(topic.topicId)) {
        throw new KafkaError(ErrorCode.TOPIC_ALREADY_EXISTS, `Topic id ${topic.topicId} is already in use.`)
      }
      if (topic.partitions.length === 0) {
        throw new KafkaError(ErrorCode.INVALID_PARTITIONS, 'A topic needs at least one partition.')
      }
      const registration: TopicRegistration = {
        name: topic.name,
        topicId: topic.topicId,
        partitions: topic.partitions.map((p, i) => newPartition(i, p))
      }
      const configs = { ...topic.configs }
      return {
        state: {
          ...s,
          version,
          topics: new Map(s.topics).set(topic.topicId, registration),
          topicConfigs: new Map(s.topicConfigs).set(topic.topicId, configs)
        },
        delta: { type: 'topic-created', version, topic: registration, configs },
        result: registration
      }
    })
  }

  deleteTopic(topicId: TopicId): Promise<void> {
    return this.commit((s, version) => {
      const topic = requireTopic(s, topicId)
      const topics = new Map(s.topics)
      topics.delete(topicId)
      const topicConfigs = new Map(s.topicConfigs)
      topicConfigs.delete(topicId)
      return {
        state: { ...s, version, topics, topicConfigs },
        delta: { type: 'topic-deleted', version, topicId, name: topic.name },
        result: undefined
      }
    })
  }

  createPartitions(
    topicId: TopicId,
    expectedPartitionCount: number,
    partitions: readonly NewPartition[]
  ): Promise<readonly PartitionRegistration[]> {
    return this.commit((s, version) => {
      const topic = requireTopic(s, topicId)
      if (topic.partitions.length !== expectedPartitionCount) {
        throw new KafkaError(
          ErrorCode.INVALID_PARTITIONS,
          `Topic '${topic.name}' has ${topic.partitions.length} partition(s), not the expected ${expectedPartitionCount}.`
        )
      }
      const added = partitions.map((p, i) => newPartition(expectedPartitionCount + i, p))
      const updated = { ...topic, partitions: [...topic.partitions, ...added] }
      return {
        state: { ...s, version, topics: new Map(s.topics).set(topicId, updated) },
        delta: { type: 'partitions-created', version, topicId, partitions: added },
        result: added
      }
    })
  }

  alterPartition(
    topicId: TopicId,
    partitionIndex: number,
    expectedPartitionEpoch: number,
    change: PartitionChange
  ): Promise<PartitionRegistration> {
    return this.commit((s, version) => {
      const topic = requireTopic(s, topicId)
      const current = topic.partitions[partitionIndex]
      if (!current) {
        throw new KafkaError(
          ErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
          `Topic '${topic.name}' has no partition ${partitionIndex}.`
        )
      }
      if (current.partitionEpoch !== expectedPartitionEpoch) {
        throw new KafkaError(
          ErrorCode.INVALID_UPDATE_VERSION,
          `Partition ${topic.name}-${partitionIndex} is at partition epoch ${current.partitionEpoch}, not the ` +
            `expected ${expectedPartitionEpoch}.`
        )
      }
      const leader = change.leader ?? current.leader
      const next: PartitionRegistration = {
        partitionIndex,
        replicas: [...(change.replicas ?? current.replicas)],
        isr: [...(change.isr ?? current.isr)],
        leader,
        leaderEpoch: leader === current.leader ? current.leaderEpoch : current.leaderEpoch + 1,
        partitionEpoch: current.partitionEpoch + 1,
        ...reassignmentFieldsAfter(current, change)
      }
      const partitions = topic.partitions.map((p) => (p.partitionIndex === partitionIndex ? next : p))
      return {
        state: { ...s, version, topics: new Map(s.topics).set(topicId, { ...topic, partitions }) },
        delta: { type: 'partition-changed', version, topicId, partition: next },
        result: next
      }
    })
  }

  alterTopicConfigs(
    topicId: TopicId,
    changes: Readonly<Record<string, string | null>>
  ): Promise<TopicConfigs> {
    return this.commit((s, version) => {
      requireTopic(s, topicId)
      const configs: Record<string, string> = { ...s.topicConfigs.get(topicId) }
      for (const [name, value] of Object.entries(changes)) {
        if (value === null) delete configs[name]
        else configs[name] = value
      }
      return {
        state: { ...s, version, topicConfigs: new Map(s.topicConfigs).set(topicId, configs) },
        delta: { type: 'topic-configs-changed', version, topicId, configs },
        result: configs
      }
    })
  }

  // ----- SCRAM credentials (KIP-554) -----

  async userScramCredentials(): Promise<UserScramCredentialsImage> {
    return { version: this.state.version, credentials: [...this.state.scramCredentials.values()] }
  }

  subscribeUserScramCredentials(listener: ScramCredentialsListener): Unsubscribe {
    this.scramListeners.add(listener)
    return () => {
      this.scramListeners.delete(listener)
    }
  }

  alterUserScramCredentials(changes: readonly ScramCredentialAlteration[]): Promise<void> {
    return this.commit((s, version) => {
      if (changes.length === 0) return null
      const scramCredentials = new Map(s.scramCredentials)
      for (const { user, mechanism, credential } of changes) {
        if (credential === null) scramCredentials.delete(scramKey(user, mechanism))
        else scramCredentials.set(scramKey(user, mechanism), { user, mechanism, credential })
      }
      return {
        state: { ...s, version, scramCredentials },
        delta: { version, changes: [...changes] },
        result: undefined
      }
    })
  }

  bootstrapUserScramCredentials(
    credentials: readonly UserScramCredential[]
  ): Promise<readonly UserScramCredential[]> {
    return this.commit((s, version) => {
      const existing = credentials.filter((c) => s.scramCredentials.has(scramKey(c.user, c.mechanism)))
      const added = credentials.filter((c) => !existing.includes(c))
      if (added.length === 0)
        return { state: s, delta: { version: s.version, changes: [] }, result: existing }
      const scramCredentials = new Map(s.scramCredentials)
      for (const c of added) scramCredentials.set(scramKey(c.user, c.mechanism), c)
      return {
        state: { ...s, version, scramCredentials },
        delta: { version, changes: added },
        result: existing
      }
    })
  }

  /** Waits for queued changes, then refuses new ones. */
  async close(): Promise<void> {
    this.closed = true
    await this.awsAccessKeyFile?.close()
    await this.dynamicConfigFile?.close()
    await this.clientQuotaFile?.close()
    await this.aclFile?.close()
    await this.queue.catch(() => undefined)
    this.listeners.clear()
    this.scramListeners.clear()
  }

  /**
   * Runs `change` against the latest state after every earlier change has committed, persists its result,
   * then swaps it in and publishes the delta. A throwing change, or a failed write, leaves state untouched.
   */
  private commit<T>(
    change: (
      s: State,
      version: bigint
    ) => { state: State; delta: MetadataDelta | ScramCredentialsDelta; result: T } | null
  ): Promise<T> {
    if (this.closed) return Promise.reject(new Error('the metadata store is closed'))
    const run = async (): Promise<T> => {
      const outcome = change(this.state, this.state.version + 1n)
      if (outcome === null) return undefined as T
      // An unchanged state is an answer without a write (a bootstrap credential that already exists).
      if (outcome.state === this.state) return outcome.result
      await writeFileAtomically(this.file, serialize(this.clusterId, outcome.state))
      this.state = outcome.state
      const { delta } = outcome
      if ('type' in delta) publish(this.listeners, delta)
      else publish(this.scramListeners, delta)
      return outcome.result
    }
    const result = this.queue.then(run, run)
    this.queue = result.catch(() => undefined)
    return result
  }

  // ----- AWS access keys (AWS_MSK_IAM), in a file of their own: see file-aws-access-keys.ts -----

  private awsAccessKeyFile: FileAwsAccessKeys | null = null

  private get awsAccessKeyStore(): FileAwsAccessKeys {
    if (this.awsAccessKeyFile === null) {
      this.awsAccessKeyFile = new FileAwsAccessKeys(join(dirname(this.file), AWS_ACCESS_KEYS_FILE))
    }
    return this.awsAccessKeyFile
  }

  awsAccessKeys(): Promise<AwsAccessKeysImage> {
    return this.awsAccessKeyStore.read()
  }

  createAwsAccessKey(key: AwsAccessKey): Promise<void> {
    if (this.closed) return Promise.reject(new Error('the metadata store is closed'))
    return this.awsAccessKeyStore.create(key)
  }

  deleteAwsAccessKey(accessKeyId: string): Promise<boolean> {
    if (this.closed) return Promise.reject(new Error('the metadata store is closed'))
    return this.awsAccessKeyStore.delete(accessKeyId)
  }

  subscribeAwsAccessKeys(listener: AwsAccessKeysListener): Unsubscribe {
    return this.awsAccessKeyStore.subscribe(listener)
  }

  // ----- Dynamic configs of broker, group and client-metrics resources: see file-dynamic-configs.ts -----

  private dynamicConfigFile: FileDynamicConfigs | null = null

  private get dynamicConfigStore(): FileDynamicConfigs {
    if (this.dynamicConfigFile === null) {
      this.dynamicConfigFile = new FileDynamicConfigs(join(dirname(this.file), DYNAMIC_CONFIGS_FILE))
    }
    return this.dynamicConfigFile
  }

  dynamicConfigs(): Promise<DynamicConfigsImage> {
    return this.dynamicConfigStore.read()
  }

  alterDynamicConfigs(
    resourceType: number,
    resourceName: string,
    changes: Readonly<Record<string, string | null>>,
    replace: boolean
  ): Promise<Readonly<Record<string, string>>> {
    if (this.closed) return Promise.reject(new Error('the metadata store is closed'))
    return this.dynamicConfigStore.alter(resourceType, resourceName, changes, replace)
  }

  subscribeDynamicConfigs(listener: DynamicConfigsListener): Unsubscribe {
    return this.dynamicConfigStore.subscribe(listener)
  }

  // ----- Client quotas (KIP-546), in a file of their own: see file-client-quotas.ts -----

  private clientQuotaFile: FileClientQuotas | null = null

  private get clientQuotaStore(): FileClientQuotas {
    this.clientQuotaFile ??= new FileClientQuotas(join(dirname(this.file), CLIENT_QUOTAS_FILE))
    return this.clientQuotaFile
  }

  clientQuotas(): Promise<ClientQuotasImage> {
    return this.clientQuotaStore.read()
  }

  alterClientQuotas(alterations: readonly ClientQuotaAlteration[]): Promise<bigint> {
    if (this.closed) return Promise.reject(new Error('the metadata store is closed'))
    return this.clientQuotaStore.alter(alterations)
  }

  subscribeClientQuotas(listener: ClientQuotasListener): Unsubscribe {
    return this.clientQuotaStore.subscribe(listener)
  }

  // ----- ACLs, in a file of their own: see file-acls.ts -----

  private aclFile: FileAcls | null = null

  private get aclStore(): FileAcls {
    this.aclFile ??= new FileAcls(join(dirname(this.file), ACLS_FILE))
    return this.aclFile
  }

  acls(): Promise<AclsImage> {
    return this.aclStore.acls()
  }

  alterAcls(create: readonly AclRecord[], deleteIds: readonly string[]): Promise<void> {
    if (this.closed) return Promise.reject(new Error('the metadata store is closed'))
    return this.aclStore.alter(create, deleteIds)
  }

  subscribeAcls(listener: AclsListener): Unsubscribe {
    return this.aclStore.subscribe(listener)
  }
}

function publish<D>(listeners: Iterable<(delta: D) => void>, delta: D): void {
  for (const listener of listeners) {
    try {
      listener(delta)
    } catch (err) {
      // The change is committed whatever a listener does; its bug must surface, not fail the caller.
      queueMicrotask(() => {
        throw err
      })
    }
  }
}

function newPartition(partitionIndex: number, p: NewPartition): PartitionRegistration {
  return {
    partitionIndex,
    replicas: [...p.replicas],
    isr: [...p.isr],
    leader: p.leader,
    leaderEpoch: 0,
    partitionEpoch: 0
  }
}

function requireTopic(s: State, topicId: TopicId): TopicRegistration {
  const topic = s.topics.get(topicId)
  if (!topic) throw new KafkaError(ErrorCode.UNKNOWN_TOPIC_ID, `Topic id ${topicId} does not exist.`)
  return topic
}

// On disk, bigints are decimal strings (JSON has no 64-bit integers) and maps are arrays.
interface StoredState {
  readonly format: number
  readonly clusterId: string
  readonly version: string
  readonly lastBrokerEpoch: string
  readonly brokers: readonly (Omit<BrokerRegistration, 'brokerEpoch' | 'fenced'> & { brokerEpoch: string })[]
  readonly topics: readonly (TopicRegistration & { configs: TopicConfigs })[]
  /** Absent in files written before SCRAM credentials existed. */
  readonly scramCredentials?: readonly StoredScramCredential[]
}

function serialize(clusterId: string, s: State): string {
  const stored: StoredState = {
    format: FORMAT_VERSION,
    clusterId,
    version: s.version.toString(),
    lastBrokerEpoch: s.lastBrokerEpoch.toString(),
    brokers: [...s.brokers.values()].map(({ fenced: _fenced, ...b }) => ({
      ...b,
      brokerEpoch: b.brokerEpoch.toString()
    })),
    topics: [...s.topics.values()].map((t) => ({ ...t, configs: s.topicConfigs.get(t.topicId) ?? {} })),
    scramCredentials: [...s.scramCredentials.values()].map(storedScramCredential)
  }
  return `${JSON.stringify(stored)}\n`
}

async function loadState(file: string, clusterId: string): Promise<State | null> {
  let text: string
  try {
    text = await readFile(file, 'utf8')
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null
    throw err
  }
  let stored: StoredState
  try {
    stored = JSON.parse(text) as StoredState
  } catch (err) {
    throw new Error(`Cluster metadata file ${file} is not valid JSON; refusing to start`, { cause: err })
  }
  if (stored.format !== FORMAT_VERSION) {
    throw new Error(`Cluster metadata file ${file} has unsupported format ${stored.format}`)
  }
  if (stored.clusterId !== clusterId) {
    throw new Error(
      `Cluster metadata in ${file} belongs to cluster ${stored.clusterId}, but meta.properties says ${clusterId}`
    )
  }
  return {
    version: BigInt(stored.version),
    lastBrokerEpoch: BigInt(stored.lastBrokerEpoch),
    // No liveness survives a restart (as an etcd lease would not): every broker must register again.
    brokers: new Map(
      stored.brokers.map((b) => [
        b.nodeId,
        { ...b, listeners: registeredListeners(b), brokerEpoch: BigInt(b.brokerEpoch), fenced: true }
      ])
    ),
    topics: new Map(stored.topics.map(({ configs: _configs, ...t }) => [t.topicId, t as TopicRegistration])),
    topicConfigs: new Map(stored.topics.map((t) => [t.topicId, { ...t.configs }])),
    scramCredentials: new Map(
      (stored.scramCredentials ?? []).map((c) => {
        const credential = loadedScramCredential(c)
        return [scramKey(credential.user, credential.mechanism), credential]
      })
    )
  }
}

// ----- SCRAM credentials (KIP-554) -----

const scramKey = (user: string, mechanism: ScramMechanismName): string => `${mechanism}\u0000${user}`

/** On disk, the byte fields are base64. */
interface StoredScramCredential {
  readonly user: string
  readonly mechanism: ScramMechanismName
  readonly salt: string
  readonly storedKey: string
  readonly serverKey: string
  readonly iterations: number
}

function storedScramCredential({ user, mechanism, credential }: UserScramCredential): StoredScramCredential {
  return {
    user,
    mechanism,
    salt: credential.salt.toString('base64'),
    storedKey: credential.storedKey.toString('base64'),
    serverKey: credential.serverKey.toString('base64'),
    iterations: credential.iterations
  }
}

function loadedScramCredential(c: StoredScramCredential): UserScramCredential {
  const credential: ScramCredentialRecord = {
    salt: Buffer.from(c.salt, 'base64'),
    storedKey: Buffer.from(c.storedKey, 'base64'),
    serverKey: Buffer.from(c.serverKey, 'base64'),
    iterations: c.iterations
  }
  return { user: c.user, mechanism: c.mechanism, credential }
}
