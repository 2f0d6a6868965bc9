/** ConsumerGroupDescribe (key 69, KIP-848): epochs, state, members and their current and target assignments. */

import type { ConsumerGroupCoordinator } from '../../coordinator/group/consumer/consumer-group-coordinator.js'
import {
  ConsumerGroupDescribeApi,
  type ConsumerGroupDescribeRequest,
  type ConsumerGroupDescribeResponse
} from '../../protocol/messages/consumer-group-describe.js'
import type { ApiHandler } from '../api-registry.js'

/** Kafka's "not requested" marker for authorized operations (Integer.MIN_VALUE). */
const OPERATIONS_NOT_REQUESTED = -2147483648
/** Without ACLs: READ (3), DELETE (6) and DESCRIBE (8), as a bit field of Kafka's AclOperation codes. */
const ALL_GROUP_OPERATIONS = (1 << 3) | (1 << 6) | (1 << 8)

export function createConsumerGroupDescribeHandler(
  consumerGroups: ConsumerGroupCoordinator
): ApiHandler<ConsumerGroupDescribeRequest, ConsumerGroupDescribeResponse> {
  return {
    api: ConsumerGroupDescribeApi,
    minVersion: 0,
    maxVersion: 0,
    handle(request) {
      const ops = request.includeAuthorizedOperations ? ALL_GROUP_OPERATIONS : OPERATIONS_NOT_REQUESTED
      return { throttleTimeMs: 0, groups: consumerGroups.describe(request.groupIds, ops) }
    }
  }
}
