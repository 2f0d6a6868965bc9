/**
 * ControlledShutdown (key 7): a broker about to stop asks the controller to move its leaderships away and
 * take it out of ISRs; the response lists the partitions it still leads. Only the controller answers.
 */

import { ErrorCode, errorCodeOf } from '../../protocol/error-codes.js'
import {
  ControlledShutdownApi,
  type ControlledShutdownRequest,
  type ControlledShutdownResponse
} from '../../protocol/messages/controlled-shutdown.js'
import { AclOperation } from '../../security/authorizer/acl-types.js'
import type { ApiHandler } from '../api-registry.js'
import type { RequestContext } from '../request-context.js'
import type { HandlerDeps } from './handler-deps.js'

export function createControlledShutdownHandler(
  deps: HandlerDeps
): ApiHandler<ControlledShutdownRequest, ControlledShutdownResponse> {
  return {
    api: ControlledShutdownApi,
    minVersion: 0,
    maxVersion: 3,
    async handle(
      request: ControlledShutdownRequest,
      ctx: RequestContext
    ): Promise<ControlledShutdownResponse> {
      if (!ctx.authorizeCluster(AclOperation.CLUSTER_ACTION))
        return { errorCode: ErrorCode.CLUSTER_AUTHORIZATION_FAILED, remainingPartitions: [] }
      if (!deps.controllerChannel.isActiveController()) {
        return { errorCode: ErrorCode.NOT_CONTROLLER, remainingPartitions: [] }
      }
      try {
        const remainingPartitions = await deps.controller.controlledShutdown(request.brokerId)
        return { errorCode: ErrorCode.NONE, remainingPartitions }
      } catch (err) {
        return { errorCode: errorCodeOf(err), remainingPartitions: [] }
      }
    }
  }
}
