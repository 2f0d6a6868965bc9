import { ErrorCode, KafkaError } from '../../protocol/error-codes.js'
import type { BrokerRegistration, MetadataImage, NewPartition, TopicConfigs } from '../metadata-store.js'
import { assignReplicasToBrokers, PlacementError, type PlacementOptions } from './replica-placement.js'
import type { CreatableTopic, CreateTopicPolicyRequest } from './topic-requests.js'

/**
 * The replicas, ISR and leader of new partitions, for CreateTopics and CreatePartitions (Kafka's
 * TopicAssignment / PartitionAssignment and the checks ReplicationControlManager makes on them): placed
 * automatically over the live brokers, or given by the request and validated. Pure functions of the image.
 */

/** Unfenced brokers in id order: the list automatic placement walks. */
export function liveBrokers(image: MetadataImage): BrokerRegistration[] {
  return [...image.brokers.values()].filter((b) => !b.fenced).sort((a, b) => a.nodeId - b.nodeId)
}

/**
 * Places `numPartitions` partitions of `rf` replicas over the live brokers; every replica starts in the ISR
 * and the first one leads. Fails with Kafka's codes when `rf` exceeds the live brokers.
 */
export function placePartitions(
  live: readonly BrokerRegistration[],
  numPartitions: number,
  rf: number,
  options: PlacementOptions
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
    return assignReplicasToBrokers(brokers, numPartitions, rf, options).map((replicas) => ({
      replicas,
      isr: replicas,
      leader: replicas[0]!
    }))
  } catch (err) {
    if (!(err instanceof PlacementError)) throw err
    throw new KafkaError(ErrorCode[err.reason], err.message)
  }
}

/**
 * Checks one partition of a manual assignment: non-empty, registered brokers only, no broker twice, and
 * (`rf` given) as many replicas as the partitions before it.
 */
export function validateManualAssignment(
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
export function manualPlacement(
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

/** A new topic's partitions and what create.topic.policy is asked about them. */
export interface TopicAssignment {
  readonly placements: NewPartition[]
  readonly policyRequest: CreateTopicPolicyRequest
}

/** Placement given by the request, partition by partition; numPartitions and the replication factor must be -1. */
export function manualTopicAssignment(
  image: MetadataImage,
  topic: CreatableTopic,
  configs: TopicConfigs
): TopicAssignment {
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
  const placements: NewPartition[] = []
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
  return {
    placements,
    policyRequest: {
      name: topic.name,
      numPartitions: null,
      replicationFactor: null,
      assignments: byIndex,
      configs
    }
  }
}
