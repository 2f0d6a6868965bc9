/**
 * CreateTopics (key 19): the controller validates and creates (or, with validateOnly, only validates) each
 * topic. From v5 the answer also carries the topic's configs, partition count and replication factor, and
 * from v7 its id.
 */

import { ErrorCode } from '../../protocol/error-codes.js'
import {
  CreateTopicsApi,
  type CreateTopicsRequest,
  type CreateTopicsResponse,
  type CreateTopicsResponseCreatableTopicResult
} from '../../protocol/messages/create-topics.js'
import { AclOperation, CLUSTER_NAME, ResourceType } from '../../security/authorizer/acl-types.js'
import { describeTopicConfigs } from '../admin/topic-config-description.js'
import type { ApiHandler } from '../api-registry.js'
import type { RequestContext } from '../request-context.js'
import type { HandlerDeps } from './handler-deps.js'

export function createCreateTopicsHandler(
  deps: HandlerDeps
): ApiHandler<CreateTopicsRequest, CreateTopicsResponse> {
  return {
    api: CreateTopicsApi,
    minVersion: 0,
    maxVersion: 7,
    async handle(request: CreateTopicsRequest, ctx: RequestContext): Promise<CreateTopicsResponse> {
      const remote = await deps.controllerChannel.forwardUnlessController<CreateTopicsResponse>(
        ctx.forwardingHeader,
        request,
        (errorMessage) => ({
          throttleTimeMs: 0,
          topics: request.topics.map((t) => ({
            name: t.name,
            errorCode: ErrorCode.NOT_CONTROLLER,
            errorMessage,
            numPartitions: -1,
            replicationFactor: -1
          }))
        })
      )
      if (remote) return remote
      // Kafka: CREATE on the cluster, or else on each topic (TOPIC_AUTHORIZATION_FAILED).
      const creatable = ctx.authorize(AclOperation.CREATE, ResourceType.CLUSTER, CLUSTER_NAME, false)
        ? request.topics
        : request.topics.filter((t) => ctx.authorize(AclOperation.CREATE, ResourceType.TOPIC, t.name))
      const denied = request.topics
        .filter((t) => !creatable.includes(t))
        .map((t) => ({
          name: t.name,
          errorCode: ErrorCode.TOPIC_AUTHORIZATION_FAILED,
          errorMessage: null,
          numPartitions: -1,
          replicationFactor: -1
        }))
      const results = await deps.controller.createTopics(
        creatable.map((t) => ({
          name: t.name,
          numPartitions: t.numPartitions,
          replicationFactor: t.replicationFactor,
          assignments: t.assignments.map((a) => ({
            partitionIndex: a.partitionIndex,
            brokerIds: a.brokerIds
          })),
          configs: t.configs.map((c) => ({ name: c.name, value: c.value }))
        })),
        { validateOnly: request.validateOnly ?? false }
      )
      const topics = results.map((r): CreateTopicsResponseCreatableTopicResult => {
        if (r.errorCode !== ErrorCode.NONE) {
          return {
            name: r.name,
            errorCode: r.errorCode,
            errorMessage: r.errorMessage,
            numPartitions: -1,
            replicationFactor: -1
          }
        }
        return {
          name: r.name,
          topicId: r.topicId,
          errorCode: ErrorCode.NONE,
          errorMessage: null,
          numPartitions: r.numPartitions,
          replicationFactor: r.replicationFactor,
          topicConfigErrorCode: ErrorCode.NONE,
          configs: describeTopicConfigs(
            deps.dynamicConfigs?.dynamicConfig.view() ?? deps.config,
            r.configs
          ).map((c) => ({
            name: c.name,
            value: c.isSensitive ? null : c.value,
            readOnly: c.readOnly,
            configSource: c.source,
            isSensitive: c.isSensitive
          }))
        }
      })
      return { throttleTimeMs: 0, topics: [...topics, ...denied] }
    }
  }
}
