/**
 * Creates an internal topic (`__consumer_offsets`, `__transaction_state`) on first use, as Kafka's
 * AutoTopicCreationManager does: only the controller creates topics, so a broker that is not the controller
 * sends it a CreateTopics request (through the ControllerChannel) instead of writing the metadata itself.
 */

import type { Controller } from '../../cluster/controller/controller.js'
import type { ControllerChannel } from '../../cluster/controller-channel.js'
import { ErrorCode } from '../../protocol/error-codes.js'
import {
  CreateTopicsApi,
  type CreateTopicsRequest,
  type CreateTopicsResponse
} from '../../protocol/messages/create-topics.js'

export interface InternalTopic {
  readonly name: string
  readonly numPartitions: number
  readonly replicationFactor: number
  readonly configs: readonly { name: string; value: string }[]
}

export interface InternalTopicCreatorDeps {
  controller: () => Controller
  controllerChannel: () => ControllerChannel
}

/** CreateTopics v5: the oldest version that still carries topic configs and answers with them. */
const CREATE_TOPICS_VERSION = 5
const CREATE_TIMEOUT_MS = 30_000
const CLIENT_ID = 'samsa-internal-topic-creator'

/**
 * The topic's creation error code: NONE once created, TOPIC_ALREADY_EXISTS when another broker won the
 * race (also a success for the caller), NOT_CONTROLLER when no controller could be reached.
 */
export async function createInternalTopic(
  deps: InternalTopicCreatorDeps,
  topic: InternalTopic
): Promise<number> {
  const channel = deps.controllerChannel()
  if (channel.isActiveController()) {
    const [result] = await deps.controller().createTopics([
      {
        name: topic.name,
        numPartitions: topic.numPartitions,
        replicationFactor: topic.replicationFactor,
        assignments: [],
        configs: [...topic.configs]
      }
    ])
    return result?.errorCode ?? ErrorCode.UNKNOWN_SERVER_ERROR
  }
  const response = await channel.forward<CreateTopicsResponse>(
    { requestApiKey: CreateTopicsApi.apiKey, requestApiVersion: CREATE_TOPICS_VERSION, clientId: CLIENT_ID },
    {
      topics: [
        {
          name: topic.name,
          numPartitions: topic.numPartitions,
          replicationFactor: topic.replicationFactor,
          assignments: [],
          configs: topic.configs.map((c) => ({ name: c.name, value: c.value }))
        }
      ],
      timeoutMs: CREATE_TIMEOUT_MS,
      validateOnly: false
    } satisfies CreateTopicsRequest
  )
  if (response === null) return ErrorCode.NOT_CONTROLLER
  return response.topics[0]?.errorCode ?? ErrorCode.UNKNOWN_SERVER_ERROR
}
