/** ConsumerGroupHeartbeat (key 68, KIP-848): join, heartbeat, reconcile and leave a consumer group. */

import type { ConsumerGroupCoordinator } from '../../coordinator/group/consumer/consumer-group-coordinator.js'
import {
  ConsumerGroupHeartbeatApi,
  type ConsumerGroupHeartbeatRequest,
  type ConsumerGroupHeartbeatResponse
} from '../../protocol/messages/consumer-group-heartbeat.js'
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
      const response = await consumerGroups.heartbeat(request, groupRequestContext(ctx))
      return { ...response, throttleTimeMs: 0 }
    }
  }
}
