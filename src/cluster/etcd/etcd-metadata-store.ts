import { Etcd3, type IKeyValue, type IOperation, type Lease, type Namespace, type Watcher } from 'etcd3'
import { ErrorCode, KafkaError } from '../../protocol/error-codes.js'
import { randomUuid } from '../kafka-uuid.js'
import type {
  BrokerRegistration,
  BrokerRegistrationRequest,
  MetadataDelta,
  MetadataImage,
  MetadataListener,
  MetadataStore,
  NewPartition,
  NewTopic,
  PartitionChange,
  PartitionRegistration,
  ScramCredentialAlteration,
  ScramCredentialsDelta,
  ScramCredentialsListener,
  TopicConfigs,
  TopicId,
  TopicRegistration,
  Unsubscribe,
  UserScramCredential,
  UserScramCredentialsImage
} from '../metadata-store.js'
import { reassignmentFieldsAfter } from '../partition-reassignment.js'
import { type Compare, ControllerElection } from './controller-election.js'
import {
  brokerKey,
  CLUSTER_ID_KEY,
  CONTROLLER_EPOCH_KEY,
  CONTROLLER_KEY,
  clusterPrefix,
  configsKey,
  decodeJson,
  encodeJson,
  liveKey,
  partitionKey,
  partitionsPrefix,
  type StoredBroker,
  type StoredPartition,
  type StoredTopic,
  topicKey,
  topicNameKey
} from './etcd-keys.js'
import { EtcdMetadataMirror, type KeyEvent } from './etcd-metadata-mirror.js'
import {
  EtcdScramCredentialMirror,
  encodeScramCredential,
  scramCredentialKey
} from './etcd-scram-credentials.js'
import { EtcdSideRecordStores } from './etcd-side-record-stores.js'
import { type EtcdTlsCredentials, etcdClientOptions } from './etcd-tls-credentials.js'

export interface EtcdMetadataStoreOptions {
  /** etcd client URLs, e.g. ['http://127.0.0.1:2379']. */
  readonly endpoints: readonly string[]
  /** TLS to https endpoints (absent: plain http). */
  readonly tls?: EtcdTlsCredentials | null
  /** Names the key prefix /samsa/<clusterName>/, so clusters can share one etcd. */
  readonly clusterName: string
  readonly nodeId: number
  /**
   * The session lease TTL: a broker (and a controller) whose process dies is fenced (deposed) this long
   * after its last keepalive. Kafka's broker.session.timeout.ms is 9 s; etcd grants at least ~2 s.
   */
  readonly leaseTtlSeconds?: number
  /** Whether this broker campaigns for controller (default true). */
  readonly candidate?: boolean
  /** A configured cluster id; must match the one in etcd if one is set there already. */
  readonly clusterId?: string
}

/** How long a committed write waits for its own change to come back on the watch (read-your-writes). */
const WATCH_CATCH_UP_MS = 10_000
/** Conditional writes re-read and retry when an unrelated change moved a compared key. */
const MAX_WRITE_ATTEMPTS = 16
/** The pause before a live broker whose `live` key was deleted registers again (see reRegisterSoon). */
const RE_REGISTER_DELAY_MS = 1000

interface WritePlan<T> {
  readonly compares: readonly Compare[]
  readonly ops: readonly IOperation[]
  readonly result: (revision: bigint) => T
}

/**
 * The MetadataStore of a multi-broker cluster, on etcd (see etcd-keys.ts for the layout). Each change is one
 * etcd transaction whose compares make it conditional (absence for creation, mod revision for
 * compare-and-swap, and the controller guard for controller writes), so etcd's revision is the metadata
 * version. Deltas come from one prefix watch started at the image's revision + 1: no gap, no duplicate.
 * Broker liveness is the session lease: `live/<id>` is bound to it, and its expiry is a broker-fenced delta.
 *
 * Event loop: every method is async network I/O; watch events are applied to the mirror and published
 * synchronously in revision order. A write resolves once its own revision has been published here, so
 * `image()` and the listeners on this broker already include it.
 */
export class EtcdMetadataStore extends EtcdSideRecordStores implements MetadataStore {
  readonly election: ControllerElection
  private readonly listeners = new Set<MetadataListener>()
  private readonly waiters: { version: bigint; resolve: () => void }[] = []
  private lease: Lease | null = null
  private leaseIdValue: string | null = null
  private registration: BrokerRegistrationRequest | null = null
  private watcher: Watcher | null = null
  private renewTimer: NodeJS.Timeout | null = null
  private reRegisterTimer: NodeJS.Timeout | null = null
  protected closed = false
  private scram = new EtcdScramCredentialMirror(0n)
  private readonly scramListeners = new Set<ScramCredentialsListener>()

  private constructor(
    readonly clusterId: string,
    private readonly client: Etcd3,
    kv: Namespace,
    private readonly mirror: EtcdMetadataMirror,
    private readonly options: EtcdMetadataStoreOptions
  ) {
    super(kv)
    this.election = new ControllerElection(kv, options.nodeId, () => this.leaseIdValue)
  }

  static async open(options: EtcdMetadataStoreOptions): Promise<EtcdMetadataStore> {
    const client = new Etcd3(etcdClientOptions(options.endpoints, options.tls))
    try {
      const kv = client.namespace(clusterPrefix(options.clusterName))
      const clusterId = await ensureClusterId(kv, options.clusterId)
      const { revision, events } = await readAll(kv)
      const mirror = EtcdMetadataMirror.fromKeys(clusterId, revision, events)
      const store = new EtcdMetadataStore(clusterId, client, kv, mirror, options)
      store.scram = EtcdScramCredentialMirror.fromKeys(revision, events)
      for (const e of events) if (e.key === CONTROLLER_KEY) store.election.observe('Put', e.kv)
      await store.startWatch(revision)
      await store.startSession()
      return store
    } catch (err) {
      client.close()
      throw err
    }
  }

  /** A fresh, linearizable read of the whole cluster metadata; its version is the etcd revision. */
  async image(): Promise<MetadataImage> {
    const { revision, events } = await readAll(this.kv)
    return EtcdMetadataMirror.fromKeys(this.clusterId, revision, events).image()
  }

  subscribe(listener: MetadataListener): Unsubscribe {
    this.listeners.add(listener)
    return () => {
      this.listeners.delete(listener)
    }
  }

  /** The broker's own registration, bound to its session lease: it lasts as long as this process lives. */
  async registerBroker(request: BrokerRegistrationRequest): Promise<BrokerRegistration> {
    this.registration = request
    const leaseId = this.leaseIdValue
    if (leaseId === null)
      throw new KafkaError(ErrorCode.BROKER_NOT_AVAILABLE, 'The etcd session is not established.')
    const listeners = request.listeners.map((l) => ({ ...l }))
    const stored: StoredBroker = {
      nodeId: request.nodeId,
      host: request.host,
      port: request.port,
      rack: request.rack,
      listeners
    }
    return this.write(false, async () => {
      const live = await this.get(liveKey(request.nodeId))
      if (live && live.lease !== leaseId) {
        throw new KafkaError(
          ErrorCode.DUPLICATE_BROKER_REGISTRATION,
          `Broker ${request.nodeId} is already registered by a live session.`
        )
      }
      return {
        compares: [
          { key: liveKey(request.nodeId), target: 'Mod', cmp: '==', value: live?.mod_revision ?? 0 }
        ],
        ops: [
          this.kv.put(brokerKey(request.nodeId)).value(encodeJson(stored)),
          this.kv.put(liveKey(request.nodeId)).value(String(request.nodeId)).lease(leaseId)
        ],
        result: (revision) => ({ ...stored, listeners, brokerEpoch: revision, fenced: false })
      }
    })
  }

  fenceBroker(nodeId: number): Promise<void> {
    return this.write(true, async () => {
      if (!(await this.get(brokerKey(nodeId)))) {
        throw new KafkaError(ErrorCode.BROKER_NOT_AVAILABLE, `Broker ${nodeId} is not registered.`)
      }
      const live = await this.get(liveKey(nodeId))
      if (!live) return null
      return {
        compares: [{ key: liveKey(nodeId), target: 'Mod', cmp: '==', value: live.mod_revision }],
        ops: [this.kv.delete().key(liveKey(nodeId))],
        result: () => undefined
      }
    })
  }

  createTopic(topic: NewTopic): Promise<TopicRegistration> {
    return this.write(true, async () => {
      if (topic.partitions.length === 0) {
        throw new KafkaError(ErrorCode.INVALID_PARTITIONS, 'A topic needs at least one partition.')
      }
      if (await this.get(topicNameKey(topic.name))) {
        throw new KafkaError(ErrorCode.TOPIC_ALREADY_EXISTS, `Topic '${topic.name}' already exists.`)
      }
      if (await this.get(topicKey(topic.topicId))) {
        throw new KafkaError(ErrorCode.TOPIC_ALREADY_EXISTS, `Topic id ${topic.topicId} is already in use.`)
      }
      const partitions = topic.partitions.map((p, i) => newPartition(i, p))
      const stored: StoredTopic = {
        name: topic.name,
        topicId: topic.topicId,
        partitionCount: partitions.length
      }
      return {
        compares: [
          { key: topicNameKey(topic.name), target: 'Create', cmp: '==', value: 0 },
          { key: topicKey(topic.topicId), target: 'Create', cmp: '==', value: 0 }
        ],
        ops: [
          this.kv.put(topicKey(topic.topicId)).value(encodeJson(stored)),
          this.kv.put(topicNameKey(topic.name)).value(topic.topicId),
          this.kv.put(configsKey(topic.topicId)).value(encodeJson(topic.configs)),
          ...partitions.map((p) =>
            this.kv.put(partitionKey(topic.topicId, p.partitionIndex)).value(storedPartition(p))
          )
        ],
        result: () => ({ name: topic.name, topicId: topic.topicId, partitions })
      }
    })
  }

  deleteTopic(topicId: TopicId): Promise<void> {
    return this.write(true, async () => {
      const { kv, topic } = await this.requireTopic(topicId)
      return {
        compares: [{ key: topicKey(topicId), target: 'Mod', cmp: '==', value: kv.mod_revision }],
        ops: [
          this.kv.delete().key(topicKey(topicId)),
          this.kv.delete().key(topicNameKey(topic.name)),
          this.kv.delete().key(configsKey(topicId)),
          this.kv.delete().prefix(partitionsPrefix(topicId))
        ],
        result: () => undefined
      }
    })
  }

  createPartitions(
    topicId: TopicId,
    expectedPartitionCount: number,
    partitions: readonly NewPartition[]
  ): Promise<readonly PartitionRegistration[]> {
    return this.write(true, async () => {
      const { kv, topic } = await this.requireTopic(topicId)
      if (topic.partitionCount !== expectedPartitionCount) {
        throw new KafkaError(
          ErrorCode.INVALID_PARTITIONS,
          `Topic '${topic.name}' has ${topic.partitionCount} partition(s), not the expected ${expectedPartitionCount}.`
        )
      }
      const added = partitions.map((p, i) => newPartition(expectedPartitionCount + i, p))
      const updated: StoredTopic = { ...topic, partitionCount: expectedPartitionCount + added.length }
      return {
        compares: [{ key: topicKey(topicId), target: 'Mod', cmp: '==', value: kv.mod_revision }],
        ops: [
          this.kv.put(topicKey(topicId)).value(encodeJson(updated)),
          ...added.map((p) => this.kv.put(partitionKey(topicId, p.partitionIndex)).value(storedPartition(p)))
        ],
        result: () => added
      }
    })
  }

  alterPartition(
    topicId: TopicId,
    partitionIndex: number,
    expectedPartitionEpoch: number,
    change: PartitionChange
  ): Promise<PartitionRegistration> {
    return this.write(true, async () => {
      const kv = await this.get(partitionKey(topicId, partitionIndex))
      if (!kv) {
        const { topic } = await this.requireTopic(topicId)
        throw new KafkaError(
          ErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
          `Topic '${topic.name}' has no partition ${partitionIndex}.`
        )
      }
      const current = decodeJson<StoredPartition>(kv.value)
      if (current.partitionEpoch !== expectedPartitionEpoch) {
        throw new KafkaError(
          ErrorCode.INVALID_UPDATE_VERSION,
          `Partition ${topicId}-${partitionIndex} is at partition epoch ${current.partitionEpoch}, not the ` +
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
      return {
        compares: [
          { key: partitionKey(topicId, partitionIndex), target: 'Mod', cmp: '==', value: kv.mod_revision }
        ],
        ops: [this.kv.put(partitionKey(topicId, partitionIndex)).value(storedPartition(next))],
        result: () => next
      }
    })
  }

  alterTopicConfigs(
    topicId: TopicId,
    changes: Readonly<Record<string, string | null>>
  ): Promise<TopicConfigs> {
    return this.write(true, async () => {
      const { kv: topicKv } = await this.requireTopic(topicId)
      const configsKv = await this.get(configsKey(topicId))
      const configs: Record<string, string> = configsKv
        ? { ...decodeJson<TopicConfigs>(configsKv.value) }
        : {}
      for (const [name, value] of Object.entries(changes)) {
        if (value === null) delete configs[name]
        else configs[name] = value
      }
      return {
        compares: [
          { key: topicKey(topicId), target: 'Mod', cmp: '==', value: topicKv.mod_revision },
          { key: configsKey(topicId), target: 'Mod', cmp: '==', value: configsKv?.mod_revision ?? 0 }
        ],
        ops: [this.kv.put(configsKey(topicId)).value(encodeJson(configs))],
        result: () => configs
      }
    })
  }

  // ----- SCRAM credentials (KIP-554) -----

  /** The credentials as this store's watch has seen them: the caller's own writes are already included. */
  async userScramCredentials(): Promise<UserScramCredentialsImage> {
    return this.scram.image()
  }

  subscribeUserScramCredentials(listener: ScramCredentialsListener): Unsubscribe {
    this.scramListeners.add(listener)
    return () => {
      this.scramListeners.delete(listener)
    }
  }

  alterUserScramCredentials(changes: readonly ScramCredentialAlteration[]): Promise<void> {
    return this.write(true, async () => {
      if (changes.length === 0) return null
      return {
        compares: [],
        ops: changes.map((c) =>
          c.credential === null
            ? this.kv.delete().key(scramCredentialKey(c.user, c.mechanism))
            : this.kv
                .put(scramCredentialKey(c.user, c.mechanism))
                .value(encodeScramCredential(c as UserScramCredential))
        ),
        result: () => undefined
      }
    })
  }

  /** A write without the controller guard, conditional on each credential being absent. */
  async bootstrapUserScramCredentials(
    credentials: readonly UserScramCredential[]
  ): Promise<readonly UserScramCredential[]> {
    let existing: UserScramCredential[] = []
    await this.write(false, async () => {
      existing = []
      for (const c of credentials) {
        if (await this.get(scramCredentialKey(c.user, c.mechanism))) existing.push(c)
      }
      const added = credentials.filter((c) => !existing.includes(c))
      if (added.length === 0) return null
      return {
        compares: added.map((c) => ({
          key: scramCredentialKey(c.user, c.mechanism),
          target: 'Create' as const,
          cmp: '==' as const,
          value: 0
        })),
        ops: added.map((c) =>
          this.kv.put(scramCredentialKey(c.user, c.mechanism)).value(encodeScramCredential(c))
        ),
        result: () => undefined
      }
    })
    return existing
  }

  private publishScram(delta: ScramCredentialsDelta): void {
    for (const listener of this.scramListeners) {
      try {
        listener(delta)
      } catch (err) {
        queueMicrotask(() => {
          throw err
        })
      }
    }
  }

  /**
   * Resigns the controllership and revokes the session lease, so this broker is fenced and another can take
   * over at once instead of after the lease TTL.
   */
  async close(): Promise<void> {
    if (this.closed) return
    this.closed = true
    if (this.renewTimer) clearTimeout(this.renewTimer)
    if (this.reRegisterTimer) clearTimeout(this.reRegisterTimer)
    this.listeners.clear()
    this.scramListeners.clear()
    try {
      await this.election.resign()
      await this.watcher?.cancel()
      await this.lease?.revoke()
    } catch {
      // etcd may be gone already; the lease then expires by itself.
    } finally {
      await this.closeSideStores()
      for (const w of this.waiters.splice(0)) w.resolve()
      this.client.close()
    }
  }

  /**
   * Runs a conditional write: `plan` reads and validates (throwing KafkaErrors for Kafka-level failures,
   * or returning null for a no-op), then its compares (plus the controller guard for controller writes)
   * decide in etcd. A compare that moved under us re-runs the plan; a failed guard is NOT_CONTROLLER.
   */
  private async write<T>(controllerWrite: boolean, plan: () => Promise<WritePlan<T> | null>): Promise<T> {
    for (let attempt = 0; attempt < MAX_WRITE_ATTEMPTS; attempt++) {
      if (this.closed) throw new Error('the metadata store is closed')
      const guard = controllerWrite ? this.election.guard() : []
      const planned = await plan()
      if (planned === null) return undefined as T
      const compares = [...guard, ...planned.compares]
      const [first, ...rest] = compares
      if (!first) throw new Error('a conditional write needs at least one compare')
      let txn = this.kv.if(first.key, first.target, first.cmp, first.value)
      for (const c of rest) txn = txn.and(c.key, c.target, c.cmp, c.value)
      const reply = await txn
        .then(...planned.ops)
        .else(this.kv.get(CONTROLLER_EPOCH_KEY), this.kv.get(CONTROLLER_KEY))
        .commit()
      if (reply.succeeded) {
        const revision = BigInt(reply.header.revision)
        await this.caughtUp(revision)
        return planned.result(revision)
      }
      if (
        guard.length > 0 &&
        !guardHolds(
          guard,
          reply.responses.map((r) => r.response_range?.kvs[0])
        )
      ) {
        this.election.sessionLost()
        throw new KafkaError(
          ErrorCode.NOT_CONTROLLER,
          `Broker ${this.options.nodeId} is no longer the active controller: a newer controller epoch exists.`
        )
      }
    }
    throw new KafkaError(ErrorCode.REQUEST_TIMED_OUT, 'The metadata kept changing under a conditional write.')
  }

  private async get(key: string): Promise<IKeyValue | undefined> {
    return (await this.kv.get(key).exec()).kvs[0]
  }

  private async requireTopic(topicId: TopicId): Promise<{ kv: IKeyValue; topic: StoredTopic }> {
    const kv = await this.get(topicKey(topicId))
    if (!kv) throw new KafkaError(ErrorCode.UNKNOWN_TOPIC_ID, `Topic id ${topicId} does not exist.`)
    return { kv, topic: decodeJson<StoredTopic>(kv.value) }
  }

  private caughtUp(version: bigint): Promise<void> {
    if (this.mirror.version >= version || this.closed) return Promise.resolve()
    return new Promise((resolve) => {
      // The write is committed either way; a stalled watch only delays local read-your-writes.
      const timer = setTimeout(resolve, WATCH_CATCH_UP_MS)
      this.waiters.push({
        version,
        resolve: () => {
          clearTimeout(timer)
          resolve()
        }
      })
    })
  }

  private async startWatch(revision: bigint): Promise<void> {
    const watcher = await this.kv
      .watch()
      .prefix('')
      .startRevision(String(revision + 1n))
      .create()
    this.watcher = watcher
    watcher.on('data', (response) => {
      const events = response.events ?? []
      // One Samsa write is one etcd transaction, so the events of one revision are one delta.
      let start = 0
      while (start < events.length) {
        const rev = events[start]!.kv.mod_revision
        let end = start
        while (end < events.length && events[end]!.kv.mod_revision === rev) end++
        this.applyRevision(
          BigInt(rev),
          events
            .slice(start, end)
            .map((e) => ({ type: e.type as 'Put' | 'Delete', key: e.kv.key.toString(), kv: e.kv }))
        )
        start = end
      }
    })
    // The watcher reconnects by itself from its last revision; errors only need to stay non-fatal.
    watcher.on('error', () => undefined)
  }

  private applyRevision(version: bigint, events: readonly KeyEvent[]): void {
    const controllerEvent = events.find((e) => e.key === CONTROLLER_KEY)
    const delta = this.mirror.applyRevision(version, events)
    if (delta) this.publish(delta)
    const scramDelta = this.scram.applyRevision(version, events)
    if (scramDelta) this.publishScram(scramDelta)
    const ownLive = liveKey(this.options.nodeId)
    if (events.some((e) => e.type === 'Delete' && e.key === ownLive)) this.reRegisterSoon()
    if (controllerEvent) {
      this.election.observe(controllerEvent.type, controllerEvent.kv)
      if (controllerEvent.type === 'Delete') this.campaignSoon()
    }
    for (let i = this.waiters.length - 1; i >= 0; i--) {
      const waiter = this.waiters[i]!
      if (waiter.version <= version) {
        this.waiters.splice(i, 1)
        waiter.resolve()
      }
    }
  }

  private publish(delta: MetadataDelta): void {
    for (const listener of this.listeners) {
      try {
        listener(delta)
      } catch (err) {
        // The change is committed whatever a listener does; its bug must surface, not stop the stream.
        queueMicrotask(() => {
          throw err
        })
      }
    }
  }

  /** Grants the session lease, re-registers the broker if it was registered, and campaigns. */
  private async startSession(): Promise<void> {
    const ttl = this.options.leaseTtlSeconds ?? 9
    const lease = this.client.lease(ttl)
    const leaseId = await lease.grant()
    this.lease = lease
    this.leaseIdValue = leaseId
    lease.on('lost', () => this.sessionLost(lease))
    if (this.registration) await this.registerBroker(this.registration)
    this.campaignSoon()
  }

  private sessionLost(lease: Lease): void {
    if (this.lease !== lease || this.closed) return
    this.lease = null
    this.leaseIdValue = null
    this.election.sessionLost()
    const retry = (): void => {
      this.renewTimer = null
      if (this.closed) return
      this.startSession().catch(() => {
        this.renewTimer = setTimeout(retry, 1000)
      })
    }
    retry()
  }

  /**
   * This broker's `live` key was deleted while its session lease lives: a controller fenced it on a stale
   * view (it decided while the lease had expired, e.g. after an etcd outage, and deleted the key this broker
   * had just re-created). Nothing else would ever bring it back, so the broker registers again, as a fenced
   * Kafka broker is unfenced by its next heartbeat. The pause lets the controller's reaction to the deletion
   * finish first, so the two do not chase each other.
   */
  private reRegisterSoon(): void {
    if (this.closed || this.reRegisterTimer !== null) return
    this.reRegisterTimer = setTimeout(() => {
      this.reRegisterTimer = null
      const registration = this.registration
      // Without a session, startSession registers once it has a new lease.
      if (this.closed || registration === null || this.leaseIdValue === null) return
      if (this.mirror.image().brokers.get(this.options.nodeId)?.fenced === false) return
      this.registerBroker(registration).catch(() => this.reRegisterSoon())
    }, RE_REGISTER_DELAY_MS)
  }

  private campaignSoon(): void {
    if (this.closed || this.options.candidate === false) return
    this.election.campaign().catch(() => {
      // etcd unreachable: the next controller-key change or session renewal campaigns again.
    })
  }
}

async function readAll(kv: Namespace): Promise<{ revision: bigint; events: KeyEvent[] }> {
  const response = await kv.getAll().exec()
  return {
    revision: BigInt(response.header.revision),
    events: response.kvs.map((kv) => ({ type: 'Put', key: kv.key.toString(), kv }))
  }
}

/** The first store to open sets the cluster id; later ones (and restarts) read it. */
async function ensureClusterId(kv: Namespace, configured: string | undefined): Promise<string> {
  const proposed = configured ?? randomUuid()
  await kv.if(CLUSTER_ID_KEY, 'Create', '==', 0).then(kv.put(CLUSTER_ID_KEY).value(proposed)).commit()
  const stored = await kv.get(CLUSTER_ID_KEY).string()
  if (stored === null) throw new Error('the cluster id vanished from etcd')
  if (configured !== undefined && stored !== configured) {
    throw new Error(`etcd holds cluster id ${stored}, but ${configured} was configured`)
  }
  return stored
}

function guardHolds(guard: readonly Compare[], current: readonly (IKeyValue | undefined)[]): boolean {
  const [epoch, controller] = current
  const expectedEpoch = guard.find((c) => c.key === CONTROLLER_EPOCH_KEY)?.value
  const expectedCreate = guard.find((c) => c.key === CONTROLLER_KEY)?.value
  return (
    epoch?.value.toString() === String(expectedEpoch) &&
    controller?.create_revision === String(expectedCreate)
  )
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

function storedPartition(p: PartitionRegistration): string {
  const { partitionIndex: _index, ...stored } = p
  return encodeJson(stored)
}
