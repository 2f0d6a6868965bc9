import { ErrorCode, KafkaError } from '../protocol/error-codes.js'
import { randomUuid, ZERO_UUID } from './kafka-uuid.js'
import { electLeader, NO_LEADER } from './leader-election.js'
import type {
  BrokerRegistration,
  BrokerRegistrationRequest,
  MetadataImage,
  MetadataStore,
  NewPartition,
  PartitionRegistration,
  TopicConfigs,
  TopicId,
  TopicRegistration
} from './metadata-store.js'
import {
  addingReplicas,
  isReassignmentComplete,
  mergedReplicas,
  ongoingReassignment,
  type PartitionReassignment,
  removingReplicas
} from './partition-reassignment.js'
import { assignReplicasToBrokers, PlacementError } from './replica-placement.js'
import { topicConfigsError } from './topic-config-keys.js'
import { hasCollisionChars, topicNameError, unifyCollisionChars } from './topic-name.js'

/**
 * The controller, single-broker flavour: validates and applies topic and partition changes with Kafka's
 * rules and error codes (ReplicationControlManager), and writes them through the MetadataStore. Its inputs
 * and results have the shapes of the CreateTopics / DeleteTopics / CreatePartitions messages so handlers can
 * pass them through.
 *
 * Event loop: operations run one at a time through a queue (Kafka's controller is one event thread too), so
 * each one validates against the image it then writes to. Store conditions still guard every write.
 */

export interface ControllerConfig {
  /** num.partitions: used when a request asks for -1. */
  readonly defaultNumPartitions: number
  /** default.replication.factor: used when a request asks for -1. */
  readonly defaultReplicationFactor: number
  /** delete.topic.enable (default true). */
  readonly deleteTopicEnable?: boolean
  /** unclean.leader.election.enable default for topics without an override (default false). */
  readonly uncleanLeaderElectionEnable?: boolean
  /** create.topic.policy: returns a reason to reject the topic (POLICY_VIOLATION) or null. */
  readonly createTopicPolicy?: (request: CreateTopicPolicyRequest) => string | null
  /** Randomness for replica placement; injected by tests. */
  readonly randomInt?: (bound: number) => number
}

export interface CreateTopicPolicyRequest {
  readonly name: string
  /** null when the request gave a manual assignment. */
  readonly numPartitions: number | null
  readonly replicationFactor: number | null
  readonly assignments: ReadonlyMap<number, readonly number[]> | null
  readonly configs: TopicConfigs
}

export interface CreatableTopic {
  readonly name: string
  readonly numPartitions: number
  readonly replicationFactor: number
  readonly assignments: readonly { readonly partitionIndex: number; readonly brokerIds: readonly number[] }[]
  readonly configs: readonly { readonly name: string; readonly value: string | null }[]
}

export interface CreatableTopicResult {
  readonly name: string
  readonly topicId: TopicId
  readonly errorCode: number
  readonly errorMessage: string | null
  readonly numPartitions: number
  readonly replicationFactor: number
  /** The topic's overrides (what was set explicitly). */
  readonly configs: TopicConfigs
}

export interface DeletableTopic {
  readonly name?: string | null
  readonly topicId?: TopicId
}

export interface DeletableTopicResult {
  readonly name: string | null
  readonly topicId: TopicId
  readonly errorCode: number
  readonly errorMessage: string | null
}

export interface CreatePartitionsTopic {
  readonly name: string
  readonly count: number
  readonly assignments: readonly { readonly brokerIds: readonly number[] }[] | null
}

export interface CreatePartitionsTopicResult {
  readonly name: string
  readonly errorCode: number
  readonly errorMessage: string | null
}

/** A leader's AlterPartition for one partition. */
export interface AlterIsrRequest {
  readonly brokerId: number
  readonly topicId: TopicId
  readonly partitionIndex: number
  readonly leaderEpoch: number
  readonly partitionEpoch: number
  readonly newIsr: readonly number[]
}

export interface ValidateOnly {
  readonly validateOnly?: boolean
}

/** ElectLeaders' election types (Kafka's ElectionType). */
export const ElectionType = { PREFERRED: 0, UNCLEAN: 1 } as const

/** One partition's outcome of an ElectLeaders request. */
export interface ElectionOutcome {
  readonly topic: string
  readonly partitionIndex: number
  readonly errorCode: number
  readonly errorMessage: string | null
}

/** A partition's requested reassignment: target replicas, or null to cancel an ongoing one. */
export interface ReassignmentRequest {
  readonly topic: string
  readonly partitionIndex: number
  readonly replicas: readonly number[] | null
}

export interface OngoingReassignment {
  readonly topic: string
  readonly partitionIndex: number
  readonly replicas: readonly number[]
  readonly addingReplicas: readonly number[]
  readonly removingReplicas: readonly number[]
}

export class Controller {
  private queue: Promise<unknown> = Promise.resolve()
  /**
   * Brokers in controlled shutdown: still registered, but they may neither lead nor rejoin an ISR until they
   * register again (Kafka's BrokerHeartbeatManager "controlled shutdown" state). Held in memory: a new
   * controller starts without it, and the broker's own retry asks it again.
   */
  private readonly shuttingDown = new Set<number>()

  constructor(
    private readonly store: MetadataStore,
    private readonly config: ControllerConfig
  ) {}

  /** Registers (unfences) a broker and gives leaderless partitions it replicates a leader again. */
  registerBroker(request: BrokerRegistrationRequest): Promise<BrokerRegistration> {
    return this.exclusive(async () => {
      const broker = await this.store.registerBroker(request)
      await this.reelect(
        await this.store.image(),
        (p) => p.leader === NO_LEADER && p.replicas.includes(broker.nodeId)
      )
      return broker
    })
  }

  /**
   * A broker registered by itself (multi-broker clusters, where each broker writes its own registration):
   * leaderless partitions it replicates get a leader again.
   */
  brokerUnfenced(nodeId: number): Promise<void> {
    return this.exclusive(async () => {
      this.shuttingDown.delete(nodeId)
      await this.reelect(
        await this.store.image(),
        (p) => p.leader === NO_LEADER && p.replicas.includes(nodeId)
      )
    })
  }

  /**
   * A partition leader's ISR change (AlterPartition, Kafka's ReplicationControlManager rules): only the
   * current leader at the current leader epoch may ask (FENCED_LEADER_EPOCH / NOT_LEADER_OR_FOLLOWER), at the
   * current partition epoch (INVALID_UPDATE_VERSION); the new ISR keeps the leader, lists only assigned
   * replicas (INVALID_REQUEST) and adds only live ones (INELIGIBLE_REPLICA).
   */
  alterPartitionIsr(request: AlterIsrRequest): Promise<PartitionRegistration> {
    return this.exclusive(async () => {
      const image = await this.store.image()
      const topic = image.topics.get(request.topicId)
      if (!topic)
        throw new KafkaError(ErrorCode.UNKNOWN_TOPIC_ID, `Topic id ${request.topicId} does not exist.`)
      const p = topic.partitions[request.partitionIndex]
      if (!p) {
        throw new KafkaError(
          ErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
          `${topic.name}-${request.partitionIndex} does not exist.`
        )
      }
      if (request.leaderEpoch < p.leaderEpoch) {
        throw new KafkaError(ErrorCode.FENCED_LEADER_EPOCH, `leader epoch ${request.leaderEpoch} is fenced`)
      }
      if (p.leader !== request.brokerId || request.leaderEpoch !== p.leaderEpoch) {
        throw new KafkaError(
          ErrorCode.NOT_LEADER_OR_FOLLOWER,
          `broker ${request.brokerId} does not lead ${topic.name}-${request.partitionIndex}`
        )
      }
      if (request.partitionEpoch !== p.partitionEpoch) {
        throw new KafkaError(
          ErrorCode.INVALID_UPDATE_VERSION,
          `partition epoch ${request.partitionEpoch} is not the current ${p.partitionEpoch}`
        )
      }
      const newIsr = [...new Set(request.newIsr)]
      if (!newIsr.includes(p.leader) || newIsr.some((id) => !p.replicas.includes(id))) {
        throw new KafkaError(
          ErrorCode.INVALID_REQUEST,
          `ISR [${newIsr}] must hold the leader and only replicas`
        )
      }
      for (const id of newIsr) {
        if (!p.isr.includes(id) && (image.brokers.get(id)?.fenced !== false || this.shuttingDown.has(id))) {
          throw new KafkaError(ErrorCode.INELIGIBLE_REPLICA, `broker ${id} is not live`)
        }
      }
      const altered = await this.store.alterPartition(
        request.topicId,
        request.partitionIndex,
        p.partitionEpoch,
        {
          isr: newIsr
        }
      )
      // The ISR change is committed whatever happens next: a failed completion must not turn it into an
      // error for the leader, and is tried again on the partition's next ISR change.
      const completed = await this.maybeCompleteReassignment(image, request.topicId, altered).catch(
        () => undefined
      )
      return completed ?? altered
    })
  }

  /**
   * AlterPartitionReassignments (Kafka's ReplicationControlManager.alterPartitionReassignments): starts,
   * replaces or (with null replicas) cancels the reassignment of each partition. Adding replicas join as
   * followers; the reassignment completes when they are all in the ISR.
   */
  alterPartitionReassignments(
    requests: readonly ReassignmentRequest[]
  ): Promise<{ topic: string; partitionIndex: number; errorCode: number; errorMessage: string | null }[]> {
    return this.exclusive(async () => {
      const results = []
      for (const request of requests) {
        try {
          await this.reassign(request)
          results.push({
            topic: request.topic,
            partitionIndex: request.partitionIndex,
            errorCode: 0,
            errorMessage: null
          })
        } catch (err) {
          if (!(err instanceof KafkaError)) throw err
          results.push({
            topic: request.topic,
            partitionIndex: request.partitionIndex,
            errorCode: err.code,
            errorMessage: err.message
          })
        }
      }
      return results
    })
  }

  /** Ongoing reassignments, of the named partitions or (null) of all. */
  listPartitionReassignments(
    partitions: readonly { topic: string; partitionIndexes: readonly number[] }[] | null
  ): Promise<OngoingReassignment[]> {
    return this.exclusive(async () => {
      const image = await this.store.image()
      const ongoing: OngoingReassignment[] = []
      for (const topic of image.topics.values()) {
        const wanted = partitions === null ? null : partitions.find((t) => t.topic === topic.name)
        if (partitions !== null && !wanted) continue
        for (const p of topic.partitions) {
          if (wanted && !wanted.partitionIndexes.includes(p.partitionIndex)) continue
          const r = ongoingReassignment(p)
          if (!r) continue
          ongoing.push({
            topic: topic.name,
            partitionIndex: p.partitionIndex,
            replicas: [...p.replicas],
            addingReplicas: addingReplicas(r),
            removingReplicas: removingReplicas(r)
          })
        }
      }
      return ongoing
    })
  }

  private async reassign(request: ReassignmentRequest): Promise<void> {
    const image = await this.store.image()
    const topic = findTopic(image, request.topic)
    const p = topic?.partitions[request.partitionIndex]
    if (!topic || !p) {
      throw new KafkaError(
        ErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
        `No such topic partition ${request.topic}-${request.partitionIndex}`
      )
    }
    const ongoing = ongoingReassignment(p)
    if (request.replicas === null) {
      if (!ongoing) {
        throw new KafkaError(
          ErrorCode.NO_REASSIGNMENT_IN_PROGRESS,
          `No reassignment of ${request.topic}-${p.partitionIndex} is in progress.`
        )
      }
      // Cancelling returns to the original replicas; replicas that were being added leave again.
      await this.shrinkTo(image, topic.topicId, p, ongoing.original)
      return
    }
    const target = request.replicas
    if (target.length === 0 || new Set(target).size !== target.length) {
      throw new KafkaError(
        ErrorCode.INVALID_REPLICA_ASSIGNMENT,
        'The replica list must be non-empty and without duplicates.'
      )
    }
    for (const id of target) {
      if (!image.brokers.has(id)) {
        throw new KafkaError(ErrorCode.INVALID_REPLICA_ASSIGNMENT, `Broker ${id} is not registered.`)
      }
    }
    const reassignment: PartitionReassignment = {
      original: ongoing?.original ?? p.replicas,
      target: [...target]
    }
    const adding = addingReplicas(reassignment)
    const removing = removingReplicas(reassignment)
    if (adding.length === 0 && removing.length === 0) {
      // The target holds the same brokers as before (perhaps reordered): nothing to catch up, only to apply.
      if (ongoing || !sameList(target, p.replicas)) await this.shrinkTo(image, topic.topicId, p, target)
      return
    }
    const replicas = mergedReplicas(reassignment)
    // The merged replicas with the adding and removing sets, in one registration change: the reassignment
    // is durable from here on, and any later controller finishes it.
    const unchanged =
      sameList(replicas, p.replicas) &&
      sameList(adding, p.addingReplicas ?? []) &&
      sameList(removing, p.removingReplicas ?? [])
    const updated = unchanged
      ? p
      : await this.store.alterPartition(topic.topicId, p.partitionIndex, p.partitionEpoch, {
          replicas,
          isr: p.isr.filter((id) => replicas.includes(id)),
          addingReplicas: adding,
          removingReplicas: removing
        })
    await this.maybeCompleteReassignment(image, topic.topicId, updated)
  }

  /**
   * Completes the reassignments whose target replicas are all in the ISR already: a newly elected controller
   * calls this, since its predecessor may have committed the last ISR expansion and died before finishing.
   * Other reassignments complete on their leader's next ISR expansion.
   */
  resumeReassignments(): Promise<void> {
    return this.exclusive(async () => {
      const image = await this.store.image()
      for (const topic of image.topics.values()) {
        for (const p of topic.partitions) await this.maybeCompleteReassignment(image, topic.topicId, p)
      }
    })
  }

  /** Finishes the partition's reassignment once every target replica is in the ISR. */
  private async maybeCompleteReassignment(
    image: MetadataImage,
    topicId: TopicId,
    p: PartitionRegistration
  ): Promise<PartitionRegistration | undefined> {
    const reassignment = ongoingReassignment(p)
    if (!reassignment || !isReassignmentComplete(reassignment, p.isr)) return undefined
    return this.shrinkTo(image, topicId, p, reassignment.target)
  }

  /**
   * Makes `replicas` the partition's replicas and ends any reassignment, electing a new leader among them
   * when the old one left.
   */
  private async shrinkTo(
    image: MetadataImage,
    topicId: TopicId,
    p: PartitionRegistration,
    replicas: readonly number[]
  ): Promise<PartitionRegistration> {
    const remainingIsr = p.isr.filter((id) => replicas.includes(id))
    const isLive = (id: number): boolean =>
      image.brokers.get(id)?.fenced === false && !this.shuttingDown.has(id)
    const isr = remainingIsr.length > 0 ? remainingIsr : [...replicas]
    const elected = electLeader(
      { replicas, isr, leader: replicas.includes(p.leader) ? p.leader : NO_LEADER },
      { isAcceptableLeader: isLive }
    )
    return this.store.alterPartition(topicId, p.partitionIndex, p.partitionEpoch, {
      replicas: [...replicas],
      isr: elected.isr,
      leader: elected.leader,
      addingReplicas: [],
      removingReplicas: []
    })
  }

  /** Fences a broker: it leaves every ISR it can leave, and partitions it led elect another leader. */
  fenceBroker(nodeId: number): Promise<void> {
    return this.exclusive(async () => {
      await this.store.fenceBroker(nodeId)
      await this.reelect(await this.store.image(), (p) => p.isr.includes(nodeId) || p.leader === nodeId)
    })
  }

  /**
   * Controlled shutdown of a live broker (Kafka's handleBrokerShutdown): it leaves every ISR it can leave and
   * hands the leadership of its partitions to another ISR member (a new leader epoch), and from now on it
   * may neither lead nor rejoin an ISR. Returns the partitions it still leads (none once all moved).
   */
  controlledShutdown(nodeId: number): Promise<{ topicName: string; partitionIndex: number }[]> {
    return this.exclusive(async () => {
      const before = await this.store.image()
      if (before.brokers.get(nodeId)?.fenced !== false) return []
      this.shuttingDown.add(nodeId)
      await this.reelect(before, (p) => p.isr.includes(nodeId) || p.leader === nodeId)
      const remaining: { topicName: string; partitionIndex: number }[] = []
      for (const topic of (await this.store.image()).topics.values()) {
        for (const p of topic.partitions) {
          if (p.leader === nodeId) remaining.push({ topicName: topic.name, partitionIndex: p.partitionIndex })
        }
      }
      return remaining
    })
  }

  /**
   * ElectLeaders (Kafka's ReplicationControlManager.electLeaders): PREFERRED moves leadership to replicas[0]
   * when it is a live ISR member; UNCLEAN gives a leaderless partition any live replica. `partitions` null
   * means every partition, and then partitions that need no election are left out of the result.
   */
  electLeaders(
    electionType: number,
    partitions: readonly { topic: string; partitions: readonly number[] }[] | null
  ): Promise<ElectionOutcome[]> {
    return this.exclusive(async () => {
      const image = await this.store.image()
      const all = partitions === null
      const targets: { topic: string; partitionIndex: number }[] = []
      if (all) {
        for (const t of image.topics.values())
          for (const p of t.partitions) targets.push({ topic: t.name, partitionIndex: p.partitionIndex })
      } else {
        for (const t of partitions)
          for (const i of t.partitions) targets.push({ topic: t.topic, partitionIndex: i })
      }
      const outcomes: ElectionOutcome[] = []
      for (const target of targets) {
        const outcome = await this.electLeaderFor(image, electionType, target.topic, target.partitionIndex)
        if (all && outcome.errorCode === ErrorCode.ELECTION_NOT_NEEDED) continue
        outcomes.push(outcome)
      }
      return outcomes
    })
  }

  /**
   * Automatic leader rebalancing (auto.leader.rebalance.enable): for each broker whose share of partitions
   * led by someone other than their preferred leader exceeds `imbalancePercentage`, elects the preferred
   * leaders of those partitions where it can. Returns how many partitions changed leader.
   */
  rebalanceLeaders(imbalancePercentage: number): Promise<number> {
    return this.exclusive(async () => {
      const image = await this.store.image()
      const preferredCount = new Map<number, number>()
      const notLed = new Map<number, { topic: string; partitionIndex: number }[]>()
      for (const t of image.topics.values()) {
        for (const p of t.partitions) {
          const preferred = p.replicas[0]
          if (preferred === undefined) continue
          preferredCount.set(preferred, (preferredCount.get(preferred) ?? 0) + 1)
          if (p.leader !== preferred) {
            const list = notLed.get(preferred) ?? []
            list.push({ topic: t.name, partitionIndex: p.partitionIndex })
            notLed.set(preferred, list)
          }
        }
      }
      let moved = 0
      for (const [broker, list] of notLed) {
        const ratio = (list.length * 100) / (preferredCount.get(broker) ?? 1)
        if (ratio <= imbalancePercentage) continue
        for (const target of list) {
          const current = await this.store.image()
          const outcome = await this.electLeaderFor(
            current,
            ElectionType.PREFERRED,
            target.topic,
            target.partitionIndex
          )
          if (outcome.errorCode === ErrorCode.NONE) moved++
        }
      }
      return moved
    })
  }

  private async electLeaderFor(
    image: MetadataImage,
    electionType: number,
    topicName: string,
    partitionIndex: number
  ): Promise<ElectionOutcome> {
    const result = (errorCode: number, errorMessage: string | null): ElectionOutcome => ({
      topic: topicName,
      partitionIndex,
      errorCode,
      errorMessage
    })
    const topic = findTopic(image, topicName)
    const p = topic?.partitions[partitionIndex]
    if (!topic || !p) {
      return result(
        ErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
        `No such topic partition ${topicName}-${partitionIndex}`
      )
    }
    if (electionType !== ElectionType.PREFERRED && electionType !== ElectionType.UNCLEAN) {
      return result(ErrorCode.INVALID_REQUEST, `Unknown election type ${electionType}`)
    }
    const preferred = electionType === ElectionType.PREFERRED
    if (preferred && p.leader === p.replicas[0]) {
      return result(ErrorCode.ELECTION_NOT_NEEDED, 'The preferred replica is already the leader.')
    }
    if (!preferred && p.leader !== NO_LEADER) {
      return result(ErrorCode.ELECTION_NOT_NEEDED, 'The partition already has a leader.')
    }
    const isLive = (id: number): boolean =>
      image.brokers.get(id)?.fenced === false && !this.shuttingDown.has(id)
    const elected = electLeader(
      { replicas: p.replicas, isr: p.isr, leader: p.leader },
      { isAcceptableLeader: isLive, preferred, unclean: !preferred }
    )
    if (preferred && elected.leader !== p.replicas[0]) {
      return result(
        ErrorCode.PREFERRED_LEADER_NOT_AVAILABLE,
        `The preferred replica ${p.replicas[0]} is not a live member of the ISR.`
      )
    }
    if (!preferred && elected.leader === NO_LEADER) {
      return result(ErrorCode.ELIGIBLE_LEADERS_NOT_AVAILABLE, 'No live replica can lead the partition.')
    }
    await this.store.alterPartition(topic.topicId, partitionIndex, p.partitionEpoch, {
      leader: elected.leader,
      isr: elected.isr
    })
    return result(ErrorCode.NONE, null)
  }

  createTopics(
    topics: readonly CreatableTopic[],
    options: ValidateOnly = {}
  ): Promise<CreatableTopicResult[]> {
    return this.exclusive(async () => {
      const counts = new Map<string, number>()
      for (const t of topics) counts.set(t.name, (counts.get(t.name) ?? 0) + 1)
      const results: CreatableTopicResult[] = []
      const seen = new Set<string>()
      for (const topic of topics) {
        if (seen.has(topic.name)) continue
        seen.add(topic.name)
        if ((counts.get(topic.name) ?? 0) > 1) {
          results.push(
            failedTopic(topic.name, ErrorCode.INVALID_REQUEST, 'Found multiple entries for this topic.')
          )
          continue
        }
        try {
          results.push(await this.createTopic(topic, options.validateOnly ?? false))
        } catch (err) {
          if (!(err instanceof KafkaError)) throw err
          results.push(failedTopic(topic.name, err.code, err.message))
        }
      }
      return results
    })
  }

  deleteTopics(topics: readonly DeletableTopic[]): Promise<DeletableTopicResult[]> {
    return this.exclusive(async () => {
      const results: DeletableTopicResult[] = []
      for (const request of topics) {
        const byId = request.topicId !== undefined && request.topicId !== ZERO_UUID
        const image = await this.store.image()
        const topic = byId ? image.topics.get(request.topicId!) : findTopic(image, request.name ?? '')
        const name = topic?.name ?? request.name ?? null
        const topicId = topic?.topicId ?? request.topicId ?? ZERO_UUID
        const fail = (code: number, message: string): void => {
          results.push({ name, topicId, errorCode: code, errorMessage: message })
        }
        if (byId && request.name) {
          fail(ErrorCode.INVALID_REQUEST, 'A topic may be named by name or by id, not both.')
        } else if (!topic) {
          if (byId) fail(ErrorCode.UNKNOWN_TOPIC_ID, `Topic id ${request.topicId} does not exist.`)
          else fail(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `Topic '${request.name ?? ''}' does not exist.`)
        } else if (this.config.deleteTopicEnable === false) {
          fail(ErrorCode.TOPIC_DELETION_DISABLED, 'Topic deletion is disabled (delete.topic.enable=false).')
        } else {
          try {
            await this.store.deleteTopic(topic.topicId)
            results.push({ name, topicId, errorCode: ErrorCode.NONE, errorMessage: null })
          } catch (err) {
            if (!(err instanceof KafkaError)) throw err
            fail(err.code, err.message)
          }
        }
      }
      return results
    })
  }

  createPartitions(
    topics: readonly CreatePartitionsTopic[],
    options: ValidateOnly = {}
  ): Promise<CreatePartitionsTopicResult[]> {
    return this.exclusive(async () => {
      const counts = new Map<string, number>()
      for (const t of topics) counts.set(t.name, (counts.get(t.name) ?? 0) + 1)
      const results: CreatePartitionsTopicResult[] = []
      const seen = new Set<string>()
      for (const topic of topics) {
        if (seen.has(topic.name)) continue
        seen.add(topic.name)
        if ((counts.get(topic.name) ?? 0) > 1) {
          results.push({
            name: topic.name,
            errorCode: ErrorCode.INVALID_REQUEST,
            errorMessage: 'Duplicate topic in request.'
          })
          continue
        }
        try {
          await this.createPartitionsFor(topic, options.validateOnly ?? false)
          results.push({ name: topic.name, errorCode: ErrorCode.NONE, errorMessage: null })
        } catch (err) {
          if (!(err instanceof KafkaError)) throw err
          results.push({ name: topic.name, errorCode: err.code, errorMessage: err.message })
        }
      }
      return results
    })
  }

  /** Sets (string) or removes (null) topic config overrides after validating them. */
  alterTopicConfigs(
    name: string,
    changes: Readonly<Record<string, string | null>>,
    options: ValidateOnly = {}
  ): Promise<TopicConfigs> {
    return this.exclusive(async () => {
      const image = await this.store.image()
      const topic = findTopic(image, name)
      if (!topic)
        throw new KafkaError(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `Topic '${name}' does not exist.`)
      const problem = topicConfigsError(changes)
      if (problem) throw new KafkaError(ErrorCode.INVALID_CONFIG, problem)
      if (options.validateOnly) return image.topicConfigs.get(topic.topicId) ?? {}
      return this.store.alterTopicConfigs(topic.topicId, changes)
    })
  }

  private async createTopic(topic: CreatableTopic, validateOnly: boolean): Promise<CreatableTopicResult> {
    const image = await this.store.image()
    const { name } = topic
    const nameProblem = topicNameError(name)
    if (nameProblem) throw new KafkaError(ErrorCode.INVALID_TOPIC_EXCEPTION, nameProblem)
    if (findTopic(image, name))
      throw new KafkaError(ErrorCode.TOPIC_ALREADY_EXISTS, `Topic '${name}' already exists.`)
    if (hasCollisionChars(name)) {
      const unified = unifyCollisionChars(name)
      const colliding = [...image.topics.values()].find((t) => unifyCollisionChars(t.name) === unified)
      if (colliding) {
        throw new KafkaError(
          ErrorCode.INVALID_TOPIC_EXCEPTION,
          `Topic '${name}' collides with existing topic: ${colliding.name}`
        )
      }
    }
    const configs = creationConfigs(topic)
    const live = liveBrokers(image)
    let placements: NewPartition[]
    let policyRequest: CreateTopicPolicyRequest
    if (topic.assignments.length > 0) {
      if (topic.replicationFactor !== -1) {
        throw new KafkaError(
          ErrorCode.INVALID_REQUEST,
          'A manual partition assignment was specified, but the replication factor was not -1.'
        )
      }
      if (topic.numPartitions !== -1) {
        throw new KafkaError(
          ErrorCode.INVALID_REQUEST,
          'A manual partition assignment was specified, but numPartitions was not -1.'
        )
      }
      const byIndex = new Map<number, readonly number[]>()
      let rf: number | undefined
      for (const a of topic.assignments) {
        if (byIndex.has(a.partitionIndex)) {
          throw new KafkaError(
            ErrorCode.INVALID_REPLICA_ASSIGNMENT,
            `Found multiple manual partition assignments for partition ${a.partitionIndex}`
          )
        }
        validateManualAssignment(image, a.brokerIds, rf)
        rf = a.brokerIds.length
        byIndex.set(a.partitionIndex, a.brokerIds)
      }
      placements = []
      for (let i = 0; i < byIndex.size; i++) {
        const replicas = byIndex.get(i)
        if (!replicas) {
          throw new KafkaError(
            ErrorCode.INVALID_REPLICA_ASSIGNMENT,
            'Partitions of a manual assignment must be numbered 0, 1, 2, ... without gaps.'
          )
        }
        placements.push(manualPlacement(image, replicas, i))
      }
      policyRequest = { name, numPartitions: null, replicationFactor: null, assignments: byIndex, configs }
    } else {
      if (topic.replicationFactor < -1 || topic.replicationFactor === 0) {
        throw new KafkaError(
          ErrorCode.INVALID_REPLICATION_FACTOR,
          'Replication factor must be larger than 0, or -1 to use the default value.'
        )
      }
      if (topic.numPartitions < -1 || topic.numPartitions === 0) {
        throw new KafkaError(
          ErrorCode.INVALID_PARTITIONS,
          'Number of partitions was set to an invalid non-positive value.'
        )
      }
      const numPartitions =
        topic.numPartitions === -1 ? this.config.defaultNumPartitions : topic.numPartitions
      const rf =
        topic.replicationFactor === -1 ? this.config.defaultReplicationFactor : topic.replicationFactor
      placements = this.place(live, numPartitions, rf, {})
      policyRequest = { name, numPartitions, replicationFactor: rf, assignments: null, configs }
    }
    const rejection = this.config.createTopicPolicy?.(policyRequest)
    if (rejection) throw new KafkaError(ErrorCode.POLICY_VIOLATION, rejection)
    const replicationFactor = placements[0]?.replicas.length ?? -1
    if (validateOnly) {
      return {
        ...failedTopic(name, ErrorCode.NONE, null),
        numPartitions: placements.length,
        replicationFactor,
        configs
      }
    }
    const created = await this.store.createTopic({
      name,
      topicId: randomUuid(),
      partitions: placements,
      configs
    })
    return {
      name,
      topicId: created.topicId,
      errorCode: ErrorCode.NONE,
      errorMessage: null,
      numPartitions: created.partitions.length,
      replicationFactor,
      configs
    }
  }

  private async createPartitionsFor(request: CreatePartitionsTopic, validateOnly: boolean): Promise<void> {
    const image = await this.store.image()
    const topic = findTopic(image, request.name)
    if (!topic) {
      throw new KafkaError(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `Topic '${request.name}' does not exist.`)
    }
    const current = topic.partitions.length
    if (request.count === current) {
      throw new KafkaError(ErrorCode.INVALID_PARTITIONS, `Topic already has ${current} partition(s).`)
    }
    if (request.count < current) {
      throw new KafkaError(
        ErrorCode.INVALID_PARTITIONS,
        `Topic currently has ${current} partition(s); ${request.count} would not be an increase.`
      )
    }
    const additional = request.count - current
    const rf = topic.partitions[0]?.replicas.length ?? 1
    let placements: NewPartition[]
    if (request.assignments) {
      if (request.assignments.length !== additional) {
        throw new KafkaError(
          ErrorCode.INVALID_REPLICA_ASSIGNMENT,
          `Attempted to add ${additional} additional partition(s), but only ${request.assignments.length} assignment(s) were specified.`
        )
      }
      placements = request.assignments.map((a, i) => {
        validateManualAssignment(image, a.brokerIds, rf)
        return manualPlacement(image, a.brokerIds, current + i)
      })
    } else {
      const live = liveBrokers(image)
      // Continue the existing round-robin: start where partition 0's preferred leader sits.
      const firstLeader = topic.partitions[0]?.replicas[0] ?? 0
      const startIndex = Math.max(
        0,
        live.findIndex((b) => b.nodeId >= firstLeader)
      )
      placements = this.place(live, additional, rf, {
        startPartitionId: current,
        fixedStartIndex: startIndex
      })
    }
    if (validateOnly) return
    await this.store.createPartitions(topic.topicId, current, placements)
  }

  private place(
    live: readonly BrokerRegistration[],
    numPartitions: number,
    rf: number,
    options: { startPartitionId?: number; fixedStartIndex?: number }
  ): NewPartition[] {
    if (rf > live.length) {
      throw new KafkaError(
        ErrorCode.INVALID_REPLICATION_FACTOR,
        `Unable to replicate the partition ${rf} time(s): the target replication factor of ${rf} cannot be ` +
          `reached because only ${live.length} broker(s) are live.`
      )
    }
    try {
      const brokers = live.map((b) => ({ nodeId: b.nodeId, rack: b.rack }))
      const randomInt = this.config.randomInt
      return assignReplicasToBrokers(
        brokers,
        numPartitions,
        rf,
        randomInt ? { ...options, randomInt } : options
      ).map((replicas) => ({ replicas, isr: replicas, leader: replicas[0]! }))
    } catch (err) {
      if (!(err instanceof PlacementError)) throw err
      throw new KafkaError(ErrorCode[err.reason], err.message)
    }
  }

  /** Re-runs leader election (and ISR cleanup of fenced brokers) for the partitions `select` picks. */
  private async reelect(
    image: MetadataImage,
    select: (p: TopicRegistration['partitions'][number]) => boolean
  ): Promise<void> {
    const isLive = (id: number): boolean =>
      image.brokers.get(id)?.fenced === false && !this.shuttingDown.has(id)
    for (const topic of image.topics.values()) {
      const overrides = image.topicConfigs.get(topic.topicId) ?? {}
      const uncleanOverride = overrides['unclean.leader.election.enable']
      const unclean =
        uncleanOverride !== undefined
          ? uncleanOverride.toLowerCase() === 'true'
          : (this.config.uncleanLeaderElectionEnable ?? false)
      for (const p of topic.partitions) {
        if (!select(p)) continue
        // Fenced brokers leave the ISR, but the ISR never becomes empty: its last member keeps the claim
        // of having all committed data, so a clean election can still pick it when it comes back.
        const liveIsr = p.isr.filter(isLive)
        const isr = liveIsr.length > 0 ? liveIsr : p.isr
        const result = electLeader(
          { replicas: p.replicas, isr, leader: p.leader },
          { isAcceptableLeader: isLive, unclean }
        )
        const sameIsr = result.isr.length === p.isr.length && result.isr.every((r, i) => r === p.isr[i])
        if (result.leader === p.leader && sameIsr) continue
        await this.store.alterPartition(topic.topicId, p.partitionIndex, p.partitionEpoch, {
          leader: result.leader,
          isr: result.isr
        })
      }
    }
  }

  private exclusive<T>(operation: () => Promise<T>): Promise<T> {
    const result = this.queue.then(operation, operation)
    this.queue = result.catch(() => undefined)
    return result
  }
}

function sameList(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i])
}

function failedTopic(name: string, errorCode: number, errorMessage: string | null): CreatableTopicResult {
  return {
    name,
    topicId: ZERO_UUID,
    errorCode,
    errorMessage,
    numPartitions: -1,
    replicationFactor: -1,
    configs: {}
  }
}

function findTopic(image: MetadataImage, name: string): TopicRegistration | undefined {
  for (const topic of image.topics.values()) if (topic.name === name) return topic
  return undefined
}

function liveBrokers(image: MetadataImage): BrokerRegistration[] {
  return [...image.brokers.values()].filter((b) => !b.fenced).sort((a, b) => a.nodeId - b.nodeId)
}

function creationConfigs(topic: CreatableTopic): TopicConfigs {
  const nulls = topic.configs.filter((c) => c.value === null).map((c) => c.name)
  if (nulls.length > 0) {
    throw new KafkaError(
      ErrorCode.INVALID_CONFIG,
      `Null value not supported for topic configs: ${nulls.join(',')}`
    )
  }
  const configs: Record<string, string> = {}
  for (const c of topic.configs) configs[c.name] = c.value!
  const problem = topicConfigsError(configs)
  if (problem) throw new KafkaError(ErrorCode.INVALID_CONFIG, problem)
  return configs
}

function validateManualAssignment(
  image: MetadataImage,
  brokerIds: readonly number[],
  rf: number | undefined
): void {
  if (brokerIds.length === 0) {
    throw new KafkaError(
      ErrorCode.INVALID_REPLICA_ASSIGNMENT,
      'The manual partition assignment includes an empty replica list.'
    )
  }
  const seen = new Set<number>()
  for (const id of brokerIds) {
    if (!image.brokers.has(id)) {
      throw new KafkaError(
        ErrorCode.INVALID_REPLICA_ASSIGNMENT,
        `The manual partition assignment includes broker ${id}, but no such broker is registered.`
      )
    }
    if (seen.has(id)) {
      throw new KafkaError(
        ErrorCode.INVALID_REPLICA_ASSIGNMENT,
        `The manual partition assignment includes the broker ${id} more than once.`
      )
    }
    seen.add(id)
  }
  if (rf !== undefined && brokerIds.length !== rf) {
    throw new KafkaError(
      ErrorCode.INVALID_REPLICA_ASSIGNMENT,
      `The manual partition assignment includes a partition with ${brokerIds.length} replica(s), but this is ` +
        `not consistent with previous partitions, which have ${rf} replica(s).`
    )
  }
}

/** The ISR of a new partition is its live replicas; the first of them leads. */
function manualPlacement(
  image: MetadataImage,
  replicas: readonly number[],
  partitionIndex: number
): NewPartition {
  const isr = replicas.filter((id) => image.brokers.get(id)?.fenced === false)
  if (isr.length === 0) {
    throw new KafkaError(
      ErrorCode.INVALID_REPLICA_ASSIGNMENT,
      `All brokers specified in the manual partition assignment for partition ${partitionIndex} are fenced.`
    )
  }
  return { replicas: [...replicas], isr, leader: isr[0]! }
}
