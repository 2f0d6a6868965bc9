import { ErrorCode, KafkaError } from '../../protocol/error-codes.js'
import type { MetadataImage, MetadataStore, PartitionRegistration, TopicId } from '../metadata-store.js'
import {
  addingReplicas,
  isReassignmentComplete,
  mergedReplicas,
  ongoingReassignment,
  type PartitionReassignment,
  removingReplicas
} from '../partition-reassignment.js'
import type { LiveBrokers } from './broker-liveness.js'
import { findTopic } from './image-lookup.js'
import { electLeader, NO_LEADER } from './leader-election.js'

/** A partition's requested reassignment: target replicas, or null to cancel an ongoing one. */
export interface ReassignmentRequest {
  readonly topic: string
  readonly partitionIndex: number
  readonly replicas: readonly number[] | null
}

export interface ReassignmentResult {
  readonly topic: string
  readonly partitionIndex: number
  readonly errorCode: number
  readonly errorMessage: string | null
}

export interface OngoingReassignment {
  readonly topic: string
  readonly partitionIndex: number
  readonly replicas: readonly number[]
  readonly addingReplicas: readonly number[]
  readonly removingReplicas: readonly number[]
}

/**
 * Partition reassignment, the part of Kafka's ReplicationControlManager behind AlterPartitionReassignments
 * and ListPartitionReassignments: a reassignment is written into the partition registration (merged
 * replicas plus the adding and removing sets, see `partition-reassignment.ts`), adding replicas catch up as
 * followers, and it completes when the ISR holds every target replica; whoever commits that ISR change
 * (the controller's AlterPartition, or a newly elected controller) calls `maybeComplete`.
 *
 * Runs inside the controller's operation queue, so each operation validates against the image it then
 * writes to; the store's partition-epoch condition still guards every write.
 */
export class ReassignmentControlManager {
  constructor(
    private readonly store: Pick<MetadataStore, 'image' | 'alterPartition'>,
    private readonly liveness: LiveBrokers
  ) {}

  /**
   * AlterPartitionReassignments (Kafka's ReplicationControlManager.alterPartitionReassignments): starts,
   * replaces or (with null replicas) cancels the reassignment of each partition. Adding replicas join as
   * followers; the reassignment completes when they are all in the ISR.
   */
  async alterPartitionReassignments(requests: readonly ReassignmentRequest[]): Promise<ReassignmentResult[]> {
    const results: ReassignmentResult[] = []
    for (const request of requests) {
      const { topic, partitionIndex } = request
      try {
        await this.reassign(request)
        results.push({ topic, partitionIndex, errorCode: 0, errorMessage: null })
      } catch (err) {
        if (!(err instanceof KafkaError)) throw err
        results.push({ topic, partitionIndex, errorCode: err.code, errorMessage: err.message })
      }
    }
    return results
  }

  /** Ongoing reassignments, of the named partitions or (null) of all. */
  async listPartitionReassignments(
    partitions: readonly { topic: string; partitionIndexes: readonly number[] }[] | null
  ): Promise<OngoingReassignment[]> {
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
  }

  /**
   * Completes the reassignments whose target replicas are all in the ISR already: a newly elected controller
   * calls this, since its predecessor may have committed the last ISR expansion and died before finishing.
   * Other reassignments complete on their leader's next ISR expansion.
   */
  async resumeReassignments(): Promise<void> {
    const image = await this.store.image()
    for (const topic of image.topics.values()) {
      for (const p of topic.partitions) await this.maybeComplete(image, topic.topicId, p)
    }
  }

  /**
   * Finishes the partition's reassignment once every target replica is in the ISR. Returns the new
   * registration, or undefined when there was nothing to finish.
   */
  async maybeComplete(
    image: MetadataImage,
    topicId: TopicId,
    p: PartitionRegistration
  ): Promise<PartitionRegistration | undefined> {
    const reassignment = ongoingReassignment(p)
    if (!reassignment || !isReassignmentComplete(reassignment, p.isr)) return undefined
    return this.shrinkTo(image, topicId, p, reassignment.target)
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
    await this.maybeComplete(image, topic.topicId, updated)
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
    const isr = remainingIsr.length > 0 ? remainingIsr : [...replicas]
    const elected = electLeader(
      { replicas, isr, leader: replicas.includes(p.leader) ? p.leader : NO_LEADER },
      { isAcceptableLeader: (id) => this.liveness.isLive(image, id) }
    )
    return this.store.alterPartition(topicId, p.partitionIndex, p.partitionEpoch, {
      replicas: [...replicas],
      isr: elected.isr,
      leader: elected.leader,
      addingReplicas: [],
      removingReplicas: []
    })
  }
}

function sameList(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i])
}
