/** CreatePartitions (key 37): raises topics' partition counts through the controller (or only validates). */

import { ErrorCode } from '../../protocol/error-codes.js'
import type {
  CreatePartitionsRequest,
  CreatePartitionsResponse
} from '../../protocol/messages/create-partitions.js'
import type { ApiHandler } from '../api-registry.js'
import type { RequestContext } from '../request-context.js'
import type { HandlerDeps } from './handler-deps.js'

export function createCreatePartitionsHandler(
  deps: HandlerDeps
): ApiHandler<CreatePartitionsRequest, CreatePartitionsResponse> {
  return {
    apiKey: 37,
    minVersion: 0,
    maxVersion: 3,
    async handle(request: CreatePartitionsRequest, ctx: RequestContext): Promise<CreatePartitionsResponse> {
      if (!deps.controllerChannel.isActiveController()) {
        // Forwarded to the controller; when that is impossible, NOT_CONTROLLER makes the client retry there.
        const forwarded = await deps.controllerChannel.forward<CreatePartitionsResponse>(ctx.header, request)
        if (forwarded) return forwarded
        const errorMessage = `Broker ${deps.config.nodeId} is not the controller; the controller is ${deps.controllerChannel.controllerId()}.`
        return {
          throttleTimeMs: 0,
          results: request.topics.map((t) => ({
            name: t.name,
            errorCode: ErrorCode.NOT_CONTROLLER,
            errorMessage
          }))
        }
      }
      const results = await deps.controller.createPartitions(
        request.topics.map((t) => ({
          name: t.name,
          count: t.count,
          assignments: t.assignments === null ? null : t.assignments.map((a) => ({ brokerIds: a.brokerIds }))
        })),
        { validateOnly: request.validateOnly }
      )
      return {
        throttleTimeMs: 0,
        results: results.map((r) => ({ name: r.name, errorCode: r.errorCode, errorMessage: r.errorMessage }))
      }
    }
  }
}
