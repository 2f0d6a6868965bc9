import type { TopicConfigs, TopicId } from '../metadata-store.js'

/**
 * The shapes of the controller's topic requests and results: those of the CreateTopics, DeleteTopics and
 * CreatePartitions messages, so handlers can pass them through.
 */

/** What create.topic.policy is asked about a topic before it is created. */
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

export interface ValidateOnly {
  readonly validateOnly?: boolean
}
