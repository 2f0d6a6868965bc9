import { ErrorCode, KafkaError } from '../../protocol/error-codes.js'
import type {
  BrokerRegistration,
  BrokerRegistrationRequest,
  MetadataStore,
  PartitionRegistration,
  TopicConfigs,
  TopicId
} from '../metadata-store.js'
import { BrokerLiveness } from './broker-liveness.js'
import {
  type ElectionControlConfig,
  ElectionControlManager,
  type ElectionOutcome
} from './election-control.js'
import { NO_LEADER } from './leader-election.js'
import {
  type OngoingReassignment,
  ReassignmentControlManager,
  type ReassignmentRequest,
  type ReassignmentResult
} from './reassignment-control.js'
import { type TopicControlConfig, TopicControlManager } from './topic-control.js'
import type {
  CreatableTopic,
  CreatableTopicResult,
  CreatePartitionsTopic,
  CreatePartitionsTopicResult,
  DeletableTopic,
  DeletableTopicResult,
  ValidateOnly
} from './topic-requests.js'

export { type ElectionOutcome, ElectionType } from './election-control.js'
export type { OngoingReassignment, ReassignmentRequest, ReassignmentResult } from './reassignment-control.js'
export type {
  CreatableTopic,
  CreatableTopicResult,
  CreatePartitionsTopic,
  CreatePartitionsTopicResult,
  CreateTopicPolicyRequest,
  DeletableTopic,
  DeletableTopicResult,
  ValidateOnly
} from './topic-requests.js'

export interface ControllerConfig extends TopicControlConfig, ElectionControlConfig {}

/** A leader's AlterPartition for one partition. */
export interface AlterIsrRequest {
  readonly brokerId: number
  readonly topicId: TopicId
  readonly partitionIndex: number
  readonly leaderEpoch: number
  readonly partitionEpoch: number
  readonly newIsr: readonly number[]
}

/**
 * The controller (Kafka's QuorumController): the one writer of topic and partition changes, with Kafka's
 * rules and error codes, through the MetadataStore. It runs on every broker of a cluster of one (the
 * embedded file store), and in a multi-broker cluster on etcd on the elected controller broker, which
 * `cluster-controller-service.ts` drives and `controller-channel.ts` forwards requests to. It handles broker
 * lifecycle and AlterPartition (ISR changes) itself and delegates the rest: topics to TopicControlManager,
 * reassignments to ReassignmentControlManager, leader elections to ElectionControlManager.
 *
 * Event loop: operations run one at a time through a queue (Kafka's controller is one event thread too), so
 * each one validates against the image it then writes to; the parts it delegates to run only inside it.
 * Store conditions still guard every write.
 */
export class Controller {
  private queue: Promise<unknown> = Promise.resolve()
  private readonly liveness = new BrokerLiveness()
  private readonly topics: TopicControlManager
  private readonly reassignments: ReassignmentControlManager
  private readonly elections: ElectionControlManager

  constructor(
    private readonly store: MetadataStore,
    config: ControllerConfig
  ) {
    this.topics = new TopicControlManager(store, config)
    this.reassignments = new ReassignmentControlManager(store, this.liveness)
    this.elections = new ElectionControlManager(store, this.liveness, config)
  }

  /** Registers (unfences) a broker and gives leaderless partitions it replicates a leader again. */
  registerBroker(request: BrokerRegistrationRequest): Promise<BrokerRegistration> {
    return this.exclusive(async () => {
      const broker = await this.store.registerBroker(request)
      await this.elections.reelect(
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
      this.liveness.unfenced(nodeId)
      await this.elections.reelect(
        await this.store.image(),
        (p) => p.leader === NO_LEADER && p.replicas.includes(nodeId)
      )
    })
  }

  /** Fences a broker: it leaves every ISR it can leave, and partitions it led elect another leader. */
  fenceBroker(nodeId: number): Promise<void> {
    return this.exclusive(async () => {
      await this.store.fenceBroker(nodeId)
      await this.elections.reelect(
        await this.store.image(),
        (p) => p.isr.includes(nodeId) || p.leader === nodeId
      )
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
      this.liveness.beginControlledShutdown(nodeId)
      await this.elections.reelect(before, (p) => p.isr.includes(nodeId) || p.leader === nodeId)
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
   * A partition leader's ISR change (AlterPartition, Kafka's ReplicationControlManager rules): only the
   * current leader at the current leader epoch may ask (FENCED_LEADER_EPOCH / NOT_LEADER_OR_FOLLOWER), at the
   * current partition epoch (INVALID_UPDATE_VERSION); the new ISR keeps the leader, lists only assigned
   * replicas (INVALID_REQUEST) and adds only live ones (INELIGIBLE_REPLICA). An ISR that now holds every
   * target replica of a reassignment completes it.
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
        if (!p.isr.includes(id) && !this.liveness.isLive(image, id)) {
          throw new KafkaError(ErrorCode.INELIGIBLE_REPLICA, `broker ${id} is not live`)
        }
      }
      const altered = await this.store.alterPartition(
        request.topicId,
        request.partitionIndex,
        p.partitionEpoch,
        { isr: newIsr }
      )
      // The ISR change is committed whatever happens next: a failed completion must not turn it into an
      // error for the leader, and is tried again on the partition's next ISR change.
      const completed = await this.reassignments
        .maybeComplete(image, request.topicId, altered)
        .catch(() => undefined)
      return completed ?? altered
    })
  }

  /** AlterPartitionReassignments: see ReassignmentControlManager. */
  alterPartitionReassignments(requests: readonly ReassignmentRequest[]): Promise<ReassignmentResult[]> {
    return this.exclusive(() => this.reassignments.alterPartitionReassignments(requests))
  }

  /** Ongoing reassignments, of the named partitions or (null) of all. */
  listPartitionReassignments(
    partitions: readonly { topic: string; partitionIndexes: readonly number[] }[] | null
  ): Promise<OngoingReassignment[]> {
    return this.exclusive(() => this.reassignments.listPartitionReassignments(partitions))
  }

  /** Completes the reassignments a previous controller left with every target replica in the ISR. */
  resumeReassignments(): Promise<void> {
    return this.exclusive(() => this.reassignments.resumeReassignments())
  }

  /** ElectLeaders (PREFERRED or UNCLEAN): see ElectionControlManager. */
  electLeaders(
    electionType: number,
    partitions: readonly { topic: string; partitions: readonly number[] }[] | null
  ): Promise<ElectionOutcome[]> {
    return this.exclusive(() => this.elections.electLeaders(electionType, partitions))
  }

  /** Automatic leader rebalancing; returns how many partitions changed leader. */
  rebalanceLeaders(imbalancePercentage: number): Promise<number> {
    return this.exclusive(() => this.elections.rebalanceLeaders(imbalancePercentage))
  }

  createTopics(
    topics: readonly CreatableTopic[],
    options: ValidateOnly = {}
  ): Promise<CreatableTopicResult[]> {
    return this.exclusive(() => this.topics.createTopics(topics, options))
  }

  deleteTopics(topics: readonly DeletableTopic[]): Promise<DeletableTopicResult[]> {
    return this.exclusive(() => this.topics.deleteTopics(topics))
  }

  createPartitions(
    topics: readonly CreatePartitionsTopic[],
    options: ValidateOnly = {}
  ): Promise<CreatePartitionsTopicResult[]> {
    return this.exclusive(() => this.topics.createPartitions(topics, options))
  }

  /** Sets (string) or removes (null) topic config overrides after validating them. */
  alterTopicConfigs(
    name: string,
    changes: Readonly<Record<string, string | null>>,
    options: ValidateOnly = {}
  ): Promise<TopicConfigs> {
    return this.exclusive(() => this.topics.alterTopicConfigs(name, changes, options))
  }

  private exclusive<T>(operation: () => Promise<T>): Promise<T> {
    const result = this.queue.then(operation, operation)
    this.queue = result.catch(() => undefined)
    return result
  }
}
