/** CreatePartitions (key 37): raises topics' partition counts through the controller (or only validates). */

import { ErrorCode } from '../../protocol/error-codes.js'
import {
  CreatePartitionsApi,
  type CreatePartitionsRequest,
  type CreatePartitionsResponse
} from '../../protocol/messages/create-partitions.js'
import { AclOperation, ResourceType } from '../../security/authorizer/acl-types.js'
import type { ApiHandler } from '../api-registry.js'
import type { RequestContext } from '../request-context.js'
import type { HandlerDeps } from './handler-deps.js'

export function createCreatePartitionsHandler(
  deps: HandlerDeps
): ApiHandler<CreatePartitionsRequest, CreatePartitionsResponse> {
  return {
    api: CreatePartitionsApi,
    minVersion: 0,
    maxVersion: 3,
    async handle(request: CreatePartitionsRequest, ctx: RequestContext): Promise<CreatePartitionsResponse> {
      const remote = await deps.controllerChannel.forwardUnlessController<CreatePartitionsResponse>(
        ctx.forwardingHeader,
        request,
        (errorMessage) => ({
          throttleTimeMs: 0,
          results: request.topics.map((t) => ({
            name: t.name,
            errorCode: ErrorCode.NOT_CONTROLLER,
            errorMessage
          }))
        })
      )
      if (remote) return remote
      // Kafka: ALTER on each topic.
      const alterable = request.topics.filter((t) =>
        ctx.authorize(AclOperation.ALTER, ResourceType.TOPIC, t.name)
      )
      const denied = request.topics
        .filter((t) => !alterable.includes(t))
        .map((t) => ({ name: t.name, errorCode: ErrorCode.TOPIC_AUTHORIZATION_FAILED, errorMessage: null }))
      const results = await deps.controller.createPartitions(
        alterable.map((t) => ({
          name: t.name,
          count: t.count,
          assignments: t.assignments === null ? null : t.assignments.map((a) => ({ brokerIds: a.brokerIds }))
        })),
        { validateOnly: request.validateOnly }
      )
      return {
        throttleTimeMs: 0,
        results: [
          ...results.map((r) => ({ name: r.name, errorCode: r.errorCode, errorMessage: r.errorMessage })),
          ...denied
        ]
      }
    }
  }
}
