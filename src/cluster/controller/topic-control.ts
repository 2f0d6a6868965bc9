import { ErrorCode, KafkaError } from '../../protocol/error-codes.js'
import { randomUuid, ZERO_UUID } from '../kafka-uuid.js'
import type { MetadataImage, MetadataStore, NewPartition, TopicConfigs } from '../metadata-store.js'
import { topicConfigsError } from '../topic-config-keys.js'
import { hasCollisionChars, topicNameError, unifyCollisionChars } from '../topic-name.js'
import { findTopic } from './image-lookup.js'
import type { PlacementOptions } from './replica-placement.js'
import {
  liveBrokers,
  manualPlacement,
  manualTopicAssignment,
  placePartitions,
  type TopicAssignment,
  validateManualAssignment
} from './topic-assignment.js'
import type {
  CreatableTopic,
  CreatableTopicResult,
  CreatePartitionsTopic,
  CreatePartitionsTopicResult,
  CreateTopicPolicyRequest,
  DeletableTopic,
  DeletableTopicResult,
  ValidateOnly
} from './topic-requests.js'

export interface TopicControlConfig {
  /** num.partitions: used when a request asks for -1. */
  readonly defaultNumPartitions: number
  /** default.replication.factor: used when a request asks for -1. */
  readonly defaultReplicationFactor: number
  /** delete.topic.enable (default true). */
  readonly deleteTopicEnable?: boolean
  /** create.topic.policy: returns a reason to reject the topic (POLICY_VIOLATION) or null. */
  readonly createTopicPolicy?: (request: CreateTopicPolicyRequest) => string | null
  /** Randomness for replica placement; injected by tests. */
  readonly randomInt?: (bound: number) => number
}

export type TopicStoreView = Pick<
  MetadataStore,
  'image' | 'createTopic' | 'deleteTopic' | 'createPartitions' | 'alterTopicConfigs'
>

/**
 * Topics, the part of Kafka's ReplicationControlManager (with ConfigurationControlManager's validation of
 * topic configs) behind CreateTopics, DeleteTopics, CreatePartitions and topic config changes: validates
 * each request with Kafka's rules and error codes, places the replicas (`topic-assignment.ts`), and writes
 * through the store. Inputs and results have the shapes of the protocol messages so handlers can pass them
 * through.
 *
 * Runs inside the controller's operation queue, so each operation validates against the image it then
 * writes to; store conditions still guard every write.
 */
export class TopicControlManager {
  constructor(
    private readonly store: TopicStoreView,
    private readonly config: TopicControlConfig
  ) {}

  async createTopics(
    topics: readonly CreatableTopic[],
    options: ValidateOnly = {}
  ): Promise<CreatableTopicResult[]> {
    const counts = countNames(topics)
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
  }

  async deleteTopics(topics: readonly DeletableTopic[]): Promise<DeletableTopicResult[]> {
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
  }

  async createPartitions(
    topics: readonly CreatePartitionsTopic[],
    options: ValidateOnly = {}
  ): Promise<CreatePartitionsTopicResult[]> {
    const counts = countNames(topics)
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
  }

  /** Sets (string) or removes (null) topic config overrides after validating them. */
  async alterTopicConfigs(
    name: string,
    changes: Readonly<Record<string, string | null>>,
    options: ValidateOnly = {}
  ): Promise<TopicConfigs> {
    const image = await this.store.image()
    const topic = findTopic(image, name)
    if (!topic) throw new KafkaError(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `Topic '${name}' does not exist.`)
    const problem = topicConfigsError(changes)
    if (problem) throw new KafkaError(ErrorCode.INVALID_CONFIG, problem)
    if (options.validateOnly) return image.topicConfigs.get(topic.topicId) ?? {}
    return this.store.alterTopicConfigs(topic.topicId, changes)
  }

  private async createTopic(topic: CreatableTopic, validateOnly: boolean): Promise<CreatableTopicResult> {
    const image = await this.store.image()
    const { name } = topic
    validateNewTopicName(image, name)
    const configs = creationConfigs(topic)
    const { placements, policyRequest } =
      topic.assignments.length > 0
        ? manualTopicAssignment(image, topic, configs)
        : this.automaticTopicAssignment(image, topic, configs)
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

  /** Placement from the request's partition count and replication factor (or the broker defaults for -1). */
  private automaticTopicAssignment(
    image: MetadataImage,
    topic: CreatableTopic,
    configs: TopicConfigs
  ): TopicAssignment {
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
    const numPartitions = topic.numPartitions === -1 ? this.config.defaultNumPartitions : topic.numPartitions
    const rf = topic.replicationFactor === -1 ? this.config.defaultReplicationFactor : topic.replicationFactor
    return {
      placements: placePartitions(liveBrokers(image), numPartitions, rf, this.placementOptions({})),
      policyRequest: { name: topic.name, numPartitions, replicationFactor: rf, assignments: null, configs }
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
      placements = placePartitions(
        live,
        additional,
        rf,
        this.placementOptions({ startPartitionId: current, fixedStartIndex: startIndex })
      )
    }
    if (validateOnly) return
    await this.store.createPartitions(topic.topicId, current, placements)
  }

  private placementOptions(options: {
    startPartitionId?: number
    fixedStartIndex?: number
  }): PlacementOptions {
    const randomInt = this.config.randomInt
    return randomInt ? { ...options, randomInt } : options
  }
}

/** A legal name that is neither taken nor colliding with an existing topic once '.' and '_' are unified. */
function validateNewTopicName(image: MetadataImage, name: string): void {
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
}

function countNames(topics: readonly { readonly name: string }[]): Map<string, number> {
  const counts = new Map<string, number>()
  for (const t of topics) counts.set(t.name, (counts.get(t.name) ?? 0) + 1)
  return counts
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
