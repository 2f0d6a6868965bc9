/** Metadata (key 3): brokers, the controller, and topics with their partitions' leaders, replicas and ISR. */

import type { TopicRegistration } from '../../cluster/metadata-store.js'
import { isInternalTopic, topicNameError } from '../../cluster/topic-name.js'
import { ErrorCode } from '../../protocol/error-codes.js'
import {
  CreateTopicsApi,
  type CreateTopicsRequest,
  type CreateTopicsResponse
} from '../../protocol/messages/create-topics.js'
import {
  MetadataApi,
  type MetadataRequest,
  type MetadataResponse,
  type MetadataResponseMetadataResponseBroker,
  type MetadataResponseMetadataResponseTopic
} from '../../protocol/messages/metadata.js'
import { AclOperation, CLUSTER_NAME, ResourceType } from '../../security/authorizer/acl-types.js'
import type { ApiHandler } from '../api-registry.js'
import type { RequestContext } from '../request-context.js'
import {
  ALL_CLUSTER_OPERATIONS,
  ALL_TOPIC_OPERATIONS,
  AUTHORIZED_OPERATIONS_OMITTED,
  type HandlerDeps
} from './handler-deps.js'
import { listenerEndPoint } from './listener-endpoint.js'

const ZERO_UUID = 'AAAAAAAAAAAAAAAAAAAAAA'

export function createMetadataHandler(deps: HandlerDeps): ApiHandler<MetadataRequest, MetadataResponse> {
  /** Live brokers with an endpoint on the client's listener; the others are left out, as Kafka does. */
  const brokers = (listenerName: string): MetadataResponseMetadataResponseBroker[] =>
    deps.metadataCache.liveBrokers().flatMap((b) => {
      const e = listenerEndPoint(b, listenerName, deps.config.nodeId, deps.advertisedEndPoints)
      return e ? [{ nodeId: b.nodeId, host: e.host, port: e.port, rack: b.rack }] : []
    })

  const describe = (
    topic: TopicRegistration,
    includeOps: false | RequestContext,
    reachable: ReadonlySet<number>
  ): MetadataResponseMetadataResponseTopic => ({
    errorCode: ErrorCode.NONE,
    name: topic.name,
    topicId: topic.topicId,
    isInternal: isInternalTopic(topic.name),
    partitions: topic.partitions.map((p) => {
      // A live leader without the client's listener is no leader to this client: Kafka answers
      // LEADER_NOT_AVAILABLE with no leader id.
      const unreachable = !reachable.has(p.leader) && deps.metadataCache.isBrokerLive(p.leader)
      return {
        errorCode: p.leader === -1 || unreachable ? ErrorCode.LEADER_NOT_AVAILABLE : ErrorCode.NONE,
        partitionIndex: p.partitionIndex,
        leaderId: unreachable ? -1 : p.leader,
        leaderEpoch: p.leaderEpoch,
        replicaNodes: [...p.replicas],
        isrNodes: [...p.isr],
        offlineReplicas: p.replicas.filter((r) => !deps.metadataCache.isBrokerLive(r))
      }
    }),
    topicAuthorizedOperations: includeOps
      ? includeOps.authorizedOperations(ResourceType.TOPIC, topic.name, ALL_TOPIC_OPERATIONS)
      : AUTHORIZED_OPERATIONS_OMITTED
  })

  const failed = (
    name: string | null,
    errorCode: number,
    topicId = ZERO_UUID
  ): MetadataResponseMetadataResponseTopic => ({
    errorCode,
    name,
    topicId,
    isInternal: false,
    partitions: [],
    topicAuthorizedOperations: AUTHORIZED_OPERATIONS_OMITTED
  })

  return {
    api: MetadataApi,
    minVersion: 0,
    maxVersion: 12,
    async handle(request: MetadataRequest, ctx: RequestContext): Promise<MetadataResponse> {
      const version = ctx.apiVersion
      const includeOps = request.includeTopicAuthorizedOperations === true && ctx
      // Kafka lists only the topics the principal may DESCRIBE, and answers the others it names with
      // TOPIC_AUTHORIZATION_FAILED; auto-creation needs CREATE on the cluster or the topic.
      const describable = (name: string, logIfDenied: boolean) =>
        ctx.authorize(AclOperation.DESCRIBE, ResourceType.TOPIC, name, logIfDenied)
      const creatable = (name: string) =>
        ctx.authorize(AclOperation.CREATE, ResourceType.CLUSTER, CLUSTER_NAME, false) ||
        ctx.authorize(AclOperation.CREATE, ResourceType.TOPIC, name)
      const listed = brokers(ctx.connection.listenerName)
      const reachable = new Set(listed.map((b) => b.nodeId))
      // v0 asks for every topic with an empty list; v1+ with null.
      const all = request.topics === null || (version === 0 && request.topics.length === 0)
      const topics: MetadataResponseMetadataResponseTopic[] = []
      if (all) {
        for (const t of deps.metadataCache.topics())
          if (describable(t.name, false)) topics.push(describe(t, includeOps, reachable))
      } else {
        const autoCreate =
          deps.config.autoCreateTopicsEnable && (version < 4 || request.allowAutoTopicCreation !== false)
        for (const requested of request.topics ?? []) {
          if (requested.name === null) {
            const byId =
              requested.topicId === undefined ? undefined : deps.metadataCache.topicById(requested.topicId)
            topics.push(
              !byId
                ? failed(null, ErrorCode.UNKNOWN_TOPIC_ID, requested.topicId)
                : describable(byId.name, true)
                  ? describe(byId, includeOps, reachable)
                  : failed(null, ErrorCode.TOPIC_AUTHORIZATION_FAILED, requested.topicId)
            )
            continue
          }
          if (!describable(requested.name, true)) {
            topics.push(failed(requested.name, ErrorCode.TOPIC_AUTHORIZATION_FAILED))
            continue
          }
          const existing = deps.metadataCache.topicByName(requested.name)
          if (existing) {
            topics.push(describe(existing, includeOps, reachable))
            continue
          }
          if (autoCreate && topicNameError(requested.name) === null && !creatable(requested.name)) {
            topics.push(failed(requested.name, ErrorCode.TOPIC_AUTHORIZATION_FAILED))
            continue
          }
          topics.push(await autoCreateTopic(requested.name, autoCreate))
        }
      }
      return {
        throttleTimeMs: 0,
        brokers: listed,
        clusterId: deps.metadataCache.clusterId,
        controllerId: deps.controllerChannel.controllerId(),
        topics,
        clusterAuthorizedOperations:
          request.includeClusterAuthorizedOperations === true
            ? ctx.authorizedOperations(ResourceType.CLUSTER, CLUSTER_NAME, ALL_CLUSTER_OPERATIONS)
            : AUTHORIZED_OPERATIONS_OMITTED
      }

      async function autoCreateTopic(
        name: string,
        allowed: boolean
      ): Promise<MetadataResponseMetadataResponseTopic> {
        if (topicNameError(name) !== null) return failed(name, ErrorCode.INVALID_TOPIC_EXCEPTION)
        if (!allowed) return failed(name, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION)
        if (deps.controllerChannel.isActiveController()) {
          await deps.controller.createTopics([
            { name, numPartitions: -1, replicationFactor: -1, assignments: [], configs: [] }
          ])
        } else {
          // Only the controller creates topics: ask it, as Kafka's broker does (a CreateTopics to the controller).
          await deps.controllerChannel.forward<CreateTopicsResponse>(
            {
              requestApiKey: CreateTopicsApi.apiKey,
              requestApiVersion: 4,
              clientId: ctx.clientId,
              onBehalfOf: ctx.subject
            },
            {
              topics: [{ name, numPartitions: -1, replicationFactor: -1, assignments: [], configs: [] }],
              timeoutMs: 30_000,
              validateOnly: false
            } satisfies CreateTopicsRequest
          )
        }
        const created = deps.metadataCache.topicByName(name)
        // Kafka answers LEADER_NOT_AVAILABLE while a topic is being created; clients retry.
        return created
          ? describe(created, includeOps, reachable)
          : failed(name, ErrorCode.LEADER_NOT_AVAILABLE)
      }
    }
  }
}
