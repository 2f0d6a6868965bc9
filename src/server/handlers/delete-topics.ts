/**
 * DeleteTopics (key 20): by name, and from v6 by topic id. Requests naming a topic twice, or by both name
 * and id, fail for that entry with INVALID_REQUEST as in Kafka; the rest go to the controller, and the
 * ReplicaManager deletes the logs when the deletion reaches the metadata cache.
 */

import type { DeletableTopic, DeletableTopicResult } from '../../cluster/controller/controller.js'
import { ZERO_UUID } from '../../cluster/kafka-uuid.js'
import { ErrorCode } from '../../protocol/error-codes.js'
import {
  DeleteTopicsApi,
  type DeleteTopicsRequest,
  type DeleteTopicsResponse
} from '../../protocol/messages/delete-topics.js'
import { AclOperation, ResourceType } from '../../security/authorizer/acl-types.js'
import { duplicateNames } from '../admin/config-resource.js'
import type { ApiHandler } from '../api-registry.js'
import type { RequestContext } from '../request-context.js'
import type { HandlerDeps } from './handler-deps.js'

export function createDeleteTopicsHandler(
  deps: HandlerDeps
): ApiHandler<DeleteTopicsRequest, DeleteTopicsResponse> {
  return {
    api: DeleteTopicsApi,
    minVersion: 0,
    maxVersion: 6,
    async handle(request: DeleteTopicsRequest, ctx: RequestContext): Promise<DeleteTopicsResponse> {
      const remote = await deps.controllerChannel.forwardUnlessController<DeleteTopicsResponse>(
        ctx.forwardingHeader,
        request,
        (errorMessage) => ({
          throttleTimeMs: 0,
          responses: [
            ...(request.topicNames ?? []).map((name) => ({ name, topicId: ZERO_UUID })),
            ...(request.topics ?? []).map((t) => ({ name: t.name, topicId: t.topicId }))
          ].map((t) => ({ ...t, errorCode: ErrorCode.NOT_CONTROLLER, errorMessage }))
        })
      )
      if (remote) return remote
      const failed: DeletableTopicResult[] = []
      const fail = (name: string | null, topicId: string, errorMessage: string): void => {
        failed.push({ name, topicId, errorCode: ErrorCode.INVALID_REQUEST, errorMessage })
      }
      const names: string[] = [...(request.topicNames ?? [])]
      const ids: string[] = []
      for (const t of request.topics ?? []) {
        const hasId = t.topicId !== ZERO_UUID
        if (t.name === null && !hasId) fail(null, ZERO_UUID, 'Neither topic name nor id were specified.')
        else if (t.name !== null && hasId)
          fail(t.name, t.topicId, 'You may not specify both topic name and topic id.')
        else if (hasId) ids.push(t.topicId)
        else if (t.name !== null) names.push(t.name)
      }
      const duplicateName = new Set(duplicateNames(names))
      const duplicateId = new Set(duplicateNames(ids))
      for (const name of duplicateName) fail(name, ZERO_UUID, 'Duplicate topic name.')
      for (const id of duplicateId) fail(null, id, 'Duplicate topic id.')
      // Kafka: DELETE on each topic (named, or found by its id).
      const deletable = (name: string | undefined, topicId: string): boolean => {
        if (name === undefined || ctx.authorize(AclOperation.DELETE, ResourceType.TOPIC, name)) return true
        failed.push({ name, topicId, errorCode: ErrorCode.TOPIC_AUTHORIZATION_FAILED, errorMessage: null })
        return false
      }
      const toDelete: DeletableTopic[] = [
        ...names.filter((n) => !duplicateName.has(n) && deletable(n, ZERO_UUID)).map((name) => ({ name })),
        ...ids
          .filter((id) => !duplicateId.has(id) && deletable(deps.metadataCache.topicById(id)?.name, id))
          .map((topicId) => ({ topicId }))
      ]
      const deleted = toDelete.length > 0 ? await deps.controller.deleteTopics(toDelete) : []
      return {
        throttleTimeMs: 0,
        responses: [...deleted, ...failed].map((r) => ({
          name: r.name,
          topicId: r.topicId,
          errorCode: r.errorCode,
          errorMessage: r.errorMessage
        }))
      }
    }
  }
}
