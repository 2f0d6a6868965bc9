/** ConsumerGroupHeartbeat (key 68, KIP-848): join, heartbeat, reconcile and leave a consumer group. */

import type { ConsumerGroupCoordinator } from '../../coordinator/group/consumer/consumer-group-coordinator.js'
import { ErrorCode } from '../../protocol/error-codes.js'
import {
  ConsumerGroupHeartbeatApi,
  type ConsumerGroupHeartbeatRequest,
  type ConsumerGroupHeartbeatResponse
} from '../../protocol/messages/consumer-group-heartbeat.js'
import { AclOperation, ResourceType } from '../../security/authorizer/acl-types.js'
import type { ApiHandler } from '../api-registry.js'
import { groupRequestContext } from './join-group.js'

export function createConsumerGroupHeartbeatHandler(
  consumerGroups: ConsumerGroupCoordinator
): ApiHandler<ConsumerGroupHeartbeatRequest, ConsumerGroupHeartbeatResponse> {
  return {
    api: ConsumerGroupHeartbeatApi,
    minVersion: 0,
    maxVersion: 1,
    async handle(request, ctx) {
      // Kafka: READ on the group.
      if (!ctx.authorize(AclOperation.READ, ResourceType.GROUP, request.groupId)) {
        return {
          throttleTimeMs: 0,
          errorCode: ErrorCode.GROUP_AUTHORIZATION_FAILED,
          errorMessage: null,
          memberId: null,
          memberEpoch: -1,
          heartbeatIntervalMs: 0,
          assignment: null
        }
      }
      const response = await consumerGroups.heartbeat(request, groupRequestContext(ctx))
      return { ...response, throttleTimeMs: 0 }
    }
  }
}
