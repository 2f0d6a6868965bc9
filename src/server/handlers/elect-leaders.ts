/**
 * ElectLeaders (key 43): preferred or unclean leader election for the named partitions (or all of them),
 * run by the controller; other brokers forward it there.
 */

import { ErrorCode } from '../../protocol/error-codes.js'
import {
  ElectLeadersApi,
  type ElectLeadersRequest,
  type ElectLeadersResponse,
  type ElectLeadersResponseReplicaElectionResult
} from '../../protocol/messages/elect-leaders.js'
import { AclOperation } from '../../security/authorizer/acl-types.js'
import type { ApiHandler } from '../api-registry.js'
import type { RequestContext } from '../request-context.js'
import type { HandlerDeps } from './handler-deps.js'

export function createElectLeadersHandler(
  deps: HandlerDeps
): ApiHandler<ElectLeadersRequest, ElectLeadersResponse> {
  return {
    api: ElectLeadersApi,
    minVersion: 0,
    maxVersion: 2,
    async handle(request: ElectLeadersRequest, ctx: RequestContext): Promise<ElectLeadersResponse> {
      if (!ctx.authorizeCluster(AclOperation.ALTER)) {
        return {
          throttleTimeMs: 0,
          errorCode: ErrorCode.CLUSTER_AUTHORIZATION_FAILED,
          replicaElectionResults: (request.topicPartitions ?? []).map((t) => ({
            topic: t.topic,
            partitionResult: t.partitions.map((partitionId) => ({
              partitionId,
              errorCode: ErrorCode.CLUSTER_AUTHORIZATION_FAILED,
              errorMessage: null
            }))
          }))
        }
      }
      const remote = await deps.controllerChannel.forwardUnlessController<ElectLeadersResponse>(
        ctx.forwardingHeader,
        request,
        // v0 has no top-level error code: every partition carries NOT_CONTROLLER instead.
        (errorMessage) => ({
          throttleTimeMs: 0,
          errorCode: ErrorCode.NOT_CONTROLLER,
          replicaElectionResults: (request.topicPartitions ?? []).map((t) => ({
            topic: t.topic,
            partitionResult: t.partitions.map((partitionId) => ({
              partitionId,
              errorCode: ErrorCode.NOT_CONTROLLER,
              errorMessage
            }))
          }))
        })
      )
      if (remote) return remote
      // v0 has no election type: it always meant a preferred election.
      const outcomes = await deps.controller.electLeaders(request.electionType ?? 0, request.topicPartitions)
      const byTopic = new Map<string, ElectLeadersResponseReplicaElectionResult>()
      for (const o of outcomes) {
        let topic = byTopic.get(o.topic)
        if (!topic) {
          topic = { topic: o.topic, partitionResult: [] }
          byTopic.set(o.topic, topic)
        }
        topic.partitionResult.push({
          partitionId: o.partitionIndex,
          errorCode: o.errorCode,
          errorMessage: o.errorMessage
        })
      }
      return { throttleTimeMs: 0, errorCode: ErrorCode.NONE, replicaElectionResults: [...byTopic.values()] }
    }
  }
}
